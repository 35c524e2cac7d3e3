--[[
tap.lua -- the tiny test runner of porter's Lua tests: plain luajit
scripts that register tests and run them, printing TAP and a closing line
"N passed, N failed". Exits 1 if a test failed.

    local t = require "tap"
    t.test("name", function() t.equal(got, want, "what") end)
    t.run()

While the tests run, a debug hook checks every few thousand instructions
that Lua runs on this state's own thread (the thread that loaded tap.lua),
never on a thread of porter's.
]]
local ffi = require "ffi"

ffi.cdef [[
long porter_test_syscall(long number) __asm__("syscall");
]]
local SYS_gettid = ffi.arch == "x64" and 186 or ffi.arch == "arm64" and 178 or nil

local M = {}

-- tid is the calling OS thread's id.
function M.tid()
	return SYS_gettid and tonumber(ffi.C.porter_test_syscall(SYS_gettid)) or 0
end

local home = M.tid()
local foreign = 0 -- hook runs that found Lua on another thread

-- guard checks that Lua code runs on the thread that owns this state.
local function guard()
	if M.tid() ~= home then
		foreign = foreign + 1
	end
end

local tests = {}

function M.test(name, fn)
	tests[#tests + 1] = {name = name, fn = fn}
end

local function show(v)
	return type(v) == "string" and ("%q"):format(v) or tostring(v)
end

function M.equal(got, want, what)
	if got ~= want then
		error(("%s: got %s, want %s"):format(what or "value", show(got), show(want)), 2)
	end
end

function M.truthy(v, what)
	if not v then
		error((what or "value") .. " is " .. show(v), 2)
	end
	return v
end

function M.match(s, pattern, what)
	if type(s) ~= "string" or not s:find(pattern) then
		error(("%s: %s does not match %s"):format(what or "value", show(s), show(pattern)), 2)
	end
end

-- run runs every test in order and exits.
function M.run()
	io.stdout:setvbuf("line")
	print("1.." .. #tests)
	debug.sethook(guard, "", 5000)
	local passed, failed = 0, 0
	for i, t in ipairs(tests) do
		local ok, err = xpcall(t.fn, debug.traceback)
		collectgarbage() -- finalizers run here, on this thread, too
		if ok then
			passed = passed + 1
			print(("ok %d - %s"):format(i, t.name))
		else
			failed = failed + 1
			print(("not ok %d - %s"):format(i, t.name))
			print("# " .. tostring(err):gsub("\n", "\n# "))
		end
	end
	debug.sethook()
	if foreign > 0 then
		failed = failed + 1
		print(("not ok - Lua ran on a foreign thread %d times"):format(foreign))
	end
	print(("%d passed, %d failed"):format(passed, failed))
	os.exit(failed == 0 and 0 or 1)
end

return M
