--[[
porter -- the core of porter's LuaJIT binding: libporter.so through FFI.

porter parses HTTP, does the socket I/O and never calls Lua: servers run
in loop mode only. A Lua thread pulls events with
server:next() (or waits on server:pollfd() in its own loop first) and
answers on its own thread. Runtime failures return nil, message, code (a
porter.E* code); wrong argument types raise. docs/lua.md has the guide.

    local porter = require "porter"
    local srv = assert(porter.new())
    assert(srv:listen("127.0.0.1:8080"))
    assert(srv:start())
    while true do
        local kind, req = srv:next()          -- waits for an event
        if kind == porter.EV_REQUEST then
            req:respond(200, {["Content-Type"] = "text/plain"}, "Hello\n")
        end
    end
]]
local ffi = require "ffi"
local bit = require "bit"

local M = {}

ffi.cdef(require "porter.cdef")
-- Our own declarations use porter_lua_ names (libc functions through
-- __asm__ labels), so that they never clash with a program's own cdefs.
ffi.cdef [[
typedef struct porter_lua_server {
    porter_server *ptr;
    int serial;     /* key of this server in `open` and `shared` */
    int owned;      /* 1: close() frees it; 0: attached from another state */
    int tag;        /* 0, or this state's number among those sharing it */
    int count, pos; /* batch[pos..count-1] are still to be handed out */
    porter_event batch[64];
} porter_lua_server;

typedef struct porter_lua_request {
    double id;      /* the porter_req handle (always below 2^53) */
    const porter_request *view;
    int server;     /* serial of its server */
    int tag;        /* the server's tag */
    int released;   /* 1 once the handle is released */
    int started;    /* 1 after a successful write_head */
    int tagged;     /* 1 once req_set_data(tag) was called */
} porter_lua_request;

typedef struct porter_lua_sigset { unsigned long bits[16]; } porter_lua_sigset;
int porter_lua_sigemptyset(porter_lua_sigset *set) __asm__("sigemptyset");
int porter_lua_sigaddset(porter_lua_sigset *set, int signo) __asm__("sigaddset");
int porter_lua_sigmask(int how, const porter_lua_sigset *set,
                       porter_lua_sigset *old) __asm__("pthread_sigmask");

struct porter_lua_pollfd { int fd; short events, revents; };
int porter_lua_poll(struct porter_lua_pollfd *fds, unsigned long n,
                    int timeout) __asm__("poll");
long porter_lua_read(int fd, void *buf, size_t n) __asm__("read");
long porter_lua_write(int fd, const void *buf, size_t n) __asm__("write");
int porter_lua_close(int fd) __asm__("close");
int porter_lua_epoll_create1(int flags) __asm__("epoll_create1");
int porter_lua_epoll_wait(int ep, void *events, int max,
                          int timeout) __asm__("epoll_wait");
]]
-- struct epoll_event is packed on x86-64 only.
ffi.cdef(("struct %s porter_lua_epoll_event { uint32_t events; uint64_t data; };\n" ..
	"int porter_lua_epoll_ctl(int ep, int op, int fd, struct porter_lua_epoll_event *ev) __asm__(\"epoll_ctl\");")
	:format(ffi.arch == "x64" and "__attribute__((packed))" or ""))

-- ---- Loading the library -----------------------------------------------

-- Signals a program may want to catch itself (signalfd, cqueues.signal).
-- The Go runtime's threads copy the signal mask of the thread that loads
-- the library; loading with these blocked keeps them off Go's threads, so
-- the process takes them as if porter were not there. The mask of this
-- thread is restored right after, and no handler is installed.
M.signals = {HUP = 1, INT = 2, QUIT = 3, USR1 = 10, USR2 = 12, ALRM = 14,
	TERM = 15, CHLD = 17, WINCH = 28}
local SIG_BLOCK, SIG_SETMASK = 0, 2

local function dirname(path)
	return path:match("^(.*)/[^/]*$") or "."
end

