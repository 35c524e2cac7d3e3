--[[
porter.signal -- catch signals without a handler: the signals are blocked
and read from a signalfd, which a loop polls like any descriptor.

    local sigs = require("porter.signal").catch("INT", "TERM")
    ... porter.poll(nil, server, sigs) == sigs ... sigs:read() --> 15

Lua code never runs in a signal handler. The signals are blocked in the
calling thread and in the threads it starts afterwards; porter's own
threads never take them (porter.lua loads the library with them blocked).
]]
local ffi = require "ffi"
local porter = require "porter"

ffi.cdef [[
int porter_lua_signalfd(int fd, const porter_lua_sigset *mask, int flags) __asm__("signalfd");
]]

local SIG_BLOCK = 0
local SFD_NONBLOCK, SFD_CLOEXEC = 0x800, 0x80000
local SIGINFO_SIZE = 128 -- struct signalfd_siginfo

local Catcher = {}
Catcher.__index = Catcher

-- catch("INT", "TERM", ...) blocks the named signals (see porter.signals)
-- in this thread and returns an object to poll and read them from.
local function catch(...)
	local set = ffi.new("porter_lua_sigset")
	ffi.C.porter_lua_sigemptyset(set)
	for i = 1, select("#", ...) do
		local name = select(i, ...)
		local signo = porter.signals[name]
		if not signo then
			error("porter.signal.catch: unknown signal '" .. tostring(name) .. "'", 2)
		end
		ffi.C.porter_lua_sigaddset(set, signo)
	end
	if ffi.C.porter_lua_sigmask(SIG_BLOCK, set, nil) ~= 0 then
		return nil, "pthread_sigmask failed"
	end
	local fd = ffi.C.porter_lua_signalfd(-1, set, SFD_NONBLOCK + SFD_CLOEXEC)
	if fd < 0 then
		return nil, "signalfd failed"
	end
	return setmetatable({fd = fd, info = ffi.new("uint8_t[?]", SIGINFO_SIZE)}, Catcher)
end

function Catcher:pollfd()
	return self.fd
end

-- read returns the number of a caught signal, or nil when none is pending.
function Catcher:read()
	if ffi.C.porter_lua_read(self.fd, self.info, SIGINFO_SIZE) == SIGINFO_SIZE then
		return ffi.cast("uint32_t *", self.info)[0] -- ssi_signo comes first
	end
end

function Catcher:close()
	if self.fd >= 0 then
		ffi.C.porter_lua_close(self.fd)
		self.fd = -1
	end
end

return {catch = catch}
