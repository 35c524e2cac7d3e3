--[[
hello.lua -- "Hello World" on porter's thin core: this Lua thread pulls
requests with server:next() and answers each with one call; porter does
the HTTP and the I/O.
Usage: luajit hello.lua [host:port]   (SIGINT or SIGTERM stops it)
]]
local porter = require "porter"

local sigs = assert(require("porter.signal").catch("INT", "TERM"))
local srv = assert(porter.new())
assert(srv:listen(arg[1] or "127.0.0.1:8080"))
print(srv:addr())
io.stdout:flush()
assert(srv:start())

local headers = {["Content-Type"] = "text/plain"}
while true do
	if porter.poll(nil, srv, sigs) == sigs then
		sigs:read()
		srv:shutdown(5) -- stop accepting; requests in flight get 5 s
	end
	local kind, req, code = srv:next(0)
	while kind do
		if kind == porter.EV_REQUEST then
			req:respond(200, headers, "Hello World\n")
		end
		kind, req, code = srv:next(0)
	end
	if code == porter.ECLOSED then
		break
	end
end
srv:close()
