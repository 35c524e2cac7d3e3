-- test_httpserver.lua -- porter.httpserver, NodeMCU's API, with curl and
-- lua-http's client as peers.
local t = require "tap"
local h = require "helpers"
local cqueues = require "cqueues"
local porter = require "porter"
local httpserver = require "porter.httpserver"

-- with_server serves handler on 127.0.0.1:0 in a controller while fn(url)
-- runs, then closes the server and waits until it is drained.
local function with_server(handler, fn)
	local server = httpserver.createServer("127.0.0.1:0", handler)
	local port, ip = server:getaddr()
	t.equal(ip, "127.0.0.1", "getaddr ip")
	h.run(function(cq)
		local stopped = false
		cq:wrap(function()
			while true do
				cqueues.poll(server, 1)
				local ok, _, code = server:step(0)
				if not ok then
					assert(code == porter.ECLOSED, code)
					stopped = true
					return
				end
			end
		end)
		fn(("http://%s:%d"):format(ip, port))
		server:close()
		while not stopped do
			cqueues.sleep(0.01)
		end
	end)
end

t.test("callbacks: handler, onheader in lower case, ondata then nil", function()
	local seen = {}
	with_server(function(req, res)
		local log = {req.method .. " " .. req.url}
		seen[#seen + 1] = log
		req.onheader = function(self, name, value)
			assert(self == req)
			log[#log + 1] = name .. ": " .. value
		end
		req.ondata = function(self, chunk)
			assert(self == req)
			log[#log + 1] = chunk == nil and "<end>" or ("%d bytes"):format(#chunk)
			if chunk == nil then
				res:send_header("Content-Type", "text/plain")
				res:finish("done\n")
			end
		end
	end, function(url)
		local status, headers, body = h.fetch(url .. "/a?b=1", {headers = {["X-Thing"] = "v"}})
		t.equal(status, "200", "status")
		t.equal(body, "done\n", "body")
		t.equal(headers:get("content-length"), "5", "finish alone: Content-Length")
		t.equal(headers:get("content-type"), "text/plain", "send_header")
		h.fetch(url .. "/up", {method = "POST", body = ("x"):rep(300000)})
	end)
	local get = table.concat(seen[1], "\n")
	t.match(get, "^GET /a%?b=1\n", "method and url")
	t.match(get, "\nx%-thing: v\n", "header name in lower case")
	t.match(get, "\n<end>$", "ondata(nil) for a body-less request")
	local post, total = seen[2], 0
	for _, entry in ipairs(post) do
		total = total + (tonumber(entry:match("^(%d+) bytes$")) or 0)
	end
	t.equal(total, 300000, "body bytes through ondata")
	t.equal(post[#post], "<end>", "then nil")
end)

t.test("res:send streams chunked, keep-alive holds, status codes", function()
	local big = ("0123456789"):rep(400000) -- 4 MB: more than porter buffers
	with_server(function(req, res)
		if req.url == "/stream" then
			res:send(nil, 201)
			res:send_header("X-Kind", "stream")
			for i = 1, 50 do
				res:send(("part %d\n"):format(i))
			end
			res:finish("end\n")
		elseif req.url == "/big" then
			res:send(big)
			res:send(big)
			res:finish()
		elseif req.url == "/late" then
			req.ondata = function(_, chunk)
				if not chunk then
					res:finish("late\n", 202)
				end
			end
		elseif req.url == "/error" then
			error("boom")
		else
			res:finish(nil, 204)
		end
	end, function(url)
		local status, headers, body = h.fetch(url .. "/stream")
		t.equal(status, "201", "status from send")
		t.equal(headers:get("x-kind"), "stream", "header before the body")
		t.equal(headers:get("transfer-encoding"), "chunked", "chunked")
		t.match(body, "^part 1\n.*part 50\nend\n$", "body")
		status, headers, body = h.fetch(url .. "/big")
		t.truthy(body == big .. big, "8 MB through the Lua-side queue")
		t.equal(select(1, h.fetch(url .. "/late")), "202", "an answer from ondata")
		t.equal(select(1, h.fetch(url .. "/nothing")), "204", "finish with a status only")
		t.equal(select(1, h.fetch(url .. "/error")), "500", "a handler that raised")
		local out = h.curl("-o /dev/null -o /dev/null -w '%{num_connects}' " .. url .. "/a " .. url .. "/b")
		t.equal(out, "10", "keep-alive")
	end)
end)

t.test("send_header after the body started raises", function()
	local raised
	with_server(function(_, res)
		res:send("x")
		raised = not pcall(res.send_header, res, "X-Late", "1")
		res:finish()
	end, function(url)
		h.fetch(url .. "/")
	end)
	t.truthy(raised, "raised")
end)

t.test("a new server replaces the previous one", function()
	local first = httpserver.createServer("127.0.0.1:0", function() end)
	t.equal(httpserver.current, first, "current")
	local second = httpserver.createServer("127.0.0.1:0", function() end)
	t.equal(httpserver.current, second, "replaced")
	t.equal(select(3, first:step(5)), porter.ECLOSED, "the first one is closed")
	second:close(0)
	t.equal(select(3, second:step(5)), porter.ECLOSED, "closed")
	t.truthy(not pcall(httpserver.createServer, 80, "not a function"), "handler must be a function")
end)

t.run()
