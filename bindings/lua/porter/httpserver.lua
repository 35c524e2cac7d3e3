--[[
porter.httpserver -- NodeMCU's httpserver module on porter.

    require("httpserver").createServer(80, function(req, res)
        req.onheader = function(self, name, value) ... end -- names lower case
        req.ondata = function(self, chunk)                 -- nil at the end
            if not chunk then
                res:send_header("Content-Type", "text/plain")
                res:finish("Hello, world!\n")
            end
        end
    end)

Callbacks run on the thread that runs the server's loop, one at a time, as
on NodeMCU; nothing in them may block. Unlike NodeMCU's module, a
connection is kept alive and every response is framed: res:finish() alone
sends one response with Content-Length; res:send() starts a chunked one.
Writes never block: what porter cannot take yet waits in Lua until it can.

NodeMCU runs its event loop after init.lua returns; here porter/nodemcu.lua
plays that part (luajit porter/nodemcu.lua init.lua), or a program calls
server:loop() or server:step() itself.
]]
local porter = require "porter"
local ffi = require "ffi"

local EV_REQUEST, EV_BODY, EV_ABORT = porter.EV_REQUEST, porter.EV_BODY, porter.EV_ABORT
local EAGAIN, ETIMEDOUT, ECLOSED = porter.EAGAIN, porter.ETIMEDOUT, porter.ECLOSED

local function report(what, err)
	io.stderr:write("httpserver: ", what, ": ", tostring(err), "\n")
end

-- ---- Responses ---------------------------------------------------------

local Response = {}
Response.__index = Response

-- An exchange is one request with its response; the server holds it in
-- `live` until it ends, so that porter's events find it.
local function end_exchange(x)
	x.done = true
	x.server.live[x.req.id] = nil
end

-- fail ends an exchange that went wrong: a 500 if nothing was sent yet.
local function fail(x, what, err)
	if what then
		report(what, err)
	end
	if not x.done then
		if x.started then
			x.req:abort()
		else
			x.req:respond(500)
		end
		end_exchange(x)
	end
end

-- drain writes queued body bytes until porter takes no more (a
-- porter.EV_WRITABLE event resumes it), then finishes if asked to.
local function drain(x)
	local queue, req = x.queue, x.req
	while #queue > 0 do
		local chunk = queue[1]
		local n, err, code = req:write(chunk, x.offset)
		if not n then
			if code ~= EAGAIN then
				return fail(x, code ~= porter.EABORTED and "write" or nil, err)
			end
			return
		end
		x.offset = x.offset + n
		if x.offset > #chunk then
			table.remove(queue, 1)
			x.offset = 1
		end
	end
	if x.finishing then
		req:finish()
		end_exchange(x)
	end
end

local function start_body(x)
	x.started = true
	local ok, err, code = x.req:write_head(x.status, x.headers)
	if not ok then
		fail(x, code ~= porter.EABORTED and "send" or nil, err)
	end
	return ok
end

