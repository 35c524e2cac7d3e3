--[[
porter.http.server -- lua-http's http.server API on porter.

A program written for lua-http's http.server runs unchanged when
`http.server` and `http.headers` resolve to porter.http.server and
porter.http.headers. As in lua-http the server lives in a cqueues
controller (its own, or the `cq` option): server:loop(), :step(), :pollfd()
drive it, and each stream's handler runs in a coroutine of that
controller, so it may wait for body bytes, for room to write, or on any
cqueues object (cqueues.sleep, sockets, conditions) without blocking the
others. porter does the HTTP and the socket I/O on its own threads; Lua
code runs only on the thread that runs the controller.

What porter cannot do yet is refused, not faked: see docs/lua.md.
]]
local ffi = require "ffi"
local cqueues = require "cqueues"
local condition = require "cqueues.condition"
local ce = require "cqueues.errno"
local porter = require "porter"
local new_headers = require("porter.http.headers").new

local monotime = cqueues.monotime
local unpack = table.unpack or unpack -- luacheck: ignore 143
local EV_REQUEST = porter.EV_REQUEST
local EAGAIN, ETIMEDOUT, ECLOSED = porter.EAGAIN, porter.ETIMEDOUT, porter.ECLOSED
local ffi_string = ffi.string

-- errno says in cqueues.errno terms what a porter code means for a stream.
local errnos = {
	[porter.EABORTED] = ce.ECONNRESET,
	[porter.EPEER] = ce.ECONNRESET,
	[porter.ETIMEDOUT] = ce.ETIMEDOUT,
	[porter.ECLOSED] = ce.EPIPE,
	[porter.EHANDLE] = ce.EPIPE,
}

local function failure(message, code)
	return nil, message, errnos[code] or ce.EINVAL
end

local function pipe_error()
	return nil, ce.strerror(ce.EPIPE), ce.EPIPE
end

local function timed_out()
	return nil, ce.strerror(ce.ETIMEDOUT), ce.ETIMEDOUT
end

local function not_supported(what)
	return nil, "porter.http.server: " .. what .. " is not supported yet", ce.EOPNOTSUPP
end

local function pack(...)
	return {n = select("#", ...), ...}
end

-- ---- Streams -----------------------------------------------------------

local stream_methods = {}
local stream_mt = {__name = "http.h1_stream", __index = stream_methods}

function stream_mt:__tostring()
	return ("http.h1_stream{id=%d}"):format(self.id)
end

-- One shared stand-in per HTTP version: porter keeps connections to itself.
local connections = {
	[10] = {version = 1.0, type = "server"},
	[11] = {version = 1.1, type = "server"},
	[20] = {version = 2, type = "server"},
}

local function new_stream(server, req)
	-- The view is valid now (the request was just handed out): copy what
	-- the stream needs, so that nothing reads it after the request ends.
	local v = req.view
	local method = ffi_string(v.method, v.method_len)
	local target = ffi_string(v.target, v.target_len)
	local headers = new_headers()
	headers:append(":method", method)
	if method == "CONNECT" then
		headers:append(":authority", target)
	else
		headers:append(":path", target)
	end
	headers:append(":scheme", "http")
	local fields = v.headers
	for i = 0, tonumber(v.header_count) - 1 do
		local f = fields[i]
		local name = ffi_string(f.name, f.name_len):lower()
		if name == "host" then
			if method ~= "CONNECT" then
				headers:append(":authority", ffi_string(f.value, f.value_len))
			end
		else
			headers:append(name, ffi_string(f.value, f.value_len))
		end
	end
	local length = tonumber(v.content_length)
	return setmetatable({
		server = server,
		req = req,
		id = req.id,
		connection = connections[v.version] or connections[11],
		type = "server",
		peer = ffi_string(v.remote, v.remote_len),
		head = method == "HEAD",
		headers = headers,   -- handed out once by get_headers
		body_done = length == 0,
		unread = nil,        -- chunks given back with unget
		status = nil,        -- the response's status, once write_headers ran
		fields = nil,        -- its fields as {name, value} pairs
		length = nil,        -- its declared content-length
		head_sent = false,   -- write_head was called
		done = false,        -- the request has ended
		cond = nil,          -- signalled by the dispatcher when porter is ready
		woken = false,       -- the dispatcher signalled cond
	}, stream_mt)
