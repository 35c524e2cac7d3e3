-- luahttp_bench.lua -- the lua-http peer of the benchmark: serves
--   GET  /      200 text/plain "Hello World\n"
--   POST /echo  200 application/octet-stream, the request body
--   GET  /1m    200 application/octet-stream, 1048576 bytes of 'x'
-- anything else gets 404. Listens on 127.0.0.1:PORT, prints the bound
-- address on stdout, and exits with status 0 on SIGTERM or SIGINT.
-- Usage: luajit luahttp_bench.lua PORT
local cqueues = require "cqueues"
local signal = require "cqueues.signal"
local http_server = require "http.server"
local http_headers = require "http.headers"

local port = tonumber(arg[1])
if not port then
	io.stderr:write("usage: luajit luahttp_bench.lua PORT\n")
	os.exit(2)
end

local hello = "Hello World\n"
local big = string.rep("x", 1048576)

-- respond sends a whole response with Content-Length framing.
local function respond(stream, method, status, ctype, body)
	local h = http_headers.new()
	h:append(":status", status)
	h:append("content-type", ctype)
	h:append("content-length", tostring(#body))
	if method == "HEAD" then
		stream:write_headers(h, true)
	else
		stream:write_headers(h, false)
		stream:write_chunk(body, true)
	end
end

local function onstream(_, stream)
	local req = assert(stream:get_headers())
	local method = req:get(":method")
	local path = req:get(":path")
	local get = method == "GET" or method == "HEAD"
	if get and path == "/" then
		respond(stream, method, "200", "text/plain", hello)
	elseif method == "POST" and path == "/echo" then
		local body = assert(stream:get_body_as_string())
		respond(stream, method, "200", "application/octet-stream", body)
	elseif get and path == "/1m" then
		respond(stream, method, "200", "application/octet-stream", big)
	else
		respond(stream, method, "404", "text/plain", "Not Found\n")
	end
end

local server = assert(http_server.listen {
	host = "127.0.0.1",
	port = port,
	reuseaddr = true,
	onstream = onstream,
	-- log and go on (the default raises, which would stop the server on
	-- a client that resets its connection)
	onerror = function(_, _, op, err)
		io.stderr:write("luahttp_bench: ", tostring(op), ": ", tostring(err), "\n")
	end,
})
assert(server:listen())
local _, host, bound = server:localname()
io.stdout:write(host, ":", bound, "\n")
io.stdout:flush()

-- Stop on SIGTERM or SIGINT: block them and wait for them in the loop.
signal.block(signal.SIGTERM, signal.SIGINT)
local sigs = signal.listen(signal.SIGTERM, signal.SIGINT)
local cq = cqueues.new()
cq:wrap(function()
	sigs:wait()
	server:close()
end)
cq:wrap(function()
	local ok, err = server:loop()
	if not ok and err then
		io.stderr:write("luahttp_bench: ", tostring(err), "\n")
	end
end)
assert(cq:loop())
os.exit(0)
