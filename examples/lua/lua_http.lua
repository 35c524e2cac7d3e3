--[[
lua_http.lua -- a server written for lua-http, as its users write one: it
runs on lua-http itself, or unchanged on porter when `http.server` and
`http.headers` resolve to porter's modules, e.g. with
    LUA_PATH="$PORTER/bindings/lua/porter/compat/?.lua;$PORTER/bindings/lua/?.lua;;"
The loop runs inside the program's own cqueues controller, and handlers
yield to cqueues: a timer, and lua-http's client on cqueues sockets.
Usage: luajit lua_http.lua [host:port]   (SIGINT or SIGTERM stops it)

  GET /             "Hello World"
  POST /echo        the request body back
  GET /sleep?s=S    answers after S seconds (cqueues.sleep), at most 2
  GET /fetch        fetches / from this same server with lua-http's client
                    and answers with what it got
  anything else     404
]]
local cqueues = require "cqueues"
local signal = require "cqueues.signal"
local http_server = require "http.server"
local http_headers = require "http.headers"
local http_request = require "http.request"

local host, port = (arg[1] or "127.0.0.1:8080"):match("^(.*):(%d+)$")
local self_url -- set once we know the bound port

local function reply(stream, status, body)
	local res = http_headers.new()
	res:append(":status", status)
	res:append("content-type", "text/plain")
	assert(stream:write_headers(res, false))
	assert(stream:write_chunk(body, true))
end

local function onstream(myserver, stream) -- luacheck: ignore 212
	local req = assert(stream:get_headers())
	local method, path = req:get(":method"), req:get(":path")
	if method == "GET" and path == "/" then
		reply(stream, "200", "Hello World\n")
	elseif method == "POST" and path == "/echo" then
		reply(stream, "200", assert(stream:get_body_as_string()))
	elseif method == "GET" and path:match("^/sleep%?s=") then
		local s = math.min(tonumber(path:match("s=([%d.]+)")) or 0, 2)
		cqueues.sleep(s) -- yields: other streams go on meanwhile
		reply(stream, "200", ("slept %g s\n"):format(s))
	elseif method == "GET" and path == "/fetch" then
		local headers, body_stream = assert(http_request.new_from_uri(self_url):go(10))
		local body = assert(body_stream:get_body_as_string())
		reply(stream, "200", ("fetched %s: %s"):format(headers:get(":status"), body))
	else
		reply(stream, "404", "not found\n")
	end
end

local myserver = assert(http_server.listen {
	host = host,
	port = tonumber(port),
	tls = false,
	onstream = onstream,
	onerror = function(myserver, context, op, err, errno) -- luacheck: ignore 212
		local msg = op .. " on " .. tostring(context) .. " failed"
		if err then
			msg = msg .. ": " .. tostring(err)
		end
		assert(io.stderr:write(msg, "\n"))
	end,
})
-- Manually call :listen() so that we are bound before calling :localname()
assert(myserver:listen())
local _, bound_host, bound_port = myserver:localname()
self_url = ("http://%s:%d/"):format(bound_host, bound_port)
print(bound_host .. ":" .. bound_port)
io.stdout:flush()

signal.block(signal.SIGINT, signal.SIGTERM)
local sigs = signal.listen(signal.SIGINT, signal.SIGTERM)
local cq = cqueues.new()
cq:wrap(function()
	sigs:wait()
	myserver:close()
end)
cq:wrap(function()
	assert(myserver:loop())
end)
assert(cq:loop())