end

-- wait sleeps until the dispatcher has an event for this stream, or until
-- the deadline. Returns true, or nil, message, errno.
function stream_methods:wait(deadline)
	local timeout = deadline and deadline - monotime()
	if timeout and timeout <= 0 then
		return timed_out()
	end
	local cond = self.cond
	if not cond then
		cond = condition.new()
		self.cond = cond
	end
	local waiting = self.server.waiting
	waiting[self.id] = self
	self.woken = false
	local woken = cond:wait(timeout)
	waiting[self.id] = nil
	if not woken then
		return timed_out()
	end
	return true
end

function stream_methods:get_headers()
	local headers = self.headers
	self.headers = nil
	return headers
end

-- get_next_chunk returns the next piece of the body; nil at its end; nil,
-- message, errno on failure or timeout.
function stream_methods:get_next_chunk(timeout)
	local unread = self.unread
	if unread and #unread > 0 then
		return table.remove(unread)
	end
	if self.body_done then
		return nil
	end
	local deadline = timeout and monotime() + timeout
	while true do
		local data, message, code = self.req:read()
		if data then
			if data == "" then
				self.body_done = true
				return nil
			end
			return data
		elseif code ~= EAGAIN then
			self.body_done = true
			return failure(message, code)
		end
		local ok, err, errno = self:wait(deadline)
		if not ok then
			return nil, err, errno
		end
	end
end

function stream_methods:unget(chunk)
	self.unread = self.unread or {}
	table.insert(self.unread, chunk) -- the last one given back comes first
	return true
end

-- each_chunk iterates over the rest of the body.
function stream_methods:each_chunk()
	return function(stream)
		return stream:get_next_chunk()
	end, self
end

-- read_body feeds each chunk to `take` until the body ends or `take`
-- returns true (enough); then returns true, or nil, message, errno.
local function read_body(stream, timeout, take)
	local deadline = timeout and monotime() + timeout
	while true do
		local chunk, err, errno = stream:get_next_chunk(deadline and deadline - monotime())
		if chunk == nil then
			if err then
				return nil, err, errno
			end
			return true
		end
		if take(chunk) then
			return true
		end
	end
end

