-- porter_lua_bench.lua -- the porter-lua peer of the benchmark: porter's
-- LuaJIT binding (its thin core, one Lua thread) serves
--   GET  /      200 text/plain "Hello World\n"
--   POST /echo  200 application/octet-stream, the request body
--   GET  /1m    200 application/octet-stream, 1048576 bytes of 'x'
-- anything else gets 404. Listens on 127.0.0.1:PORT, prints the bound
-- address on stdout, and exits with status 0 on SIGTERM or SIGINT.
-- Usage: luajit porter_lua_bench.lua PORT  (PORTER_LIBRARY: the library)
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
package.path = here .. "/../../bindings/lua/?.lua;" .. package.path
local porter = require "porter"

local port = tonumber(arg[1])
if not port then
	io.stderr:write("usage: luajit porter_lua_bench.lua PORT\n")
	os.exit(2)
end

local sigs = assert(require("porter.signal").catch("INT", "TERM"))
local srv = assert(porter.new())
assert(srv:listen("127.0.0.1:" .. port))
print(srv:addr())
io.stdout:flush()
assert(srv:start())

local text = {["Content-Type"] = "text/plain"}
local octets = {["Content-Type"] = "application/octet-stream"}
local hello, big = "Hello World\n", string.rep("x", 1048576)

local function handle(req)
	local method, path = req:method(), req:path()
	local get = method == "GET" or method == "HEAD"
	if get and path == "/" then
		req:respond(200, text, hello)
	elseif method == "POST" and path == "/echo" then
		req:respond(200, octets, req:body())
	elseif get and path == "/1m" then
		req:respond(200, octets, big)
	else
		req:respond(404, text, "Not Found\n")
	end
end

while true do
	if porter.poll(nil, srv, sigs) == sigs then
		sigs:read()
		srv:shutdown(1)
	end
	local kind, req, code = srv:next(0)
	while kind do
		if kind == porter.EV_REQUEST then
			handle(req)
		end
		kind, req, code = srv:next(0)
	end
	if code == porter.ECLOSED then
		break
	end
end
srv:close()
os.exit(0)
