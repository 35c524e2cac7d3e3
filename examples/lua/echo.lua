--[[
echo.lua -- answers every request with a JSON description of it, the same
bytes as examples/c/echo: method, target, path, query, version, headers,
body length and SHA-256 (bodies are buffered, up to porter's 8 MiB).
Usage: luajit echo.lua [host:port]   (SIGINT or SIGTERM stops it)

Try: curl -d hello 'http://127.0.0.1:8080/a?b=1'
]]
local porter = require "porter"
local digest = require "openssl.digest" -- luaossl, which lua-http uses too

-- json is a JSON string as every porter echo writes it: '"' and '\' get a
-- backslash, control bytes and bytes from 0x80 up become \u00xx.
local function json(s)
	return '"' .. s:gsub('[%c"\\\128-\255]', function(c)
		if c == '"' or c == "\\" then
			return "\\" .. c
		end
		return ("\\u%04x"):format(c:byte())
	end) .. '"'
end

local function sha256_hex(s)
	return (digest.new("sha256"):final(s):gsub(".", function(c)
		return ("%02x"):format(c:byte())
	end))
end

local function describe(req)
	local headers = {}
	for name, value in req:headers() do
		headers[#headers + 1] = "[" .. json(name) .. "," .. json(value) .. "]"
	end
	local body, version = req:body(), req:version()
	return ('{"method":%s,"target":%s,"path":%s,"query":%s,"version":"HTTP/%d.%d",'
		.. '"headers":[%s],"body_length":%d,"body_sha256":"%s"}\n'):format(
		json(req:method()), json(req:target()), json(req:path()), json(req:query()),
		version / 10, version % 10, table.concat(headers, ","), #body, sha256_hex(body))
end

local sigs = assert(require("porter.signal").catch("INT", "TERM"))
local srv = assert(porter.new())
assert(srv:listen(arg[1] or "127.0.0.1:8080"))
print(srv:addr())
io.stdout:flush()
assert(srv:start())

local type_json = {["Content-Type"] = "application/json"}
while true do
	if porter.poll(nil, srv, sigs) == sigs then
		sigs:read()
		srv:shutdown(5)
	end
	local kind, req, code = srv:next(0)
	while kind do
		if kind == porter.EV_REQUEST then
			req:respond(200, type_json, describe(req))
		end
		kind, req, code = srv:next(0)
	end
	if code == porter.ECLOSED then
		break
	end
end
srv:close()
