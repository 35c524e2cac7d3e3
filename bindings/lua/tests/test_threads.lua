-- test_threads.lua -- porter.threads: several Lua states on several OS
-- threads pulling from one server.
local t = require "tap"
local h = require "helpers"
local cqueues = require "cqueues"
local porter = require "porter"
local threads = require "porter.threads"

-- Each thread serves with porter.http.server. Its answers say which
-- thread (index and OS thread id) ran the handler, and whether Lua ever
-- ran on another thread in that state (a debug hook checks).
local WORKER = [[
local srv, index, marker = ...
local ffi = require "ffi"
local tap = require "tap" -- its tid() and its hook's idea of home
local http_server = require "porter.http.server"
local http_headers = require "porter.http.headers"
local home, foreign = tap.tid(), 0
debug.sethook(function()
	if tap.tid() ~= home then
		foreign = foreign + 1
	end
end, "", 1000)
ffi.cdef "int porter_test_poll(void *fds, unsigned long n, int ms) __asm__(\"poll\");"

local server = http_server.new {
	porter = srv,
	onstream = function(_, stream)
		local path = stream:get_headers():get(":path")
		local body = assert(stream:get_body_as_string())
		if path == "/block" then
			assert(io.open(marker, "w")):close()
			ffi.C.porter_test_poll(nil, 0, 500) -- this whole thread stops
		end
		local res = http_headers.new()
		res:append(":status", "200")
		assert(stream:write_headers(res, false))
		if path == "/echo" then
			assert(stream:write_chunk(body, true))
		else
			assert(stream:write_chunk(("%d %d %d %d"):format(index, tap.tid(), home, foreign), true))
		end
	end,
}
assert(server:loop())
]]

local function start(n)
	local srv = assert(porter.new {stream_bodies = true})
	assert(srv:listen("127.0.0.1:0"))
	assert(srv:start())
	local marker = os.tmpname()
	os.remove(marker)
	local pool = assert(threads.start(srv, n, WORKER, marker))
	return srv, pool, "http://" .. srv:addr(), marker
end

local function stop(srv, pool)
	assert(srv:shutdown(5))
	local ok, err = pool:join()
	t.equal(err, nil, "errors from the threads")
	t.equal(ok, true, "join")
	srv:close()
end

local function answer(body)
	local index, tid, home, foreign = body:match("^(%d+) (%d+) (%d+) (%d+)$")
	return tonumber(index), tonumber(tid), tonumber(home), tonumber(foreign)
end

t.test("a blocked thread leaves the requests to the others", function()
	local srv, pool, url, marker = start(2)
	local blocked, free
	h.run(function(cq)
		cq:wrap(function()
			blocked = select(3, h.fetch(url .. "/block"))
		end)
		while not io.open(marker) do
			cqueues.sleep(0.01)
		end
		free = select(3, h.fetch(url .. "/free"))
		while not blocked do
			cqueues.sleep(0.01)
		end
	end)
	os.remove(marker)
	stop(srv, pool)
	local b_index, b_tid, b_home, b_foreign = answer(blocked)
	local f_index, f_tid, f_home, f_foreign = answer(free)
	t.truthy(b_index and f_index, "answers: " .. tostring(blocked) .. " / " .. tostring(free))
	t.truthy(b_index ~= f_index, "two threads answered")
	t.truthy(b_tid ~= f_tid, "two OS threads")
	t.equal(b_tid, b_home, "handler on its state's thread")
	t.equal(f_tid, f_home, "handler on its state's thread")
	t.truthy(b_tid ~= t.tid() and f_tid ~= t.tid(), "not the main thread")
	t.equal(b_foreign + f_foreign, 0, "Lua never ran on another thread")
end)

t.test("bodies cross threads intact (events go to the state that waits)", function()
	local srv, pool, url = start(3)
	local upload = h.random(1024 * 1024 + 3):rep(2)
	local results, done = {}, 0
	h.run(function(cq)
		for i = 1, 8 do
			cq:wrap(function()
				local _, headers, body = h.fetch(url .. "/echo", {method = "POST", body = upload})
				results[i] = body or tostring(headers)
				done = done + 1
			end)
		end
		while done < 8 do
			cqueues.sleep(0.01)
		end
	end, 60)
	stop(srv, pool)
	for i = 1, 8 do
		t.truthy(results[i] == upload, ("echo %d: %d bytes, %q"):format(i, #results[i], results[i]:sub(1, 100)))
	end
end)

t.test("errors in a thread are reported by join", function()
	local srv = assert(porter.new())
	assert(srv:listen("127.0.0.1:0"))
	assert(srv:start())
	local pool = assert(threads.start(srv, 2, "error('thread failed on purpose')"))
	local ok, err = pool:join()
	t.equal(ok, nil, "join fails")
	t.match(err, "thread 1: .*failed on purpose", "message")
	t.match(err, "thread 2: ", "both")
	local none, msg = threads.start(srv, 1, "this is not Lua")
	t.equal(none, nil, "a syntax error")
	t.truthy(msg, "its message")
	srv:close()
	t.truthy(not pcall(threads.start, srv, 0, ""), "n must be positive")
end)

t.run()
