--[[
threads.lua -- every core from LuaJIT: several Lua states, each on its own
OS thread, pull requests from one porter server (porter.threads). Each
thread runs a lua-http style handler that says which thread answered.
Usage: luajit threads.lua [host:port] [threads]   (SIGINT/SIGTERM stop it)

Try: curl -s http://127.0.0.1:8080/ http://127.0.0.1:8080/ ...
]]
local porter = require "porter"
local threads = require "porter.threads"

-- Block SIGINT and SIGTERM before the threads start, so that they all
-- leave the signals to this thread.
local sigs = assert(require("porter.signal").catch("INT", "TERM"))

local srv = assert(porter.new {stream_bodies = true})
assert(srv:listen(arg[1] or "127.0.0.1:8080"))
print(srv:addr())
io.stdout:flush()
assert(srv:start())

local pool = assert(threads.start(srv, tonumber(arg[2]) or 2, [[
	local srv, index = ...
	local http_server = require "porter.http.server"
	local http_headers = require "porter.http.headers"

	local server = http_server.new {
		porter = srv,
		onstream = function(_, stream)
			local req = assert(stream:get_headers())
			local body = assert(stream:get_body_as_string())
			local res = http_headers.new()
			res:append(":status", "200")
			res:append("content-type", "text/plain")
			assert(stream:write_headers(res, false))
			assert(stream:write_chunk(("thread %d: %s %s, %d bytes\n"):format(
				index, req:get(":method"), req:get(":path"), #body), true))
		end,
	}
	assert(server:loop())
]]))

-- Wait for a signal, then let requests in flight finish (5 s at most).
porter.poll(nil, sigs)
srv:shutdown(5)
assert(pool:join())
srv:close()
