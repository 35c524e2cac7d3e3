--[=[
porter.threads -- every core from Lua: several LuaJIT states, each on its
own OS thread, pulling from one porter server.

    local pool = assert(threads.start(srv, 4, [[
        local srv, index = ...   -- this thread's view of the server
        ... serve with porter, porter.http.server or porter.httpserver ...
    ]]))
    ...
    srv:shutdown(5)   -- the threads' loops end once it is drained
    assert(pool:join())

Each thread gets a fresh state (luaL_newstate) that only that thread ever
runs: the state is prepared on the calling thread before the thread
starts, and closed there after it ended. The thread's entry point is an FFI
callback made inside the new state. porter itself never calls Lua.

Events of a request go to the state that holds it (porter.attach says
how). Arguments after the code reach it as strings; code may also be
"@path/to/file.lua".
]=]
local ffi = require "ffi"
local porter = require "porter"

ffi.cdef [[
typedef struct porter_lua_State porter_lua_State;
porter_lua_State *porter_lua_newstate(void) __asm__("luaL_newstate");
void porter_lua_openlibs(porter_lua_State *L) __asm__("luaL_openlibs");
int porter_lua_loadbuffer(porter_lua_State *L, const char *buf, size_t n,
                          const char *name) __asm__("luaL_loadbuffer");
int porter_lua_pcall(porter_lua_State *L, int nargs, int nresults,
                     int errfunc) __asm__("lua_pcall");
void porter_lua_pushlstring(porter_lua_State *L, const char *s,
                            size_t n) __asm__("lua_pushlstring");
double porter_lua_tonumber(porter_lua_State *L, int idx) __asm__("lua_tonumber");
const char *porter_lua_tolstring(porter_lua_State *L, int idx,
                                 size_t *n) __asm__("lua_tolstring");
void porter_lua_close_state(porter_lua_State *L) __asm__("lua_close");

typedef unsigned long porter_lua_thread;
int porter_lua_thread_create(porter_lua_thread *t, const void *attr,
                             void *(*start)(void *), void *arg) __asm__("pthread_create");
int porter_lua_thread_join(porter_lua_thread t, void **ret) __asm__("pthread_join");
int porter_lua_pipe2(int fds[2], int flags) __asm__("pipe2");
int porter_lua_fcntl(int fd, int cmd, int arg) __asm__("fcntl");

/* What a thread reports back; written by the thread, read after join. */
typedef struct porter_lua_outcome { int failed; char error[2048]; } porter_lua_outcome;
]]

local O_NONBLOCK, O_CLOEXEC = 0x800, 0x80000
local F_SETPIPE_SZ = 1031

local M = {}

-- ---- In the new state ----------------------------------------------------

-- Runs in each new state, on the calling thread, before its thread starts:
-- sets the module paths and returns the entry point's address.
local BOOT = [[
local path, cpath = ...
package.path, package.cpath = path, cpath
return require("porter.threads").prepare(select(3, ...))
]]

local entries = {} -- keeps this state's entry callback alive