-- candidates lists where to look for the library, in order: PORTER_LIBRARY
-- (only it, when set), beside an installed copy of this module (the path
-- written at install time), the source tree's build/, the soname, "porter".
local function candidates()
	local env = os.getenv("PORTER_LIBRARY")
	if env and env ~= "" then
		return {env}
	end
	local here = dirname(debug.getinfo(1, "S").source:gsub("^@", ""))
	local list = {}
	local ok, rel = pcall(dofile, here .. "/porter/libpath.lua")
	if ok and type(rel) == "string" then
		list[#list + 1] = here .. "/porter/" .. rel
	end
	list[#list + 1] = here .. "/../../build/libporter.so.0"
	list[#list + 1] = "libporter.so.0"
	list[#list + 1] = "porter"
	return list
end

local function load_library()
	local set, old = ffi.new("porter_lua_sigset"), ffi.new("porter_lua_sigset")
	ffi.C.porter_lua_sigemptyset(set)
	for _, signo in pairs(M.signals) do
		ffi.C.porter_lua_sigaddset(set, signo)
	end
	ffi.C.porter_lua_sigmask(SIG_BLOCK, set, old)
	local tried = {}
	local lib
	for _, path in ipairs(candidates()) do
		local ok, loaded = pcall(ffi.load, path)
		if ok then
			lib = loaded
			break
		end
		tried[#tried + 1] = "\n  " .. tostring(loaded)
	end
	ffi.C.porter_lua_sigmask(SIG_SETMASK, old, nil)
	if not lib then
		error("porter: cannot load libporter (set PORTER_LIBRARY to its path):"
			.. table.concat(tried), 2)
	end
	return lib
end

-- The library stays loaded for the life of the process (the Go runtime
-- cannot be unloaded): M.C keeps it referenced.
local C = load_library()
M.C = C

-- ---- Constants and errors ----------------------------------------------

for _, name in ipairs {"OK", "EINVAL", "EHANDLE", "ESTATE", "EAGAIN",
	"EABORTED", "ECLOSED", "ETIMEDOUT", "EPEER", "EHEADER", "ELISTEN",
	"ENOTFOUND", "EBUSY", "EFORK", "EINTERNAL"} do
	M[name] = C["PORTER_" .. name]
end
M.EV_REQUEST, M.EV_BODY = C.PORTER_EV_REQUEST, C.PORTER_EV_BODY
M.EV_WRITABLE, M.EV_ABORT = C.PORTER_EV_WRITABLE, C.PORTER_EV_ABORT
local EV_REQUEST = M.EV_REQUEST
local EAGAIN, EABORTED, EHANDLE, ESTATE = M.EAGAIN, M.EABORTED, M.EHANDLE, M.ESTATE
local ECLOSED, ETIMEDOUT, EINVAL = M.ECLOSED, M.ETIMEDOUT, M.EINVAL

local messages = setmetatable({}, {__index = function(t, code)
	local s = ffi.string(C.porter_strerror(code))
	t[code] = s
	return s
end})

-- porter.strerror(code) is porter_strerror: what a code means.
function M.strerror(code)
	return messages[code]
end

-- porter.errname(code) is porter_errname: "PORTER_EAGAIN".
function M.errname(code)
	return ffi.string(C.porter_errname(code))
end

-- porter.version() is the library's version, "0.3.0".
function M.version()
	return ffi.string(C.porter_version())
end

local function fail(code)
	return nil, messages[code], code
end

local function check_type(value, want, what, level)
	if type(value) ~= want then
		error(("bad argument %s (%s expected, got %s)"):format(what, want, type(value)), level or 3)
	end
end

-- millis turns a timeout in seconds (nil: no limit) into milliseconds.
local function millis(timeout)
	if timeout == nil then
		return -1
	end
	check_type(timeout, "number", "'timeout'", 4)
	if timeout <= 0 then
		return 0
	end
	return math.min(math.ceil(timeout * 1000), 0x7fffffff)
end

-- ---- Servers -----------------------------------------------------------

local BATCH = 64
local EVENT_SIZE = ffi.sizeof("porter_event")
local open = {}    -- serial -> true while the server's request views are valid
local shared = {}  -- serial -> wiring of a server shared by several states
local serials = 0

local Server = {}
Server.__index = Server
local ServerT = ffi.metatype("porter_lua_server", Server)

local function free_server(srv)
	open[srv.serial] = nil
	local sh = shared[srv.serial]
	if sh then
		C.porter_lua_close(sh.epfd)
		shared[srv.serial] = nil
	end
	local ptr = srv.ptr
	srv.ptr = nil
	if srv.owned == 1 then
		return C.server_free(ptr)
	end
	return 0
end

--[[ porter.new([options]) makes a loop-mode server. Options are the
fields of porter_config (porter.h says what each does; nil or 0 keeps the
default): stream_bodies (true: stream request bodies instead of buffering
them), queue_depth, max_connections, max_body_bytes, ... and the timeouts
in seconds without their _ms: header_timeout, body_timeout, idle_timeout,
write_timeout, response_timeout. Booleans stand for 1 and 0. ]]
function M.new(options)
	local cfg = ffi.new("porter_config")
	cfg.size = ffi.sizeof(cfg)
	for key, value in pairs(options or {}) do
		local field = key
		if type(key) ~= "string" or key == "size" or key == "handler" or key == "user_data"
			or key:match("_ms$") then
			error("porter.new: unknown option '" .. tostring(key) .. "'", 2)
		end
		if type(value) == "boolean" then
			value = value and 1 or 0
		end
		check_type(value, "number", "'" .. key .. "'")
		if key:match("_timeout$") then
			field, value = key .. "_ms", math.ceil(value * 1000)
		end
		if not pcall(function() cfg[field] = value end) then
			error("porter.new: unknown option '" .. key .. "'", 2)
		end
	end
	local out = ffi.new("porter_server *[1]")
	local rc = C.server_new(cfg, out)
	if rc ~= 0 then
		return fail(rc)
	end
	serials = serials + 1
	open[serials] = true
	return ffi.gc(ServerT(out[0], serials, 1), free_server)
end

local function server_fail(srv, rc)
	local buf = ffi.new("char[512]")
	local n = C.server_errmsg(srv.ptr, buf, 512)
	if n > 0 then
		return nil, messages[rc] .. ": " .. ffi.string(buf, math.min(n, 511)), rc
	end
	return fail(rc)
end

-- result turns a call's code into true, or nil, msg, code (with the
-- server's detail message when srv is given: calls that set one).
local function result(rc, srv)
	if rc >= 0 then
		return true
	elseif srv then
		return server_fail(srv, rc)
	end
	return fail(rc)
end

local listen_flags = {reuseport = "PORTER_LISTEN_REUSEPORT",
	v6only = "PORTER_LISTEN_V6ONLY", tls = "PORTER_LISTEN_TLS",
	scgi = "PORTER_LISTEN_SCGI"}

--[[ server:listen(address, [options]) binds "host:port" ("127.0.0.1:0"
picks a port) or "unix:PATH", and returns the listener's index. Options:
reuseport, v6only, tls (HTTPS with the certificates of server:tls_certs or
server:tls_self_signed), scgi (booleans), unix_mode (permission bits of a
unix socket file, 0660 say). ]]
function Server:listen(address, options)
	check_type(address, "string", "#1 to 'listen'")
	local rc
	if options == nil then
		rc = C.server_listen(self.ptr, address)
	else
		check_type(options, "table", "#2 to 'listen'")
		local opts = ffi.new("porter_listen_options")
		opts.size = ffi.sizeof(opts)
		for key, value in pairs(options) do
			if key == "unix_mode" then
				check_type(value, "number", "'unix_mode'")
				opts.unix_mode = value
			elseif listen_flags[key] then
				if value then
					opts.flags = bit.bor(opts.flags, C[listen_flags[key]])
				end
			else
				error("listen: unknown option '" .. tostring(key) .. "'", 2)
			end
		end
		rc = C.server_listen_opts(self.ptr, address, opts)
	end
	if rc < 0 then
		return server_fail(self, rc)
	end
	return rc
end

-- server:listen_fd(fd) serves a socket that is already listening (one
-- inherited from systemd, say); porter works on a duplicate.
function Server:listen_fd(fd)
	check_type(fd, "number", "#1 to 'listen_fd'")
	local rc = C.server_listen_fd(self.ptr, fd)
	if rc < 0 then
		return server_fail(self, rc)
	end
	return rc
end

-- server:conn_add(fd) serves a connection the program accepted itself;
-- porter works on a duplicate, the program closes fd.
function Server:conn_add(fd)
	check_type(fd, "number", "#1 to 'conn_add'")
	return result(C.server_conn_add(self.ptr, fd), self)
end

--[[ server:tls_certs(list) sets the certificates of the TLS listeners:
each {cert = PEM, key = PEM} or {cert_file = path, key_file = path}. ]]
function Server:tls_certs(list)
	check_type(list, "table", "#1 to 'tls_certs'")
	local certs = ffi.new("porter_cert[?]", math.max(#list, 1))
	for i, c in ipairs(list) do
		local cert = certs[i - 1]
		cert.size = ffi.sizeof(cert)
		if c.cert then
			cert.cert_pem, cert.cert_pem_len = c.cert, #c.cert
			cert.key_pem, cert.key_pem_len = c.key, #c.key
		else
			cert.cert_file, cert.key_file = c.cert_file, c.key_file
		end
	end
	return result(C.server_tls_certs(self.ptr, certs, #list), self)
end

-- server:tls_self_signed() makes a certificate for localhost, for
-- development only.
function Server:tls_self_signed()
	return result(C.server_tls_self_signed(self.ptr), self)
end

-- server:pause() stops accepting (clients wait in the backlog; open
-- connections carry on); server:resume() accepts again.
function Server:pause()
	return result(C.server_pause(self.ptr))
end

function Server:resume()
	return result(C.server_resume(self.ptr))
end

-- server:stats() returns the server's counters as a table (porter_stats).
function Server:stats()
	local st = ffi.new("porter_stats")
	st.size = ffi.sizeof(st)
	local rc = C.server_stats(self.ptr, st)
	if rc < 0 then
		return fail(rc)
	end
	local t = {}
	for _, name in ipairs {"connections", "accepted", "requests", "bytes_in",
		"bytes_out", "accept_errors", "rejected_malformed", "rejected_too_large",
		"rejected_timeout", "rejected_unsupported", "rejected_overloaded",
		"tls_errors", "logs_dropped", "loop_stalls", "host_away"} do
		t[name] = tonumber(st[name])
	end
	return t
end

local log_kinds = {[C.PORTER_LOG_ACCESS] = "access", [C.PORTER_LOG_ERROR] = "error"}

--[[ server:log_next() returns the oldest waiting record of the access and
error log (porter.new{log_depth = N} keeps up to N) as a table: kind
("access" or "error"), status, version, code, bytes_in, bytes_out,
duration (seconds), method, target, remote, message; or nil when none
waits. ]]
function Server:log_next()
	local l = ffi.new("porter_log")
	l.size = ffi.sizeof(l)
	local rc = C.server_log_next(self.ptr, l)
	if rc < 0 then
		return fail(rc)
	elseif rc == 0 then
		return nil
	end
	return {
		kind = log_kinds[l.kind], status = l.status, version = l.version,
		code = l.code, bytes_in = tonumber(l.bytes_in),
		bytes_out = tonumber(l.bytes_out), duration = tonumber(l.duration_us) / 1e6,
		method = ffi.string(l.method, l.method_len),
		target = ffi.string(l.target, l.target_len),
		remote = ffi.string(l.remote, l.remote_len),
		message = ffi.string(l.message, l.message_len),
	}
end

-- server:log_pollfd() is a descriptor that is readable while log records
-- wait, for the program's own poll loop.
function Server:log_pollfd()
	local fd = C.server_log_pollfd(self.ptr)
	if fd < 0 then
		return fail(fd)
	end
	return fd
end

-- server:addr([index]) is the bound address of a listener, "host:port".
function Server:addr(index)
	local buf = ffi.new("char[256]")
	local n = C.server_addr(self.ptr, index or 0, buf, 256)
	if n < 0 then
		return fail(n)
	end
	return ffi.string(buf, math.min(n, 255))
end

-- server:start() starts serving every listener in the background.
function Server:start()
	return result(C.server_start(self.ptr), self)
end

-- server:pollfd() is a descriptor that is readable while server:next() has
-- work: events wait, or requests are coming in (next(0) may then find none
-- yet); and once the server is shut down and drained. Poll it; never read
-- it.
function Server:pollfd()
	local sh = shared[self.serial]
	if sh then
		return sh.epfd
	end
	local fd = C.server_pollfd(self.ptr)
	if fd < 0 then
		return fail(fd)
	end
	return fd
end

-- For cqueues.poll and similar loops that ask what to wait for.
function Server:events()
	return "r"
end

function Server:timeout()
	return nil
end

-- server:shutdown([grace]) stops accepting; requests in flight have grace
-- seconds (default 0) to finish, then porter aborts them. It returns at
-- once; next() reports ECLOSED once everything is drained.
function Server:shutdown(grace)
	return result(C.server_shutdown(self.ptr, grace and millis(grace) or 0))
end

-- server:close() frees the server (after shutting it down with no grace).
-- It is idempotent; the garbage collector does the same.
function Server:close()
	if self.ptr == nil then
		return true
	end
	ffi.gc(self, nil)
	local rc = free_server(self)
	if rc < 0 then
		return fail(rc)
	end
	return true
end

local pull_shared -- below, with porter.attach

local new_request -- below, with requests

--[[ server:next([timeout]) hands out the next event, waiting up to timeout
seconds (nil: no limit, 0: do not wait). Returns kind, request, code:
  porter.EV_REQUEST   a new request object (answer it, or keep it and
                      answer later)
  porter.EV_BODY      the id (req.id) of a request whose read said EAGAIN
  porter.EV_WRITABLE  the id of a request whose write said EAGAIN
  porter.EV_ABORT     the id of a request porter gave up on, and the code
                      saying why; end it (req:abort()) if you still hold it
On timeout: nil, message, porter.ETIMEDOUT; once shut down and drained:
nil, message, porter.ECLOSED. ]]
function Server:next(timeout)
	local pos = self.pos
	if pos >= self.count then
		if self.ptr == nil then
			return fail(ECLOSED)
		end
		local n
		if self.tag == 0 then
			n = C.server_next(self.ptr, self.batch, BATCH, millis(timeout))
		else
			n = pull_shared(self, millis(timeout))
		end
		if n <= 0 then
			self.count, self.pos = 0, 0
			return fail(n == 0 and ETIMEDOUT or n)
		end
		self.count, pos = n, 0
	end
	self.pos = pos + 1
	local ev = self.batch[pos]
	local kind = ev.type
	if kind == EV_REQUEST then
		return kind, new_request(self, ev)
	end
	return kind, tonumber(ev.req), ev.code
end

-- ---- Requests ----------------------------------------------------------

local Request = {}
Request.__index = Request
local RequestT = ffi.metatype("porter_lua_request", Request)

local function finalize_request(req)
	if req.released == 0 then
		req.released = 1
		C.req_abort(req.id)
	end
end

function new_request(srv, ev)
	return ffi.gc(RequestT(tonumber(ev.req), ev.request, srv.serial, srv.tag),
		finalize_request)
end

-- release marks the handle released. Its finalizer goes too: it is only
-- for requests dropped unanswered, and a finalizer per request would run
-- in the middle of compiled code and keep LuaJIT from compiling it.
local function release(req)
	req.released = 1
	ffi.gc(req, nil)
end

-- view is the request's view while it is valid: until the request ends or
-- its server is freed.
local function view(req)
	if req.released == 0 and open[req.server] then
		return req.view
	end
end

-- req:method(), :target(), :path(), :query(), :host(), :remote() are the
-- strings of the request's view ("GET", "/a?b", "/a", "b", the Host, the
-- client's "ip:port"); after the request ended, nil, message, EHANDLE.
for _, field in ipairs {"method", "target", "path", "query", "host", "remote"} do
	local len = field .. "_len"
	Request[field] = function(self)
		local v = view(self)
		if v == nil then
			return fail(EHANDLE)
		end
		return ffi.string(v[field], v[len])
	end
end

-- req:version() is 10 for HTTP/1.0, 11 for HTTP/1.1.
function Request:version()
	local v = view(self)
	if v == nil then
		return fail(EHANDLE)
	end
	return v.version
end

-- req:content_length() is the declared body length, or false when unknown
-- (a chunked body).
function Request:content_length()
	local v = view(self)
	if v == nil then
		return fail(EHANDLE)
	end
	local n = tonumber(v.content_length)
	return n >= 0 and n
end

-- req:body() is the whole body when bodies are buffered ("" if streamed).
function Request:body()
	local v = view(self)
	if v == nil then
		return fail(EHANDLE)
	end
	return ffi.string(v.body, v.body_len)
end

-- req:headers() iterates over the header fields: for name, value in ...
function Request:headers()
	local v = view(self)
	local i, n = -1, v and tonumber(v.header_count) or 0
	return function()
		i = i + 1
		if i < n and view(self) then
			local h = v.headers[i]
			return ffi.string(h.name, h.name_len), ffi.string(h.value, h.value_len)
		end
	end
end

local value_out, length_out = ffi.new("const char *[1]"), ffi.new("size_t[1]")

-- req:header(name) is the first value of the field `name` (any case), or
-- nil, message, porter.ENOTFOUND.
function Request:header(name)
	check_type(name, "string", "#1 to 'header'")
	local rc = C.req_header(self.id, name, #name, value_out, length_out)
	if rc < 0 then
		return fail(rc)
	end
	return ffi.string(value_out[0], length_out[0])
end

-- On a shared server, events go to the state that tags the request; tag
-- it before it first waits (an untagged event is sent to every state).
local function tag(req)
	if req.tag ~= 0 and req.tagged == 0 then
		req.tagged = 1
		C.req_set_data(req.id, ffi.cast("void *", req.tag))
	end
end

local READ_SIZE = 65536
local read_buf = ffi.new("uint8_t[?]", READ_SIZE)

--[[ req:read([max]) reads up to max (at most 64 KiB) bytes of the body:
a non-empty string; "" at the end of the body; nil, message, code on
failure: porter.EAGAIN when no byte is there yet (an EV_BODY event
follows), porter.EABORTED when the body broke off. ]]
function Request:read(max)
	local n = C.req_body_read(self.id, read_buf, max and math.min(max, READ_SIZE) or READ_SIZE)
	if n > 0 then
		return ffi.string(read_buf, n)
	elseif n == 0 then
		return ""
	end
	if n == EAGAIN then
		tag(self)
	end
	return fail(n)
end

-- Response headers: a map {["Content-Type"] = "text/plain"} (a value may
-- be a list of values) or a list of pairs {{"Set-Cookie", "a=1"}, ...}.
local header_buf, header_cap = ffi.new("porter_header[16]"), 16
local anchors, anchored = {}, 0 -- strings made here, kept until the call returns

local function put_header(n, name, value)
	if type(name) ~= "string" then
		error("bad header name (string expected, got " .. type(name) .. ")", 4)
	end
	if type(value) ~= "string" then
		if type(value) ~= "number" then
			error("bad value for header '" .. name .. "' (string expected, got " .. type(value) .. ")", 4)
		end
		value = tostring(value)
		anchored = anchored + 1
		anchors[anchored] = value
	end
	if n == header_cap then
		local bigger = ffi.new("porter_header[?]", header_cap * 2)
		ffi.copy(bigger, header_buf, ffi.sizeof("porter_header") * header_cap)
		header_buf, header_cap = bigger, header_cap * 2
	end
	local h = header_buf[n]
	h.name, h.name_len, h.value, h.value_len = name, #name, value, #value
	return n + 1
end

local function c_headers(headers)
	if headers == nil then
		return nil, 0
	end
	check_type(headers, "table", "'headers'", 4)
	local n = 0
	if headers[1] ~= nil then
		for i = 1, #headers do
			local h = headers[i]
			n = put_header(n, h[1], h[2])
		end
	else
		for name, value in pairs(headers) do
			if type(value) == "table" then
				for i = 1, #value do
					n = put_header(n, name, value[i])
				end
			else
				n = put_header(n, name, value)
			end
		end
	end
	return header_buf, n
end

local function release_anchors()
	for i = 1, anchored do
		anchors[i] = nil
	end
	anchored = 0
end

-- ending records whether an ending call released the handle: it did
-- unless the call was refused (bad input, wrong state) and left the
-- request as it was.
local function ending(req, rc)
	if rc == 0 or rc == EABORTED or rc == EHANDLE then
		release(req)
	end
	if rc < 0 then
		return fail(rc)
	end
	return true
end

-- req:respond(status, [headers], [body]) sends a whole response and ends
-- the request. porter adds Content-Length and Date.
function Request:respond(status, headers, body)
	check_type(status, "number", "#1 to 'respond'")
	if body ~= nil then
		check_type(body, "string", "#3 to 'respond'")
	end
	local hs, n = c_headers(headers)
	local rc = C.req_respond(self.id, status, hs, n, body, body and #body or 0)
	release_anchors()
	return ending(self, rc)
end

-- req:write_head(status, [headers], [length]) starts a streamed response
-- of `length` bytes (nil: unknown, sent chunked).
function Request:write_head(status, headers, length)
	check_type(status, "number", "#1 to 'write_head'")
	if length ~= nil then
		check_type(length, "number", "#3 to 'write_head'")
	end
	local hs, n = c_headers(headers)
	local rc = C.req_write_head(self.id, status, hs, n, length or -1)
	release_anchors()
	if rc < 0 then
		if rc == EABORTED then
			self.started = 1 -- end it with req:abort()
		end
		return fail(rc)
	end
	self.started = 1
	return true
end

--[[ req:write(data, [from]) writes data (from byte `from` on, default 1)
of a streamed response. Returns the number of bytes taken, which may be
fewer than offered; nil, message, porter.EAGAIN when none fit (an
EV_WRITABLE event follows). ]]
function Request:write(data, from)
	check_type(data, "string", "#1 to 'write'")
	from = from or 1
	local n = C.req_write(self.id, ffi.cast("const char *", data) + (from - 1), #data - from + 1)
	if n >= 0 then
		return n
	end
	if n == EAGAIN then
		tag(self)
	end
	return fail(n)
end

-- req:finish() ends a streamed response.
function Request:finish()
	local rc = C.req_finish(self.id)
	if rc == ESTATE and self.started == 0 then
		return fail(rc) -- no response started: the request is still open
	end
	if rc == ESTATE then
		release(self)
		return fail(rc)
	end
	return ending(self, rc)
end

-- req:abort() ends the request without a complete response (the
-- connection closes); it is also how to release a request after
-- porter.EV_ABORT.
function Request:abort()
	if self.released == 1 then
		return true
	end
	release(self)
	local rc = C.req_abort(self.id)
	if rc < 0 and rc ~= EHANDLE then
		return fail(rc)
	end
	return true
end

-- req:ended() says whether the request was ended by this state.
function Request:ended()
	return self.released == 1
end

-- ---- Waiting on several descriptors ------------------------------------

local POLLIN = 1

-- porter.poll([timeout], ...) waits until one of the objects (servers, or
-- anything with a :pollfd() method, or plain descriptors) is readable and
-- returns the first such one, or nil after timeout seconds (nil: no limit).
function M.poll(timeout, ...)
	local n = select("#", ...)
	local fds = ffi.new("struct porter_lua_pollfd[?]", n)
	for i = 1, n do
		local o = select(i, ...)
		fds[i - 1].fd = type(o) == "number" and o or o:pollfd()
		fds[i - 1].events = POLLIN
	end
	if ffi.C.porter_lua_poll(fds, n, millis(timeout)) > 0 then
		for i = 1, n do
			if fds[i - 1].revents ~= 0 then
				return (select(i, ...))
			end
		end
	end
	return nil
end

-- ---- Several Lua states pulling from one server ------------------------

--[[ porter.attach(address, tag, inbox, peers) makes this state's object
for a server that another state owns (porter.threads does this for each
of its threads). address is the porter_server pointer as a number; tag is
this state's number (1..#peers); inbox is the read end of its pipe and
peers the write ends of every state's pipe, by tag. An event for a request
that another state holds is written to that state's pipe; pollfd() waits
on both porter and the inbox. close() does not free the server. ]]
function M.attach(address, tag_number, inbox, peers)
	check_type(address, "number", "#1 to 'attach'")
	check_type(tag_number, "number", "#2 to 'attach'")
	local epfd = ffi.C.porter_lua_epoll_create1(0x80000) -- EPOLL_CLOEXEC
	if epfd < 0 then
		return nil, "epoll_create1 failed", EINVAL
	end
	local ptr = ffi.cast("porter_server *", address)
	local ev = ffi.new("struct porter_lua_epoll_event")
	for _, fd in ipairs {C.server_pollfd(ptr), inbox} do
		ev.events = POLLIN
		if fd < 0 or ffi.C.porter_lua_epoll_ctl(epfd, 1, fd, ev) < 0 then -- EPOLL_CTL_ADD
			C.porter_lua_close(epfd)
			return nil, "cannot watch descriptor " .. fd, EINVAL
		end
	end
	serials = serials + 1
	open[serials] = true
	shared[serials] = {epfd = epfd, inbox = inbox, peers = peers, backlog = {},
		ready = ffi.new("struct porter_lua_epoll_event[2]")}
	return ffi.gc(ServerT(ptr, serials, 0, tag_number), free_server)
end

-- send writes one event to another state's pipe. Writes of an event are
-- atomic (it is smaller than PIPE_BUF); one that does not fit waits in
-- the backlog and is retried on the next pull.
local function send(sh, peer, ev)
	local fd = sh.peers[peer]
	if fd and ffi.C.porter_lua_write(fd, ev, EVENT_SIZE) ~= EVENT_SIZE then
		local copy = ffi.new("porter_event")
		ffi.copy(copy, ev, EVENT_SIZE)
		sh.backlog[#sh.backlog + 1] = {peer, copy}
	end
end

local function flush_backlog(sh)
	local pending = sh.backlog
	if #pending > 0 then
		sh.backlog = {}
		for _, item in ipairs(pending) do
			send(sh, item[1], item[2])
		end
	end
end

-- sort_out keeps the events[first..first+n-1] that belong here (new
-- requests, and events tagged with this state or untagged) packed from
-- `first` on, sends the others to their states, and returns how many it
-- kept. An untagged event of an older request may belong to any state,
-- so every other state gets a copy too; states ignore ids they do not hold.
local function sort_out(srv, sh, first, n)
	local events, own, kept = srv.batch, srv.tag, first
	for i = first, first + n - 1 do
		local ev = events + i
		local owner = tonumber(ffi.cast("intptr_t", ev.data))
		if ev.type == EV_REQUEST or owner == own or owner == 0 then
			if owner == 0 and ev.type ~= EV_REQUEST then
				for peer in pairs(sh.peers) do
					if peer ~= own then
						send(sh, peer, ev)
					end
				end
			end
			if kept ~= i then
				events[kept] = events[i]
			end
			kept = kept + 1
		else
			send(sh, owner, ev)
		end
	end
	return kept - first
end

function pull_shared(srv, ms)
	local sh = shared[srv.serial]
	for attempt = 1, 2 do
		flush_backlog(sh)
		local got = tonumber(ffi.C.porter_lua_read(sh.inbox, srv.batch, BATCH * EVENT_SIZE))
		local n = got > 0 and got / EVENT_SIZE or 0
		if n < BATCH then
			local m = C.server_next(srv.ptr, srv.batch + n, BATCH - n, 0)
			if m < 0 and n == 0 then
				return m
			elseif m > 0 then
				n = n + sort_out(srv, sh, n, m)
			end
		end
		if n > 0 or ms == 0 or attempt == 2 then
			return n
		end
		if #sh.backlog > 0 and (ms < 0 or ms > 10) then
			ms = 10
		end
		ffi.C.porter_lua_epoll_wait(sh.epfd, sh.ready, 2, ms)
	end
end

return M
