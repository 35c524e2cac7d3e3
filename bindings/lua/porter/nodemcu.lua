--[[
porter/nodemcu.lua -- runs a NodeMCU-style program on porter, the way the
firmware does: `require "httpserver"` gives porter.httpserver, the program
(init.lua) runs to its end, then the event loop serves its server until
SIGINT or SIGTERM, which closes the server gracefully (5 s for requests
in flight) and exits with status 0.

    luajit path/to/porter/nodemcu.lua init.lua [args...]

The program sees its arguments in `arg` as usual. From Lua:
require("porter.nodemcu").run("init.lua", args...).
]]
local as_script = (...) ~= "porter.nodemcu"
if as_script then
	-- Find porter's modules beside this file (porter/nodemcu.lua).
	local dir = debug.getinfo(1, "S").source:match("^@(.*)/porter/[^/]*$") or "."
	package.path = dir .. "/?.lua;" .. package.path
end
local porter = require "porter"
local httpserver = require "porter.httpserver"

local M = {}

function M.run(script, ...)
	package.loaded.httpserver = httpserver
	local sigs = assert(require("porter.signal").catch("INT", "TERM"))
	_G.arg = {[0] = script, ...}
	io.stdout:setvbuf("line") -- print() reaches a pipe at once, as a UART would
	dofile(script)
	-- The firmware's loop: serve the server until it is closed and
	-- drained, then the one that replaced it, if any.
	local server = httpserver.current
	while server do
		if porter.poll(nil, server, sigs) == sigs then
			sigs:read()
			server:close()
		end
		if select(3, server:step(0)) == porter.ECLOSED then
			server = httpserver.current
		end
	end
	return true
end

-- Run as a script: luajit porter/nodemcu.lua init.lua [args...]
if as_script then
	if not arg[1] then
		io.stderr:write("usage: luajit nodemcu.lua init.lua [args...]\n")
		os.exit(2)
	end
	M.run(unpack(arg, 1, #arg))
	os.exit(0)
end

return M
