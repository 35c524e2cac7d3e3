-- test_core.lua -- the thin core (porter.lua) over real sockets.
local t = require "tap"
local h = require "helpers"
local porter = require "porter"

local function server(options)
	local srv = assert(porter.new(options))
	assert(srv:listen("127.0.0.1:0"))
	assert(srv:start())
	return srv, "http://" .. srv:addr()
end

t.test("library facts", function()
	t.match(porter.version(), "^%d+%.%d+%.%d+$", "version")
	t.equal(porter.EAGAIN, -4, "EAGAIN")
	t.equal(porter.errname(porter.EHANDLE), "PORTER_EHANDLE", "errname")
	t.truthy(#porter.strerror(porter.ECLOSED) > 0, "strerror")
	t.equal(type(porter.C.server_new), "cdata", "raw C functions")
end)

t.test("options and addresses", function()
	t.truthy(not pcall(porter.new, {no_such_option = 1}), "unknown option raises")
	t.truthy(not pcall(porter.new, {queue_depth = "x"}), "wrong type raises")
	local srv = assert(porter.new {header_timeout = 1.5, stream_bodies = true})
	local ok, msg, code = srv:listen("256.1.2.3:99999")
	t.equal(ok, nil, "bad address")
	t.equal(code, porter.ELISTEN, "code")
	t.match(msg, ":", "message has detail")
	t.truthy(not pcall(srv.listen, srv, 80), "address must be a string")
	assert(srv:listen("127.0.0.1:0"))
	t.match(srv:addr(), "^127%.0%.0%.1:%d+$", "addr")
	t.equal(select(3, srv:addr(7)), porter.EINVAL, "unknown listener")
	assert(srv:start())
	t.equal(select(3, srv:next(0.01)), porter.ETIMEDOUT, "timeout")
	assert(srv:shutdown())
	t.equal(select(3, srv:next(5)), porter.ECLOSED, "closed")
	t.equal(srv:close(), true, "close")
	t.equal(srv:close(), true, "close again")
	t.equal(select(3, srv:next(0)), porter.ECLOSED, "next after close")
end)

t.test("the request view, and respond", function()
	local srv, url = server()
	local seen = {}
	h.run(function(cq)
		h.serve(cq, srv, function(kind, req)
			if kind ~= porter.EV_REQUEST then
				return
			end
			seen.method, seen.target, seen.path, seen.query = req:method(), req:target(), req:path(), req:query()
			seen.host, seen.remote, seen.version = req:host(), req:remote(), req:version()
			seen.length, seen.body = req:content_length(), req:body()
			seen.custom = req:header("x-custom")
			seen.missing = select(3, req:header("x-missing"))
			seen.count = 0
			for name, value in req:headers() do
				seen.count = seen.count + 1
				if name:lower() == "x-custom" then
					seen.listed = value
				end
			end
			assert(req:respond(201, {{"X-Twice", "1"}, {"X-Twice", "2"}, {"Content-Type", "text/plain"}}, "made\n"))
			seen.after = select(3, req:respond(200))
			seen.view_after = select(3, req:method())
		end)
		local status, headers, body = h.fetch(url .. "/a/b?x=1", {method = "POST",
			body = "hello", headers = {["x-custom"] = "v a l"}})
		t.equal(status, "201", "status")
		t.equal(body, "made\n", "body")
		t.equal(headers:get_comma_separated("x-twice"), "1,2", "repeated header")
		t.equal(headers:get("content-length"), "5", "porter sets Content-Length")
		srv:shutdown()
	end)
	t.equal(seen.method, "POST", "method")
	t.equal(seen.target, "/a/b?x=1", "target")
	t.equal(seen.path, "/a/b", "path")
	t.equal(seen.query, "x=1", "query")
	t.equal(seen.host, url:sub(8), "host")
	t.match(seen.remote, "^127%.0%.0%.1:%d+$", "remote")
	t.equal(seen.version, 11, "version")
	t.equal(seen.length, 5, "content_length")
	t.equal(seen.body, "hello", "buffered body")
	t.equal(seen.custom, "v a l", "header()")
	t.equal(seen.listed, "v a l", "headers()")
	t.equal(seen.missing, porter.ENOTFOUND, "missing header")
	t.truthy(seen.count >= 4, "header count")
	t.equal(seen.after, porter.EHANDLE, "respond after the end")
	t.equal(seen.view_after, porter.EHANDLE, "view after the end")
	srv:close()
end)

t.test("bad input is refused and the request stays open", function()
	local srv, url = server()
	local codes = {}
	h.run(function(cq)
		h.serve(cq, srv, function(kind, req)
			if kind ~= porter.EV_REQUEST then
				return
			end
			codes.header = select(3, req:respond(200, {["X-Bad"] = "a\r\nb"}))
			codes.framing = select(3, req:respond(200, {["Content-Length"] = "3"}))
			codes.status = select(3, req:respond(42))
			codes.finish = select(3, req:finish())
			t.truthy(not pcall(req.respond, req, "200"), "status must be a number")
			t.truthy(not pcall(req.respond, req, 200, {["X"] = true}), "value must be a string")
			codes.number_value = req:respond(200, {["X-Number"] = 7}, "ok")
		end)
		local status, headers, body = h.fetch(url .. "/")
		t.equal(status, "200", "status")
		t.equal(body, "ok", "body")
		t.equal(headers:get("x-number"), "7", "number value")
		srv:shutdown()
	end)
	t.equal(codes.header, porter.EHEADER, "CRLF in a value")
	t.equal(codes.framing, porter.EHEADER, "Content-Length from the host")
	t.equal(codes.status, porter.EINVAL, "status 42")
	t.equal(codes.finish, porter.ESTATE, "finish before write_head")
	t.equal(codes.number_value, true, "respond after refusals")
	srv:close()
end)

t.test("streamed response with backpressure", function()
	local srv, url = server {stream_buffer = 4096}
	-- More than loopback's socket buffers can hold, so that writes wait.
	local big = h.random(1024 * 1024):rep(24)
	local again = 0
	h.run(function(cq)
		local writing = {} -- id -> {req, offset}
		local function go_on(w)
			while w.from <= #big do
				local n, _, code = w.req:write(big, w.from)
				if not n then
					assert(code == porter.EAGAIN, code)
					again = again + 1
					return
				end
				w.from = w.from + n
			end
			assert(w.req:finish())
		end
		h.serve(cq, srv, function(kind, x)
			if kind == porter.EV_REQUEST then
				assert(x:write_head(200, {["Content-Type"] = "application/octet-stream"}, #big))
				writing[x.id] = {req = x, from = 1}
				go_on(writing[x.id])
			elseif kind == porter.EV_WRITABLE then
				go_on(writing[x])
			end
		end)
		local status, headers, body = h.fetch(url .. "/big")
		t.equal(status, "200", "status")
		t.equal(headers:get("content-length"), tostring(#big), "declared length")
		t.truthy(body == big, "body intact")
		srv:shutdown()
	end)
	t.truthy(again > 0, "writes said EAGAIN")
	srv:close()
end)

t.test("streamed request body with EV_BODY", function()
	local srv, url = server {stream_bodies = true}
	local upload = h.random(2 * 1024 * 1024 + 7)
	local waits, got = 0, {}
	h.run(function(cq)
		local reading
		local function go_on()
			while true do
				local data, _, code = reading:read()
				if data == "" then
					assert(reading:respond(200, nil, tostring(#table.concat(got))))
					return
				elseif data then
					got[#got + 1] = data
				else
					assert(code == porter.EAGAIN, code)
					waits = waits + 1
					return
				end
			end
		end
		h.serve(cq, srv, function(kind, x)
			if kind == porter.EV_REQUEST then
				reading = x
				go_on()
			elseif kind == porter.EV_BODY then
				t.equal(x, reading.id, "event id")
				go_on()
			end
		end)
		local f = os.tmpname()
		local file = assert(io.open(f, "wb"))
		file:write(upload)
		file:close()
		local out, rc = h.curl(("-H 'Transfer-Encoding: chunked' --data-binary @%s %s/up"):format(f, url))
		os.remove(f)
		t.equal(rc, 0, "curl status")
		t.equal(out, tostring(#upload), "length seen")
		srv:shutdown()
	end)
	t.truthy(table.concat(got) == upload, "body intact")
	t.truthy(waits > 0, "reads said EAGAIN")
	srv:close()
end)

t.test("a dropped request is ended by the garbage collector", function()
	local srv, url = server()
	h.run(function(cq)
		h.serve(cq, srv, function() end) -- requests are dropped unanswered
		local status, err
		cq:wrap(function()
			status, err = h.fetch(url .. "/")
		end)
		while not err do
			require("cqueues").sleep(0.02)
			collectgarbage()
		end
		t.equal(status, nil, "no response")
		t.truthy(err, "the connection was closed")
		srv:shutdown()
	end)
	srv:close()
	local lost = assert(porter.new())
	lost = nil -- luacheck: ignore 311
	collectgarbage() -- frees the server
end)

t.test("listener options, pause, stats", function()
	local srv = assert(porter.new())
	t.truthy(not pcall(srv.listen, srv, "127.0.0.1:0", {no_such = true}), "unknown listen option raises")
	assert(srv:listen("127.0.0.1:0", {reuseport = true}))
	local url = "http://" .. srv:addr()
	assert(srv:start())
	assert(srv:pause())
	assert(srv:resume())
	h.run(function(cq)
		h.serve(cq, srv, function(kind, req)
			if kind == porter.EV_REQUEST then
				req:respond(200, nil, "ok")
			end
		end)
		t.equal(select(3, h.fetch(url .. "/")), "ok", "answer")
		local stats = assert(srv:stats())
		t.equal(stats.requests, 1, "stats.requests")
		t.truthy(stats.bytes_out > 0, "stats.bytes_out")
		t.equal(stats.loop_stalls, 0, "stats.loop_stalls (0.3)")
		t.equal(type(stats.host_away), "number", "stats.host_away (0.3)")
		srv:shutdown()
	end)
	srv:close()
end)

t.test("access log", function()
	local plain = assert(porter.new())
	t.equal(select(3, plain:log_next()), porter.ESTATE, "no log without log_depth")
	plain:close()
	local srv, url = server {log_depth = 8}
	t.truthy(srv:log_pollfd() >= 0, "log_pollfd")
	h.run(function(cq)
		h.serve(cq, srv, function(kind, req)
			if kind == porter.EV_REQUEST then
				req:respond(201, nil, "made")
			end
		end)
		t.equal(select(3, h.fetch(url .. "/logged?x=1")), "made", "answer")
		local rec
		for _ = 1, 500 do -- the record follows the response
			rec = srv:log_next()
			if rec then break end
			require("cqueues").sleep(0.01)
		end
		t.truthy(rec, "a record")
		if rec then
			t.equal(rec.kind, "access", "kind")
			t.equal(rec.status, 201, "status")
			t.equal(rec.target, "/logged?x=1", "target")
			t.equal(rec.bytes_out, 4, "bytes_out")
			t.equal(rec.method, "GET", "method")
		end
		t.equal(srv:log_next(), nil, "no more")
		srv:shutdown()
	end)
	srv:close()
end)

t.test("porter.poll", function()
	local srv, url = server()
	t.equal(porter.poll(0.01, srv), nil, "nothing yet")
	os.execute("curl -s --max-time 10 -o /dev/null " .. url .. "/ &")
	t.equal(porter.poll(10, srv), srv, "a request waits")
	srv:close()
end)

t.run()
