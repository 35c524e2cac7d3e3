-- test_http_server.lua -- porter.http.server, lua-http's API, with
-- lua-http's client and curl as peers.
local t = require "tap"
local h = require "helpers"
local cqueues = require "cqueues"
local ce = require "cqueues.errno"
local porter = require "porter"
local http_server = require "porter.http.server"
local new_headers = require("porter.http.headers").new

-- reply sends a whole response from a handler.
local function reply(stream, status, body, fields)
	local res = new_headers()
	res:append(":status", status)
	for name, value in pairs(fields or {}) do
		res:append(name, value)
	end
	assert(stream:write_headers(res, false))
	assert(stream:write_chunk(body, true))
end

-- with_server runs fn(url, server) in a controller where a server with
-- `onstream` runs, then closes the server and checks its loop ended well.
local function with_server(onstream, fn, options)
	options = options or {}
	h.run(function(cq)
		local errors = {}
		local server = assert(http_server.listen {
			host = "127.0.0.1",
			port = 0,
			cq = not options.own_cq and cq or nil,
			onstream = onstream,
			onerror = options.onerror or function(_, _, op, err)
				errors[#errors + 1] = op .. ": " .. tostring(err)
			end,
		})
		assert(server:listen())
		local _, host, port = server:localname()
		local loop_done
		if options.own_cq then
			cq:wrap(function()
				loop_done = {server:loop()}
			end)
		end
		fn(("http://%s:%d"):format(host, port), server)
		server:close()
		if options.own_cq then
			while not loop_done do
				cqueues.sleep(0.01)
			end
			t.equal(loop_done[1], true, "server:loop() result")
		end
		if not options.onerror then
			t.equal(table.concat(errors, "; "), "", "onerror calls")
		end
	end)
end

t.test("hello, request headers and keep-alive", function()
	local seen
	with_server(function(_, stream)
		local req = assert(stream:get_headers())
		seen = {}
		for name, value in req:each() do
			seen[#seen + 1] = name .. "=" .. value
		end
		seen.version = stream.connection.version
		seen.again = stream:get_headers()
		seen.family, seen.ip, seen.port = stream:peername()
		reply(stream, "200", "Hello World\n", {["content-type"] = "text/plain"})
	end, function(url)
		local status, headers, body = h.fetch(url .. "/p?q=1", {headers = {["x-a"] = "1"}})
		t.equal(status, "200", "status")
		t.equal(body, "Hello World\n", "body")
		t.equal(headers:get("content-length"), "12", "length")
		t.equal(headers:get("content-type"), "text/plain", "type")
		local joined = table.concat(seen, " ")
		t.match(joined, "^:method=GET :path=/p%?q=1 :scheme=http :authority=127%.0%.0%.1:%d+ ", "pseudo fields first")
		t.match(joined, " x%-a=1", "field names in lower case")
		t.equal(seen.version, 1.1, "connection.version")
		t.equal(seen.again, nil, "headers are handed out once")
		t.equal(seen.ip, "127.0.0.1", "peername")
		local out = h.curl("-0 -s " .. url .. "/")
		t.equal(out, "Hello World\n", "HTTP/1.0")
		t.equal(seen.version, 1.0, "connection.version 1.0")
		out = h.curl("-o /dev/null -o /dev/null -w '%{num_connects}' " .. url .. "/a " .. url .. "/b")
		t.equal(out, "10", "the second request reuses the connection")
	end)
end)

t.test("request bodies: whole, by size, up to a pattern, by chunk, to a file", function()
	local upload = h.random(3 * 1024 * 1024 + 5)
	local got = {}
	with_server(function(_, stream)
		local path = stream:get_headers():get(":path")
		if path == "/string" then
			got.string = assert(stream:get_body_as_string())
		elseif path == "/chars" then
			got.first = stream:get_body_chars(3)
			got.rest = assert(stream:get_body_as_string())
			got.after = stream:get_body_chars(3)
		elseif path == "/until" then
			got.line = stream:get_body_until("\n", true, false)
			got.line2 = stream:get_body_until("\n", true, true)
			got.tail = stream:get_body_until("\n", true, false)
		elseif path == "/chunks" then
			local n, total = 0, 0
			for chunk in stream:each_chunk() do
				n, total = n + 1, total + #chunk
			end
			got.chunks, got.total = n, total
		elseif path == "/file" then
			local f = assert(io.tmpfile())
			assert(stream:save_body_to_file(f))
			f:seek("set")
			got.file = f:read("*a")
			f:close()
		end
		reply(stream, "200", "ok")
	end, function(url)
		h.fetch(url .. "/string", {method = "POST", body = upload})
		h.fetch(url .. "/chars", {method = "POST", body = "abcdef"})
		h.fetch(url .. "/until", {method = "POST", body = "one\ntwo\nthree"})
		local name = os.tmpname()
		local f = assert(io.open(name, "wb"))
		f:write(upload)
		f:close()
		h.curl(("-H 'Transfer-Encoding: chunked' --data-binary @%s %s/chunks"):format(name, url))
		h.curl(("--data-binary @%s %s/file"):format(name, url))
		os.remove(name)
	end)
	t.truthy(got.string == upload, "get_body_as_string")
	t.equal(got.first, "abc", "get_body_chars")
	t.equal(got.rest, "def", "the rest after get_body_chars")
	t.equal(got.after, nil, "get_body_chars at the end")
	t.equal(got.line, "one", "get_body_until")
	t.equal(got.line2, "two\n", "get_body_until with the pattern")
	t.equal(got.tail, "three", "get_body_until at the end")
	t.equal(got.total, #upload, "each_chunk")
	t.truthy(got.chunks > 1, "several chunks")
	t.truthy(got.file == upload, "save_body_to_file")
end)

t.test("responses: streamed, declared length, from a file, HEAD, 404", function()
	local big = h.random(1024 * 1024):rep(16)
	with_server(function(_, stream)
		local req = stream:get_headers()
		local path = req:get(":path")
		local res = new_headers()
		res:append(":status", path == "/missing" and "404" or "200")
		if path == "/stream" then
			assert(stream:write_headers(res, false))
			for i = 1, 100 do
				assert(stream:write_chunk(("line %d\n"):format(i), false))
			end
			assert(stream:write_chunk("", true))
		elseif path == "/big" then
			res:append("content-length", tostring(#big))
			assert(stream:write_headers(res, false))
			assert(stream:write_chunk(big:sub(1, 1000), false))
			assert(stream:write_chunk(big:sub(1001), true))
		elseif path == "/file" then
			local f = assert(io.tmpfile())
			f:write("from a file\n")
			f:seek("set")
			assert(stream:write_headers(res, false))
			assert(stream:write_body_from_file(f))
		elseif path == "/head" then
			res:append("content-length", "5")
			assert(stream:write_headers(res, req:get(":method") == "HEAD"))
			if req:get(":method") ~= "HEAD" then
				assert(stream:write_body_from_string("hello"))
			end
		else
			assert(stream:write_headers(res, true))
		end
	end, function(url)
		local status, headers, body = h.fetch(url .. "/stream")
		t.equal(status, "200", "streamed status")
		t.equal(headers:get("transfer-encoding"), "chunked", "chunked")
		t.equal(select(2, body:gsub("\n", "")), 100, "100 lines")
		status, headers, body = h.fetch(url .. "/big")
		t.equal(headers:get("content-length"), tostring(#big), "declared length")
		t.truthy(body == big, "big body intact")
		t.equal(select(3, h.fetch(url .. "/file")), "from a file\n", "write_body_from_file")
		t.equal(select(3, h.fetch(url .. "/head")), "hello", "GET with a length")
		local out = h.curl("-sI " .. url .. "/head")
		t.match(out:lower(), "content%-length: 5\r\n", "HEAD keeps the length")
		status, headers = h.fetch(url .. "/missing")
		t.equal(status, "404", "404")
		t.equal(headers:get("content-length"), "0", "empty body")
	end)
end)

t.test("handlers that yield to cqueues do not block the others", function()
	local order = {}
	with_server(function(_, stream)
		local path = stream:get_headers():get(":path")
		if path == "/slow" then
			cqueues.sleep(0.3)
		end
		order[#order + 1] = path
		reply(stream, "200", path)
	end, function(url)
		local done = 0
		local cq = cqueues.running()
		cq:wrap(function()
			t.equal(select(3, h.fetch(url .. "/slow")), "/slow", "slow answer")
			done = done + 1
		end)
		cqueues.sleep(0.05)
		t.equal(select(3, h.fetch(url .. "/fast")), "/fast", "fast answer")
		while done < 1 do
			cqueues.sleep(0.01)
		end
		t.equal(table.concat(order, ","), "/fast,/slow", "the fast one was answered first")
	end)
end)

t.test("a handler uses a cqueues socket (lua-http's client) to this server", function()
	with_server(function(_, stream)
		local path = stream:get_headers():get(":path")
		if path == "/inner" then
			reply(stream, "200", "inner")
		else
			local _, host, port = stream:localname()
			local status, _, body = h.fetch(("http://%s:%d/inner"):format(host, port))
			reply(stream, "200", "outer got " .. status .. " " .. body)
		end
	end, function(url)
		t.equal(select(3, h.fetch(url .. "/outer")), "outer got 200 inner", "nested request")
	end)
end)

t.test("the server's own controller inside the program's controller", function()
	with_server(function(_, stream)
		cqueues.sleep(0.01)
		reply(stream, "200", "nested loop")
	end, function(url, server)
		t.equal(select(3, h.fetch(url .. "/")), "nested loop", "answer")
		t.equal(type(server:pollfd()), "number", "pollfd")
		t.equal(type(server:events()), "string", "events")
		t.equal(server:empty(), false, "not empty while open")
	end, {own_cq = true})
end)

t.test("timeouts, unanswered streams and handler errors", function()
	local errors = {}
	local timed
	with_server(function(_, stream)
		local path = stream:get_headers():get(":path")
		if path == "/timeout" then
			local first = stream:get_next_chunk(5)
			timed = {stream:get_next_chunk(0.2)}
			timed.first = first
			reply(stream, "200", "gave up")
		elseif path == "/error" then
			error("boom")
		end
		-- /silent: returns without answering
	end, function(url)
		t.equal(select(1, h.fetch(url .. "/silent")), "503", "a handler that does not answer")
		t.equal(select(1, h.fetch(url .. "/error")), "503", "a handler that raised")
		-- a body that never comes: announce 10 bytes, send 2
		local sock = require("cqueues.socket").connect(url:match("//(.-):"), tonumber(url:match(":(%d+)$")))
		sock:setmode("b", "b")
		assert(sock:write("POST /timeout HTTP/1.1\r\nHost: " .. url:match("//(.*)") ..
			"\r\nContent-Length: 10\r\n\r\nab"))
		sock:settimeout(10)
		local line = sock:read("*l")
		t.match(line, "^HTTP/1.1 200", "answered after the timeout")
		sock:close()
	end, {onerror = function(_, _, op, err)
		errors[#errors + 1] = op .. ": " .. tostring(err)
	end})
	t.equal(timed.first, "ab", "the bytes that came")
	t.equal(timed[1], nil, "no chunk")
	t.equal(timed[3], ce.ETIMEDOUT, "ETIMEDOUT")
	t.equal(#errors, 1, "one error reported")
	t.match(errors[1], "^onstream: .*boom", "onerror")
end)

t.test("listeners: unix socket, reuseport, v6only, TLS, adopted sockets", function()
	local dir = os.tmpname()
	os.remove(dir)
	assert(os.execute("mkdir -m 700 " .. dir) == 0)
	local function hello(_, stream)
		reply(stream, "200", "hello over " .. stream.connection.version)
	end
	h.run(function(cq)
		local sock_path = dir .. "/porter.sock"
		local on_unix = assert(http_server.listen {path = sock_path, mode = "0600", cq = cq, onstream = hello})
		local out = h.curl("--unix-socket " .. sock_path .. " http://x/")
		t.equal(out, "hello over 1.1", "unix socket")
		on_unix:close()

		local first = assert(http_server.listen {host = "127.0.0.1", port = 0, reuseport = true,
			cq = cq, onstream = hello})
		local _, _, port = first:localname()
		local second, err = http_server.listen {host = "127.0.0.1", port = port, reuseport = true,
			cq = cq, onstream = hello}
		t.truthy(second, "a second listener on the same port: " .. tostring(err))
		t.equal(select(3, h.fetch(("http://127.0.0.1:%d/"):format(port))), "hello over 1.1", "reuseport")
		first:close()
		second:close()

		local six, six_err = http_server.listen {host = "::", port = 0, v6only = true, cq = cq, onstream = hello}
		if six then
			six:close()
		else
			t.truthy(not tostring(six_err):find("not supported"), "v6only: " .. tostring(six_err))
		end

		local tls = assert(http_server.listen {host = "127.0.0.1", port = 0, tls = true, cq = cq, onstream = hello})
		_, _, port = tls:localname()
		out = h.curl(("-k --http1.1 https://127.0.0.1:%d/"):format(port))
		t.equal(out, "hello over 1.1", "TLS with a self-signed certificate")
		tls:close()

		local cs = require "cqueues.socket"
		local socket = cs.listen {host = "127.0.0.1", port = 0}
		local adopted = http_server.new {socket = socket, cq = cq, onstream = hello}
		local _, _, socket_port = socket:localname()
		t.equal(select(3, h.fetch(("http://127.0.0.1:%d/"):format(socket_port))), "hello over 1.1",
			"new{socket = a cqueues socket}")
		adopted:close()

		local own = cs.listen {host = "127.0.0.1", port = 0}
		own:listen()
		local _, _, own_port = own:localname()
		local server = assert(http_server.listen {host = "127.0.0.1", port = 0, cq = cq, onstream = hello})
		local got
		cq:wrap(function()
			got = select(3, h.fetch(("http://127.0.0.1:%d/"):format(own_port)))
		end)
		assert(server:add_socket(assert(own:accept(5))))
		while not got do
			cqueues.sleep(0.01)
		end
		t.equal(got, "hello over 1.1", "add_socket")
		server:close()
		own:close()
	end)
	os.execute("rm -rf " .. dir)
end)

t.test("pause and resume", function()
	with_server(function(_, stream)
		reply(stream, "200", "served")
	end, function(url, server)
		assert(server:pause())
		local got
		cqueues.running():wrap(function()
			got = select(3, h.fetch(url .. "/"))
		end)
		cqueues.sleep(0.3)
		t.equal(got, nil, "no answer while paused")
		assert(server:resume())
		local deadline = cqueues.monotime() + 20
		while not got and cqueues.monotime() < deadline do
			cqueues.sleep(0.01)
		end
		t.equal(got, "served", "answered once resumed")
	end)
end)

t.test("what porter cannot do yet is refused", function()
	local function refused(options, what)
		options.host, options.onstream = options.host or "127.0.0.1", function() end
		options.port = options.port or 0
		local ok, msg, errno = http_server.listen(options)
		t.equal(ok, nil, what)
		t.match(msg, "not supported", what .. " message")
		t.equal(errno, ce.EOPNOTSUPP, what .. " errno")
	end
	refused({tls = true, ctx = require("http.tls").new_server_context()}, "a luaossl ctx")
	refused({version = 2}, "HTTP/2")
	t.truthy(not pcall(http_server.listen, {onstream = function() end}), "no host raises")
	t.truthy(not pcall(http_server.listen, {host = "127.0.0.1", onstream = function() end}), "no port raises")
	local server = assert(http_server.listen {host = "127.0.0.1", port = 0, reuseaddr = true,
		onstream = function() end})
	local old = server:onerror()
	t.equal(type(old), "function", "default onerror")
	server:onerror(print)
	t.equal(server:onerror(), print, "onerror set")
	server:close()
	t.equal(server:loop(5), true, "loop after close")
	local busy = assert(porter.new())
	assert(busy:listen("127.0.0.1:0"))
	local port = tonumber(busy:addr():match(":(%d+)$"))
	local ok, msg, errno = http_server.listen {host = "127.0.0.1", port = port, onstream = function() end}
	t.equal(ok, nil, "address in use")
	t.equal(errno, ce.EADDRINUSE, "EADDRINUSE: " .. tostring(msg))
	busy:close()
end)

t.run()
