--[[
nodemcu.lua -- a NodeMCU-style program (an init.lua), as NodeMCU users
write them: `require "httpserver"` and callbacks. porter/nodemcu.lua runs
it the way the firmware does, with porter.httpserver as httpserver:
    luajit bindings/lua/porter/nodemcu.lua examples/lua/nodemcu.lua 127.0.0.1:8080
The first argument is the port, or porter's "host:port".

  GET /             "Hello, world!" (one response, Content-Length)
  GET /count?n=N    N lines sent one by one (a chunked response)
  POST anything     the size of the body and the X-Name header
]]
local srv = require("httpserver").createServer(arg[1] or 80, function(req, res)
	local name, size = "nobody", 0
	req.onheader = function(self, header, value) -- luacheck: ignore 212
		if header == "x-name" then
			name = value
		end
	end
	req.ondata = function(self, chunk) -- luacheck: ignore 212
		if chunk then
			size = size + #chunk
			return
		end
		-- the whole request is in: answer
		if req.method == "POST" then
			res:send_header("Content-Type", "text/plain")
			res:finish(("%s sent %d bytes\n"):format(name, size))
		elseif req.url:match("^/count") then
			local n = tonumber(req.url:match("n=(%d+)")) or 3
			res:send(nil, 200)
			res:send_header("Content-Type", "text/plain")
			for i = 1, n do
				res:send(("%d\n"):format(i))
			end
			res:finish()
		else
			res:send_header("Content-Type", "text/plain")
			res:finish("Hello, world!\n")
		end
	end
end)

local port, ip = srv:getaddr()
print(ip .. ":" .. port)