-- prepare compiles the thread's code and makes its entry point: a C
-- function pointer into this state, for pthread_create.
function M.prepare(code, address, tag, inbox, peers, ...)
	local fn
	if code:sub(1, 1) == "@" then
		fn = assert(loadfile(code:sub(2)))
	else
		fn = assert(loadstring(code, "=porter.threads"))
	end
	local peer_fds = {}
	for fd in peers:gmatch("%d+") do
		peer_fds[#peer_fds + 1] = tonumber(fd)
	end
	local args = {n = select("#", ...), ...}
	local entry = ffi.cast("void *(*)(void *)", function(outcome)
		local ok, err = xpcall(function()
			local srv = assert(porter.attach(tonumber(address), tonumber(tag),
				tonumber(inbox), peer_fds))
			fn(srv, tonumber(tag), unpack(args, 1, args.n))
			srv:close()
		end, debug.traceback)
		if not ok then
			local report = ffi.cast("porter_lua_outcome *", outcome)
			local message = tostring(err)
			report.failed = 1
			ffi.copy(report.error, message, math.min(#message, ffi.sizeof(report.error) - 1))
		end
		return nil
	end)
	entries[#entries + 1] = entry
	return tonumber(ffi.cast("uintptr_t", entry))
end

-- ---- In the calling state ------------------------------------------------

local Pool = {}
Pool.__index = Pool

local function state_error(L)
	local n = ffi.new("size_t[1]")
	local s = ffi.C.porter_lua_tolstring(L, -1, n)
	return s ~= nil and ffi.string(s, n[0]) or "unknown error"
end

--[[ threads.start(server, n, code, ...) starts n threads on a server made
by porter.new (started, and listening). Each runs code in its own state
with (server, index, ...): server is that thread's porter server object,
index its number 1..n. Returns a pool to join, or nil, message. ]]
function M.start(server, n, code, ...)
	if type(n) ~= "number" or n < 1 then
		error("bad argument #2 to 'start' (positive number expected)", 2)
	end
	if type(code) ~= "string" then
		error("bad argument #3 to 'start' (string expected)", 2)
	end
	local pool = setmetatable({n = 0, states = {}, threads = {}, outcomes = {},
		fds = {}}, Pool)
	local inboxes, outboxes = {}, {}
	for i = 1, n do
		local fds = ffi.new("int[2]")
		if ffi.C.porter_lua_pipe2(fds, O_NONBLOCK + O_CLOEXEC) ~= 0 then
			pool:join()
			return nil, "pipe2 failed"
		end
		ffi.C.porter_lua_fcntl(fds[1], F_SETPIPE_SZ, 1048576) -- fewer full pipes; may fail
		inboxes[i], outboxes[i] = fds[0], fds[1]
		pool.fds[#pool.fds + 1], pool.fds[#pool.fds + 2] = fds[0], fds[1]
	end
	local peers = table.concat(outboxes, ",")
	local address = tostring(tonumber(ffi.cast("uintptr_t", server.ptr)))
	local args = {package.path, package.cpath, code, address, "", "", peers}
	for i = 1, select("#", ...) do
		args[#args + 1] = tostring((select(i, ...)))
	end
	for i = 1, n do
		args[5], args[6] = tostring(i), tostring(inboxes[i])
		local L = ffi.C.porter_lua_newstate()
		if L == nil then
			pool:join()
			return nil, "luaL_newstate failed"
		end
		pool.states[i] = L
		ffi.C.porter_lua_openlibs(L)
		if ffi.C.porter_lua_loadbuffer(L, BOOT, #BOOT, "=porter.threads") ~= 0 then
			local err = state_error(L)
			pool:join()
			return nil, err
		end
		for _, a in ipairs(args) do
			ffi.C.porter_lua_pushlstring(L, a, #a)
		end
		if ffi.C.porter_lua_pcall(L, #args, 1, 0) ~= 0 then
			local err = state_error(L)
			pool:join()
			return nil, err
		end
		local entry = ffi.cast("void *(*)(void *)", ffi.C.porter_lua_tonumber(L, -1))
		local outcome = ffi.new("porter_lua_outcome")
		local thread = ffi.new("porter_lua_thread[1]")
		if ffi.C.porter_lua_thread_create(thread, nil, entry, outcome) ~= 0 then
			pool:join()
			return nil, "pthread_create failed"
		end
		pool.n = i
		pool.threads[i], pool.outcomes[i] = thread[0], outcome
	end
	return pool
end

-- pool:join() waits until every thread has returned (their loops end
-- once the server is shut down and drained), then closes their states.
-- Returns true, or nil and the errors the threads raised.
function Pool:join()
	local errors = {}
	for i = 1, self.n do
		ffi.C.porter_lua_thread_join(self.threads[i], nil)
		if self.outcomes[i].failed ~= 0 then
			errors[#errors + 1] = ("thread %d: %s"):format(i, ffi.string(self.outcomes[i].error))
		end
	end
	self.n = 0
	for i, L in pairs(self.states) do
		ffi.C.porter_lua_close_state(L)
		self.states[i] = nil
	end
	for _, fd in ipairs(self.fds) do
		ffi.C.porter_lua_close(fd)
	end
	self.fds = {}
	if #errors > 0 then
		return nil, table.concat(errors, "\n")
	end
	return true
end

return M
