--[[
stream.lua -- streamed bodies both ways with porter.http.server (lua-http's
API): each stream runs in a coroutine, so a handler that waits for body
bytes or for room to write yields instead of blocking the others.
Usage: luajit stream.lua [host:port]   (SIGINT or SIGTERM stops it)

  GET /stream?n=N  N lines "line <i>" (default 10, at most 100000), length
                   unknown: chunked on HTTP/1.1
  POST /upload     hashes the body as it arrives; answers its length and
                   SHA-256 as JSON
  anything else    404
]]
local cqueues = require "cqueues"
local signal = require "cqueues.signal"
local digest = require "openssl.digest"
local http_server = require "porter.http.server"
local http_headers = require "porter.http.headers"

local function respond(stream, status, ctype, body)
	local h = http_headers.new()
	h:append(":status", tostring(status))
	h:append("content-type", ctype)
	assert(stream:write_headers(h, false))
	assert(stream:write_chunk(body, true))
end

-- lines_wanted reads n from a query: the default, at most 100000, or nil
-- when it is not a number.
local function lines_wanted(query)
	local n = ("&" .. query):match("&n=([^&]*)")
	if n == nil then
		return 10
	end
	return n:match("^%d+$") and math.min(tonumber(n), 100000)
end

local function stream_lines(stream, n)
	local h = http_headers.new()
	h:append(":status", "200")
	h:append("content-type", "text/plain")
	assert(stream:write_headers(h, false))
	for i = 1, n do
		assert(stream:write_chunk(("line %d\n"):format(i), false))
	end
	assert(stream:write_chunk("", true))
end

local function upload(stream)
	local sha, total = digest.new("sha256"), 0
	while true do
		local chunk, err = stream:get_next_chunk()
		if chunk == nil then
			assert(err == nil, err) -- a broken body: porter answered already
			break
		end
		sha:update(chunk)
		total = total + #chunk
	end
	local hex = sha:final():gsub(".", function(c)
		return ("%02x"):format(c:byte())
	end)
	respond(stream, 200, "application/json",
		('{"body_length":%d,"body_sha256":"%s"}\n'):format(total, hex))
end

local listen_host, listen_port = (arg[1] or "127.0.0.1:8080"):match("^(.*):(%d+)$")
local server = assert(http_server.listen {
	host = listen_host,
	port = tonumber(listen_port),
	onstream = function(_, stream)
		local req = assert(stream:get_headers())
		local method = req:get(":method")
		local path, query = req:get(":path"):match("^([^?]*)%??(.*)$")
		if method == "GET" and path == "/stream" then
			local n = lines_wanted(query)
			if n then
				stream_lines(stream, n)
			else
				respond(stream, 400, "text/plain", "n must be a number\n")
			end
		elseif method == "POST" and path == "/upload" then
			upload(stream)
		else
			respond(stream, 404, "text/plain", "not found\n")
		end
	end,
	onerror = function(_, _, op, err)
		io.stderr:write("stream.lua: ", op, ": ", tostring(err), "\n")
	end,
})
local _, host, port = server:localname()
print(host .. ":" .. port)
io.stdout:flush()

signal.block(signal.SIGINT, signal.SIGTERM)
local sigs = signal.listen(signal.SIGINT, signal.SIGTERM)
local cq = cqueues.new()
cq:wrap(function()
	sigs:wait()
	server:close() -- requests in flight get 5 s
end)
cq:wrap(function()
	assert(server:loop())
end)
assert(cq:loop())