function stream_methods:get_body_as_string(timeout)
	local parts = {}
	local ok, err, errno = read_body(self, timeout, function(chunk)
		parts[#parts + 1] = chunk
	end)
	if not ok then
		return nil, err, errno
	end
	return table.concat(parts)
end

-- get_body_chars returns the next n bytes of the body (fewer at its end;
-- nil once it is over).
function stream_methods:get_body_chars(n, timeout)
	local parts, have = {}, 0
	local ok, err, errno = read_body(self, timeout, function(chunk)
		parts[#parts + 1] = chunk
		have = have + #chunk
		return have >= n
	end)
	if not ok then
		return nil, err, errno
	end
	if have == 0 then
		return nil
	end
	local s = table.concat(parts)
	if have > n then
		self:unget(s:sub(n + 1))
		s = s:sub(1, n)
	end
	return s
end

-- get_body_until returns the body up to the first match of pattern (plain:
-- a plain string), with the match when include_pattern is true.
function stream_methods:get_body_until(pattern, plain, include_pattern, timeout)
	local body = ""
	local result
	local ok, err, errno = read_body(self, timeout, function(chunk)
		body = body .. chunk
		local s, e = body:find(pattern, 1, plain)
		if s then
			if e < #body then
				self:unget(body:sub(e + 1))
			end
			result = include_pattern and body:sub(1, e) or body:sub(1, s - 1)
			return true
		end
	end)
	if not ok then
		return nil, err, errno
	end
	if result then
		return result
	end
	if body ~= "" then
		return body
	end
end

function stream_methods:save_body_to_file(file, timeout)
	return read_body(self, timeout, function(chunk)
		assert(file:write(chunk))
	end)
end

function stream_methods:get_body_as_file(timeout)
	local file = assert(io.tmpfile())
	local ok, err, errno = self:save_body_to_file(file, timeout)
	if not ok then
		return nil, err, errno
	end
	assert(file:seek("set"))
	return file
end

--[[ write_headers takes the response head. It is sent with the body when
the body comes in the same turn (write_chunk(..., true) or end_stream
here): one call into porter for a whole response, and porter's own
Content-Length. Otherwise it goes out before the handler waits or writes a
first chunk. ]]
function stream_methods:write_headers(headers, end_stream, timeout)
	assert(headers, "missing argument: headers")
	assert(type(end_stream) == "boolean", "'end_stream' MUST be a boolean")
	if self.done then
		return pipe_error()
	end
	if self.status then
		error("porter.http.server: trailers (write_headers after the body started) are not supported yet", 2)
	end
	local status = headers:get(":status")
	local code = tonumber(status)
	if not code then
		error("missing or invalid :status", 2)
	end
	if code < 200 then
		if code == 100 then
			return true -- porter sends "100 Continue" when the body is first read
		end
		error("porter.http.server: 1xx responses other than 100 are not supported yet", 2)
	end
	local fields, length = {}, nil
	for name, value in headers:each() do
		if name:byte(1) ~= 58 then -- not a ":" pseudo field
			if name == "content-length" then
				length = length or tonumber(value)
				if not length then
					error("invalid content-length", 2)
				end
			elseif name == "transfer-encoding" then
				if value:lower() ~= "chunked" then
					error("porter.http.server: transfer-encoding " .. value .. " is not supported yet", 2)
				end
			else
				fields[#fields + 1] = {name, value}
			end
		end
	end
	self.status, self.fields, self.length = code, fields, length
	if end_stream then
		return self:respond("")
	end
	return true
end

-- check raises for the failures that are the handler's mistakes, as
-- lua-http does, and returns the others as nil, message, errno.
local function check(stream, ok, message, code)
	if ok then
		return ok
	end
	if code == porter.EINVAL or code == porter.EHEADER or code == porter.ESTATE then
		error("porter.http.server: " .. message, 3)
	end
	if stream.req:ended() then
		stream.done = true
	end
	return failure(message, code)
end

-- respond sends the pending head and body as one response.
function stream_methods:respond(body)
	self.done = true
	local length = self.length
	if length and length ~= #body and not (self.head and body == "") then
		error("invalid content-length", 3)
	end
	if length and length > 0 and body == "" then
		-- A HEAD (or 304) answer that states the length of the body it
		-- does not send.
		self.head_sent = true
		local ok, message, code = self.req:write_head(self.status, self.fields, length)
		if not ok then
			self.req:abort()
			return check(self, ok, message, code)
		end
		return check(self, self.req:finish())
	end
	return check(self, self.req:respond(self.status, self.fields, body))
end

-- flush sends a pending head as the start of a streamed response.
function stream_methods:flush()
	if self.status and not self.head_sent and not self.done then
		self.head_sent = true
		return check(self, self.req:write_head(self.status, self.fields, self.length))
	end
	return true
end

function stream_methods:write_chunk(chunk, end_stream, timeout)
	if type(chunk) ~= "string" then
		error("bad argument #1 to 'write_chunk' (string expected, got " .. type(chunk) .. ")", 2)
	end
	if self.done then
		return pipe_error()
	elseif not self.status then
		error("cannot write body before headers", 2)
	end
	if not self.head_sent then
		if end_stream then
			return self:respond(chunk)
		end
		local ok, err, errno = self:flush()
		if not ok then
			return nil, err, errno
		end
	end
	local deadline = timeout and monotime() + timeout
	local req, from, last = self.req, 1, #chunk
	while from <= last do
		local n, message, code = req:write(chunk, from)
		if n then
			from = from + n
		elseif code == EAGAIN then
			local ok, err, errno = self:wait(deadline)
			if not ok then
				return nil, err, errno
			end
		else
			return check(self, n, message, code)
		end
	end
	if end_stream then
		self.done = true
		return check(self, req:finish())
	end
	return true
end

function stream_methods:write_body_from_string(body, timeout)
	return self:write_chunk(body, true, timeout)
end

-- write_body_from_file sends a file (or {file = f, count = n}) as the rest
-- of the body.
function stream_methods:write_body_from_file(options, timeout)
	local file, count = options, math.huge
	if not io.type(options) then
		file, count = options.file, options.count or math.huge
	end
	if type(count) ~= "number" or count < 0 or (count ~= math.huge and count % 1 ~= 0) then
		error("invalid .count parameter (expected positive integer)", 2)
	end
	local deadline = timeout and monotime() + timeout
	while count > 0 do
		local chunk, err = file:read(math.min(count, 65536))
		if chunk == nil then
			if err then
				error(err, 2)
			elseif count ~= math.huge then
				error("unexpected EOF", 2)
			end
			break
		end
		local ok, werr, errno = self:write_chunk(chunk, false, deadline and deadline - monotime())
		if not ok then
			return nil, werr, errno
		end
		count = count - #chunk
	end
	return self:write_chunk("", true, deadline and deadline - monotime())
end

-- write_continue is done by porter: it sends "100 Continue" when the body
-- is first read.
function stream_methods:write_continue()
	return true
end

-- shutdown ends the request if the handler did not: a 503 when nothing
-- was sent, a cut (closed) connection when the response was incomplete.
function stream_methods:shutdown()
	if not self.done then
		self.done = true
		if self.status then
			self.req:abort()
		else
			self.req:respond(503)
		end
	end
	return true
end

local AF_INET, AF_INET6 = 2, 10

local function split_address(address)
	local host, port = address:match("^%[(.*)%]:(%d+)$")
	if host then
		return AF_INET6, host, tonumber(port)
	end
	host, port = address:match("^(.*):(%d+)$")
	return AF_INET, host, tonumber(port)
end

function stream_methods:peername()
	return split_address(self.peer)
end

function stream_methods:localname()
	return self.server:localname()
end

function stream_methods:checktls()
	return nil
end

-- ---- Servers -----------------------------------------------------------

local server_methods = {}
local server_mt = {__name = "http.server", __index = server_methods}

function server_mt:__tostring()
	return ("http.server{porter=%s}"):format(tostring(self.address))
end

local DONE = {} -- what a handler coroutine yields when its stream is over
local POOL_MAX = 64 -- idle handler coroutines kept for reuse

-- handle runs streams in one coroutine, one after the other.
local function handle(server, stream)
	while true do
		local ok, err = pcall(server.onstream, server, stream)
		stream:shutdown()
		if not ok then
			server:onerror()(server, stream, "onstream", err)
		end
		server, stream = coroutine.yield(DONE)
	end
end

local function recycle(server, co)
	local pool = server.pool
	if #pool < POOL_MAX then
		pool[#pool + 1] = co
	end
end

-- adopted runs, under the controller, a handler that yielded: it passes
-- the handler's cqueues polls up and the results back down until the
-- handler is done. A handler that first yielded to wait for porter may
-- have been woken before this coroutine ran and handed its wait to the
-- controller: then the wait ends at once, as the controller would have
-- ended it.
local function adopted(server, co, stream, ...)
	local yielded = pack(...)
	while true do
		local r
		if stream.woken and server.waiting[stream.id] == stream then
			r = pack(coroutine.resume(co, stream.cond))
		else
			r = pack(coroutine.resume(co, coroutine.yield(unpack(yielded, 1, yielded.n))))
		end
		if not r[1] then
			error(r[2], 0)
		elseif r[2] == DONE then
			return recycle(server, co)
		end
		stream:flush()
		yielded = pack(unpack(r, 2, r.n))
	end
end

-- start runs a new stream's handler at once, in a pooled coroutine. Most
-- handlers finish without yielding; one that yields is handed to the
-- controller.
local function start(server, stream)
	local co = table.remove(server.pool) or coroutine.create(handle)
	local r = pack(coroutine.resume(co, server, stream))
	if not r[1] then
		error(r[2], 0)
	elseif r[2] == DONE then
		return recycle(server, co)
	end
	stream:flush()
	server.cq:wrap(adopted, server, co, stream, unpack(r, 2, r.n))
end

-- dispatch pulls porter's events under the controller: it starts a stream
-- per request and wakes the streams that wait for porter. It ends once the
-- server is closed and drained.
local function dispatch(server)
	local srv = server.porter
	local pollable = {
		pollfd = function() return srv:pollfd() end,
		events = function() return "r" end,
		timeout = function() return nil end,
	}
	while true do
		local kind, x, code = srv:next(0)
		if kind == EV_REQUEST then
			start(server, new_stream(server, x))
		elseif kind then
			local stream = server.waiting[x] -- nil: a stream not waiting now
			if stream then
				stream.woken = true
				stream.cond:signal() -- its next call says what happened
			end
		elseif code == ETIMEDOUT then
			cqueues.poll(pollable)
		else
			if code ~= ECLOSED then
				server:onerror()(server, server, "next", x, code)
			end
			break
		end
	end
	-- The porter server is freed with this object (or by the garbage
	-- collector): closing its descriptor here, while the controller may
	-- still be watching it, would upset the controller.
	server.drained = true
end

local function new_server(options)
	local cq = options.cq
	if cq == nil then
		cq = cqueues.new()
	else
		assert(cqueues.type(cq) == "controller", "optional cq field should be a cqueue controller")
	end
	local onstream = assert(options.onstream, "missing 'onstream'")
	local srv = options.porter
	if options.socket ~= nil then
		-- A cqueues socket to accept from: porter serves a duplicate of it.
		local socket = options.socket
		assert(require("cqueues.socket").type(socket), "optional socket field should be a cqueues socket")
		local ok, err
		srv, err = porter.new {stream_bodies = true,
			idle_timeout = options.intra_stream_timeout or 10,
			header_timeout = options.connection_setup_timeout}
		if srv then
			socket:listen()
			ok, err = srv:listen_fd(socket:pollfd())
			if ok then
				ok, err = srv:start()
			end
		end
		if not ok then
			error("porter.http.server: cannot serve the socket: " .. tostring(err), 2)
		end
		options.owns_porter = true
	end
	assert(srv, "missing 'porter' (a porter server), 'socket', or use listen{}")
	local server = setmetatable({
		cq = cq,
		porter = srv,
		owns_porter = options.owns_porter or false,
		address = srv:addr(),
		onstream = onstream,
		onerror_ = options.onerror,
		close_timeout = options.close_timeout or 5,
		waiting = {}, -- request id -> stream waiting for porter
		pool = {},
		closed = false,
	}, server_mt)
	cq:wrap(dispatch, server)
	return server
end

--[[ listen{...} makes a server on porter: host and port (port 0 picks
one) or path (a unix socket; mode sets its permission bits), reuseaddr
(porter always sets SO_REUSEADDR), reuseport, v6only, tls (true: HTTPS
with a self-signed certificate unless porter's tls_certs option gives
certificates), max_concurrent (connections), connection_setup_timeout,
intra_stream_timeout, onstream, onerror, cq, and close_timeout (seconds
requests in flight get after close(), default 5). tls = nil serves plain
HTTP only. A luaossl .ctx and version = 2 are not supported: listen
returns nil, message, errno. ]]
local function listen(options)
	local host, port, path, tls = options.host, options.port, options.path, options.tls
	assert(host or path, "need host or path")
	if options.ctx then
		return not_supported("TLS with a luaossl context (.ctx); pass .tls_certs = {{cert_file = ..., key_file = ...}}")
	elseif options.version == 2 then
		return not_supported("HTTP/2 (.version = 2)")
	end
	local address
	if path then
		address = "unix:" .. path
	else
		if port == nil then
			if tls == true then
				port = 443
			elseif tls == false then
				port = 80
			else
				error("need port")
			end
		end
		address = (tostring(host):find(":", 1, true) and "[%s]:%s" or "%s:%s"):format(host, port)
	end
	local mode = options.mode
	if type(mode) == "string" then
		mode = tonumber(mode, 8)
	end
	local concurrent = options.max_concurrent
	local srv, err, code = porter.new {
		stream_bodies = true,
		max_connections = concurrent and concurrent < math.huge and concurrent or nil,
		header_timeout = options.connection_setup_timeout,
		idle_timeout = options.intra_stream_timeout or 10, -- lua-http's default
	}
	if not srv then
		return failure(err, code)
	end
	local ok = true
	if tls then
		if options.tls_certs then
			ok, err = srv:tls_certs(options.tls_certs)
		else
			ok, err = srv:tls_self_signed() -- as lua-http makes one
		end
	end
	if ok then
		ok, err = srv:listen(address, {reuseport = options.reuseport,
			v6only = options.v6only, tls = tls or nil, unix_mode = mode})
	end
	if ok then
		ok, err = srv:start()
	end
	if not ok then
		srv:close()
		return nil, err, (err:find("address already in use", 1, true) and ce.EADDRINUSE) or ce.EINVAL
	end
	return new_server {
		cq = options.cq,
		porter = srv,
		owns_porter = true,
		onstream = options.onstream,
		onerror = options.onerror,
		close_timeout = options.close_timeout,
	}
end

function server_methods:onerror_(context, op, err) -- luacheck: ignore 212
	local message = op
	if err then
		message = message .. ": " .. tostring(err)
	end
	error(message, 2)
end

function server_methods:onerror(...)
	local old = self.onerror_
	if select("#", ...) > 0 then
		self.onerror_ = ...
	end
	return old
end

-- listen: porter binds in listen{} already.
function server_methods:listen()
	return true
end

-- localname returns family, address, port of the (first) listener.
function server_methods:localname()
	return split_address(self.address)
end

-- pause stops accepting connections (clients wait in the kernel's
-- backlog); resume accepts again. Open connections carry on.
function server_methods:pause()
	local ok, err, code = self.porter:pause()
	if not ok then
		return failure(err, code)
	end
	return true
end

function server_methods:resume()
	local ok, err, code = self.porter:resume()
	if not ok then
		return failure(err, code)
	end
	return true
end

-- add_socket serves a connection accepted elsewhere (a cqueues socket);
-- porter takes a duplicate and the socket is closed here.
function server_methods:add_socket(socket)
	local ok, err, code = self.porter:conn_add(socket:pollfd())
	socket:close()
	if not ok then
		return failure(err, code)
	end
	return true
end

-- close stops accepting. Requests in flight get close_timeout seconds if
-- the loop keeps running, then porter aborts them; the loop returns once
-- the server is drained.
function server_methods:close()
	if not self.closed then
		self.closed = true
		self.porter:shutdown(self.close_timeout)
	end
	return true
end

function server_methods:pollfd()
	return self.cq:pollfd()
end

function server_methods:events()
	return self.cq:events()
end

function server_methods:timeout()
	return self.cq:timeout()
end

function server_methods:empty()
	return self.cq:empty()
end

function server_methods:step(...)
	return self.cq:step(...)
end

function server_methods:loop(...)
	return self.cq:loop(...)
end

return {
	new = new_server,
	listen = listen,
	mt = server_mt,
}