-- res:send_header(name, value) adds a response header; only before the
-- body starts.
function Response:send_header(name, value)
	local x = self.x
	if x.started then
		error("httpserver: send_header after the body started", 2)
	end
	x.headers[#x.headers + 1] = {name, tostring(value)}
end

-- res:send(data, [status]) sets the status (default 200) and, with data,
-- starts or goes on with a chunked body.
function Response:send(data, status)
	local x = self.x
	if x.done then
		return
	end
	if status and not x.started then
		x.status = status
	end
	if data == nil or data == "" then
		return
	end
	if not x.started and not start_body(x) then
		return
	end
	x.queue[#x.queue + 1] = tostring(data)
	if #x.queue == 1 then
		drain(x)
	end
end

-- res:finish([data], [status]) ends the response. With nothing sent
-- before, it is one response with Content-Length.
function Response:finish(data, status)
	local x = self.x
	if x.done or x.finishing then
		return
	end
	if not x.started then
		local ok, err, code = x.req:respond(status or x.status, x.headers,
			data ~= nil and tostring(data) or nil)
		end_exchange(x)
		if not ok and code ~= porter.EABORTED then
			report("finish", err)
		end
		return
	end
	x.finishing = true
	self:send(data)
	if #x.queue == 0 then
		drain(x)
	end
end

-- ---- Requests ----------------------------------------------------------

-- read_body hands the body to req.ondata as it arrives, then nil.
local function read_body(x)
	local r, req = x.r, x.req
	while not x.done and not x.body_done and r.ondata do
		local data, err, code = req:read()
		if data == "" then
			x.body_done = true
			local ok, cerr = pcall(r.ondata, r, nil)
			if not ok then
				fail(x, "ondata", cerr)
			end
		elseif data then
			local ok, cerr = pcall(r.ondata, r, data)
			if not ok then
				fail(x, "ondata", cerr)
			end
		elseif code == EAGAIN then
			return -- a porter.EV_BODY event brings us back
		else
			x.body_done = true
			return fail(x, code ~= porter.EABORTED and "read" or nil, err)
		end
	end
end

local function on_request(server, req)
	local v = req.view -- valid now: copy what the callbacks see
	local r = {
		method = ffi.string(v.method, v.method_len),
		url = ffi.string(v.target, v.target_len),
	}
	local x = {server = server, req = req, r = r, status = 200, headers = {},
		queue = {}, offset = 1, started = false, finishing = false,
		done = false, body_done = tonumber(v.content_length) == 0}
	local res = setmetatable({x = x}, Response)
	server.live[req.id] = x
	local ok, err = pcall(server.handler, r, res)
	if not ok then
		return fail(x, "handler", err)
	end
	if r.onheader and not x.done then
		for i = 0, tonumber(v.header_count) - 1 do
			local h = v.headers[i]
			ok, err = pcall(r.onheader, r, ffi.string(h.name, h.name_len):lower(),
				ffi.string(h.value, h.value_len))
			if not ok then
				return fail(x, "onheader", err)
			end
		end
	end
	if x.body_done and r.ondata and not x.done then
		x.body_done = true
		ok, err = pcall(r.ondata, r, nil)
		if not ok then
			return fail(x, "ondata", err)
		end
	end
	read_body(x)
end

-- ---- Servers -----------------------------------------------------------

local Server = {}
Server.__index = Server

local M = {}

--[[ httpserver.createServer(port, handler) listens on port (all
addresses) or on a "host:port" string and calls handler(req, res) for
each request. As on NodeMCU only one server runs at a time: a new one
closes the previous one. ]]
function M.createServer(port, handler)
	if type(handler) ~= "function" then
		error("bad argument #2 to 'createServer' (function expected)", 2)
	end
	local address = type(port) == "string" and port:find(":", 1, true) and port
		or ":" .. tostring(port)
	if M.current then
		M.current:close(0)
	end
	local srv = assert(porter.new {stream_bodies = true})
	assert(srv:listen(address))
	assert(srv:start())
	local server = setmetatable({porter = srv, handler = handler, live = {},
		closed = false}, Server)
	M.current = server
	return server
end

-- server:getaddr() returns port, ip, as NodeMCU's net.server does.
function Server:getaddr()
	local ip, port = self.porter:addr():match("^%[?(.-)%]?:(%d+)$")
	return tonumber(port), ip
end

-- server:pollfd() and server:events() let a loop (cqueues.poll, say)
-- wait until server:step(0) has work.
function Server:pollfd()
	return self.porter:pollfd()
end

function Server:events()
	return "r"
end

-- server:step([timeout]) handles the events that come within timeout
-- seconds (nil: wait for at least one). Returns true, or nil, message,
-- porter.ECLOSED once the server is closed and drained.
function Server:step(timeout)
	local srv, live = self.porter, self.live
	local kind, x, code = srv:next(timeout)
	while kind do
		if kind == EV_REQUEST then
			on_request(self, x)
		else
			local xc = live[x]
			if xc then
				if kind == EV_ABORT then
					xc.req:abort()
					end_exchange(xc)
				elseif kind == EV_BODY then
					read_body(xc)
				else
					drain(xc)
				end
			end
		end
		kind, x, code = srv:next(0)
	end
	if code == ETIMEDOUT then
		return true
	end
	-- Closed and drained (ECLOSED): the porter server is freed with this
	-- object, not now: a loop may still be watching its descriptor.
	return nil, x, code
end

-- server:loop() runs the server until it is closed and drained.
function Server:loop()
	while true do
		local ok, err, code = self:step()
		if not ok then
			return code == ECLOSED or nil, err, code
		end
	end
end

-- server:close([grace]) stops accepting; requests in flight get grace
-- seconds (default 5) while the loop runs, then porter aborts them.
function Server:close(grace)
	if not self.closed then
		self.closed = true
		self.porter:shutdown(grace or 5)
		if M.current == self then
			M.current = nil
		end
	end
end

return M
