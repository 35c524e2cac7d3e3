## porter for Nim: an HTTP server whose parsing, socket I/O and limits are
## porter's, while every line of Nim runs on the program's thread.
##
## The server runs in porter's loop mode: porter never calls Nim code. It
## hands requests over through a poll descriptor that this module plugs
## into `std/asyncdispatch` (`serve`, `accept`), or that a synchronous
## program pulls from (`porter/pull`). Handlers are `{.async.}` procs on
## the program's own dispatcher, beside its other futures.
##
## .. code-block:: nim
##   import std/asyncdispatch, porter
##
##   proc hello(req: Request) {.async.} =
##     req.respond(200, "Hello World\n", {"Content-Type": "text/plain"})
##
##   let server = newServer()
##   server.listen("127.0.0.1:8080")
##   waitFor server.serve(hello)
##
## Rules:
## - Every request is ended exactly once: `respond`, `finish` (after
##   `writeHead`) or `abort`. A handler run by `serve` that ends without
##   doing so may still answer later (keep the `Request`); porter answers
##   503 itself once its response timeout passes.
## - A client that goes away is ordinary life (so is a timeout, or the
##   server closing under a request): `respond` and `finish` then return
##   quietly; calls that cannot go on (`write`, `read`, `writeHead`) raise
##   `PorterError` with code `PORTER_EABORTED`, which `serve` takes as the
##   end of that request, not as a failure.
## - Everything else that fails raises `PorterError`, whose `code` is the
##   `PORTER_E*` code of `porter.h`.

import std/[asyncdispatch, deques, httpcore, sequtils, strutils, tables]
import porter/abi

export Port
# The error codes, for `PorterError.code`.
export PORTER_OK, PORTER_EINVAL, PORTER_EHANDLE, PORTER_ESTATE, PORTER_EAGAIN,
  PORTER_EABORTED, PORTER_ECLOSED, PORTER_ETIMEDOUT, PORTER_EPEER,
  PORTER_EHEADER, PORTER_ELISTEN, PORTER_ENOTFOUND, PORTER_EBUSY,
  PORTER_EFORK, PORTER_EINTERNAL

type
  PorterError* = object of CatchableError
    ## A porter call failed; `code` is its negative `PORTER_E*` code.
    code*: int

  Config* = object
    ## How a server behaves. Zero in any field keeps porter's default
    ## (see the README's table of limits); sizes are bytes, times
    ## milliseconds.
    streamBodies*: bool   ## read bodies with `read` instead of `body`
    queueDepth*: int      ## requests waiting for the program, then 503
    maxConnections*: int
    maxHeaderCount*: int
    maxRequestLine*: int
    maxHeaderBytes*: int
    maxBodyBytes*: int    ## largest buffered body, else 413
    streamBuffer*: int    ## bytes buffered per direction of a stream
    headerTimeoutMs*: int
    bodyTimeoutMs*: int
    idleTimeoutMs*: int
    writeTimeoutMs*: int
    responseTimeoutMs*: int ## for the program to start a response
    disableHttp2*: bool   ## TLS listeners offer only HTTP/1.1
    h2c*: bool            ## plain listeners also take HTTP/2 with prior
                          ## knowledge
    maxStreams*: int      ## HTTP/2 streams per connection
    logDepth*: int        ## access and error log records kept (0: no log;
                          ## read them with porter/abi's server_log_next)

  Handler* = proc (req: Request): Future[void] {.closure, gcsafe.}
    ## Handles one request on the program's dispatcher.

  ListenOption* = enum
    ## What a listener does beyond its address.
    reusePort ## SO_REUSEPORT: other sockets, in this or other processes,
              ## may bind the same port; the kernel spreads clients
    v6only    ## an IPv6 wildcard address ("[::]:80") takes no IPv4 clients
    https     ## TLS 1.2 or newer with the server's certificates
              ## (`setCertificates`, `useSelfSigned`)
    scgi      ## SCGI from a web server in front (nginx `scgi_pass`)

  Certificate* = object
    ## A certificate chain (leaf first) and its private key, PEM-encoded:
    ## in memory, or else in the files named.
    certPem*, keyPem*: string
    certFile*, keyFile*: string

  Stats* = object
    ## A server's counters since `newServer` (`porter_stats`).
    connections*: int64   ## open now
    accepted*: int64      ## connections accepted or added
    requests*: int64      ## requests handed to the program
    bytesIn*, bytesOut*: int64
    acceptErrors*: int64  ## failed accepts (EMFILE...), retried
    rejectedMalformed*: int64   ## 400
    rejectedTooLarge*: int64    ## 413, 414, 431
    rejectedTimeout*: int64     ## 408
    rejectedUnsupported*: int64 ## 417, 501, 505
    rejectedOverloaded*: int64  ## 503: queue full, or shutting down
    tlsErrors*: int64
    logsDropped*: int64   ## log records lost for want of room
    loopStalls*: int64    ## callback mode: a handler held an event loop
    hostAway*: int64      ## loop mode: porter served the loop in the
                          ## program's place (no thread was polling)

  LogKind* = enum
    ## What a `LogRecord` is about.
    lkAccess = 1  ## a request, once answered, ended or refused
    lkError = 2   ## a failure that belongs to no request

  LogRecord* = object
    ## One record of the access and error log (`porter_log`).
    kind*: LogKind
    status*: int          ## the status sent; 0 when the response was cut
    version*: int         ## 10, 11 or 20
    code*: int            ## why porter ended it early (a PORTER_E* code), or 0
    bytesIn*, bytesOut*: int64
    durationUs*: int64
    `method`*, target*, remote*, message*: string

  RawServer = object
    ## Owns the C server: freed once, never copied.
    p: ptr porter_server

  ServerObj = object
    raw: RawServer
    started: bool
    attached: bool              # its poll descriptor is in asyncdispatch
    fd: int                     # the poll descriptor, or -1
    handler: Handler            # nil: requests wait in `waiting`
    live: Table[porter_req, Request] # handed over and not yet ended
    waiting: Deque[Request]     # not yet taken by the program
    acceptors: Deque[Future[Request]]
    done: Future[void]          # completes once closed

  Server* = ref ServerObj
    ## An HTTP server. `close` frees it at once; a server the program no
    ## longer references is freed by the garbage collector.

  RequestState = enum
    fresh, streaming, ended

  Request* = ref object
    ## One request and its response. Its view (method, target, headers,
    ## buffered body) is porter's memory, readable until the request is
    ## ended; after that the accessors raise `PorterError`.
    server: Server
    id: porter_req               # the C handle
    view: ptr porter_request
    state: RequestState
    abortCode: int              # why porter ended it, or 0
    inUse: bool                 # the program holds it
    bodyReady, writable: bool   # a PORTER_EV_BODY / _WRITABLE came
    bodyWaiter, writeWaiter: Future[void]

const
  batch = 64            # events pulled per server_next call
  batchesPerStep = 4    # then let the dispatcher run other work

proc `=destroy`(raw: var RawServer) =
  if raw.p != nil:
    discard server_free(raw.p)
    raw.p = nil

proc `=copy`(dst: var RawServer, src: RawServer) {.error.}

# ---- Errors ---------------------------------------------------------------

proc newPorterError*(code: int, what: string): ref PorterError =
  ## Makes the error for `code` ("what: message (PORTER_ENAME)").
  (ref PorterError)(code: code, msg: what & ": " &
    $porter_strerror(code.cint) & " (" & $porter_errname(code.cint) & ")")

proc check(rc: cint, what: string): int {.discardable.} =
  if rc < 0:
    raise newPorterError(rc, what)
  rc

proc version*(): string =
  ## The library's version, "MAJOR.MINOR.PATCH".
  $porter_version()

# ---- Servers --------------------------------------------------------------

proc newServer*(config = Config()): Server =
  ## Makes a server. It does not listen yet.
  for size in [config.maxRequestLine, config.maxHeaderBytes,
               config.maxBodyBytes, config.streamBuffer]:
    if size < 0: # porter cannot see a negative size_t
      raise newPorterError(PORTER_EINVAL, "server_new")
  var c = porter_config(size: csize_t(sizeof(porter_config)),
    stream_bodies: cint(config.streamBodies),
    queue_depth: config.queueDepth.cint,
    max_connections: config.maxConnections.cint,
    max_header_count: config.maxHeaderCount.cint,
    max_request_line: config.maxRequestLine.csize_t,
    max_header_bytes: config.maxHeaderBytes.csize_t,
    max_body_bytes: config.maxBodyBytes.csize_t,
    stream_buffer: config.streamBuffer.csize_t,
    header_timeout_ms: config.headerTimeoutMs.cint,
    body_timeout_ms: config.bodyTimeoutMs.cint,
    idle_timeout_ms: config.idleTimeoutMs.cint,
    write_timeout_ms: config.writeTimeoutMs.cint,
    response_timeout_ms: config.responseTimeoutMs.cint,
    disable_http2: cint(config.disableHttp2), h2c: cint(config.h2c),
    max_streams: config.maxStreams.cint, log_depth: config.logDepth.cint)
  result = Server(fd: -1, done: newFuture[void]("porter.serve"))
  check(server_new(c.addr, result.raw.p.addr), "server_new")

proc closed*(s: Server): bool =
  ## Whether the server is closed and freed.
  s.raw.p == nil

proc alive(s: Server, what: string): ptr porter_server =
  if s.raw.p == nil:
    raise newPorterError(PORTER_ECLOSED, what)
  s.raw.p

proc errmsg(s: Server): string =
  var buf: array[512, char]
  let n = server_errmsg(s.raw.p, buf[0].addr, buf.len.csize_t)
  result = newString(clamp(n, 0, buf.len - 1))
  if result.len > 0:
    copyMem(result[0].addr, buf[0].addr, result.len)

proc listened(s: Server, rc: cint, what: string): int =
  if rc == PORTER_ELISTEN:
    raise (ref PorterError)(code: rc, msg: what & ": " & s.errmsg())
  check(rc, what)

proc listen*(s: Server, address: string, options: set[ListenOption] = {},
             unixMode = 0): int {.discardable.} =
  ## Listens on "host:port" ("127.0.0.1:0", "[::1]:8080", ":8080"; port
  ## 0 picks a free one) or on a unix socket, "unix:PATH" (`unixMode`: its
  ## permission bits, 0 for the umask's). SO_REUSEADDR is always on.
  ## Returns the listener's index. Add every listener before the server
  ## starts.
  const flags: array[ListenOption, cint] = [PORTER_LISTEN_REUSEPORT,
    PORTER_LISTEN_V6ONLY, PORTER_LISTEN_TLS, PORTER_LISTEN_SCGI]
  var opts = porter_listen_options(size: csize_t(sizeof(porter_listen_options)),
                                   unix_mode: unixMode.cint)
  for option in options:
    opts.flags = opts.flags or flags[option]
  s.listened(server_listen_opts(s.alive("server_listen"), address.cstring,
                                opts.addr), "listen " & address)

proc listenFd*(s: Server, fd: int): int {.discardable.} =
  ## Serves a socket that is already listening (systemd's LISTEN_FDS,
  ## inetd "wait"); porter works on a duplicate. Returns the listener's
  ## index.
  s.listened(server_listen_fd(s.alive("server_listen_fd"), fd.cint),
             "listen on descriptor " & $fd)

proc addConnection*(s: Server, fd: int) =
  ## Serves a connection the program accepted itself, on a started
  ## server; porter works on a duplicate, the program closes `fd`.
  check(server_conn_add(s.alive("server_conn_add"), fd.cint),
        "server_conn_add")

proc setCertificates*(s: Server, certs: openArray[Certificate]) =
  ## Gives the `https` listeners these certificates, at once: a handshake
  ## picks the one whose names match the client's SNI (the first when none
  ## does). Call it before the server starts, and any time after to renew.
  var list = newSeq[porter_cert](certs.len)
  for i, c in certs:
    list[i] = porter_cert(size: csize_t(sizeof(porter_cert)),
      cert_pem: (if c.certPem.len > 0: c.certPem.cstring else: nil),
      cert_pem_len: c.certPem.len.csize_t,
      key_pem: (if c.keyPem.len > 0: c.keyPem.cstring else: nil),
      key_pem_len: c.keyPem.len.csize_t,
      cert_file: (if c.certFile.len > 0: c.certFile.cstring else: nil),
      key_file: (if c.keyFile.len > 0: c.keyFile.cstring else: nil))
  let rc = server_tls_certs(s.alive("server_tls_certs"),
                            (if list.len > 0: list[0].addr else: nil),
                            list.len.csize_t)
  if rc < 0:
    raise (ref PorterError)(code: rc, msg: "setCertificates: " & s.errmsg())

proc useSelfSigned*(s: Server) =
  ## Gives the server a certificate it makes for localhost, 127.0.0.1 and
  ## ::1, valid a year: for development only.
  check(server_tls_self_signed(s.alive("server_tls_self_signed")),
        "server_tls_self_signed")

proc address*(s: Server, index = 0): string =
  ## The bound address of listener `index`, "host:port".
  var buf: array[256, char]
  let n = check(server_addr(s.alive("server_addr"), index.cint,
                            buf[0].addr, buf.len.csize_t), "server_addr")
  result = newString(min(n, buf.len - 1))
  if result.len > 0:
    copyMem(result[0].addr, buf[0].addr, result.len)

proc port*(s: Server, index = 0): Port =
  ## The bound port of listener `index`.
  let a = s.address(index)
  Port(parseInt(a[a.rfind(':') + 1 .. ^1]))

proc pause*(s: Server) =
  ## Stops accepting connections: new clients wait in the kernel's
  ## backlog, open connections carry on.
  check(server_pause(s.alive("server_pause")), "server_pause")

proc resume*(s: Server) =
  ## Accepts connections again after `pause`.
  check(server_resume(s.alive("server_resume")), "server_resume")

proc stats*(s: Server): Stats =
  ## The server's counters.
  var c = porter_stats(size: csize_t(sizeof(porter_stats)))
  check(server_stats(s.alive("server_stats"), c.addr), "server_stats")
  Stats(connections: c.connections, accepted: c.accepted,
        requests: c.requests, bytesIn: c.bytes_in, bytesOut: c.bytes_out,
        acceptErrors: c.accept_errors,
        rejectedMalformed: c.rejected_malformed,
        rejectedTooLarge: c.rejected_too_large,
        rejectedTimeout: c.rejected_timeout,
        rejectedUnsupported: c.rejected_unsupported,
        rejectedOverloaded: c.rejected_overloaded, tlsErrors: c.tls_errors,
        logsDropped: c.logs_dropped, loopStalls: c.loop_stalls,
        hostAway: c.host_away)

proc logNext*(s: Server, rec: var LogRecord): bool =
  ## Moves the oldest waiting log record into `rec`; false when none
  ## waits. Records are kept with `Config.logDepth` > 0.
  var c = porter_log(size: csize_t(sizeof(porter_log)))
  if check(server_log_next(s.alive("server_log_next"), c.addr), "server_log_next") == 0:
    return false
  rec = LogRecord(kind: LogKind(c.kind), status: c.status.int,
    version: c.version.int, code: c.code.int, bytesIn: c.bytes_in,
    bytesOut: c.bytes_out, durationUs: c.duration_us,
    `method`: newString(c.method_len.int), target: newString(c.target_len.int),
    remote: newString(c.remote_len.int), message: newString(c.message_len.int))
  for (dst, src, n) in [(rec.`method`.addr, c.`method`, c.method_len),
                        (rec.target.addr, c.target, c.target_len),
                        (rec.remote.addr, c.remote, c.remote_len),
                        (rec.message.addr, c.message, c.message_len)]:
    if n > 0:
      copyMem(dst[][0].addr, src, n.int)
  true

proc start*(s: Server) =
  ## Starts serving every listener in the background; requests then wait
  ## for `serve`, `accept` or `porter/pull`'s `next`. Does nothing if the
  ## server already started.
  if not s.started:
    check(server_start(s.alive("server_start")), "server_start")
    s.started = true

proc pollfd*(s: Server): int =
  ## The descriptor that is readable while `step` has work (events wait,
  ## or requests are coming in), for programs with their own loop: poll
  ## it, then call `step`, which may find nothing yet. Never read or close
  ## it.
  if s.fd < 0:
    s.fd = check(server_pollfd(s.alive("server_pollfd")), "server_pollfd")
  s.fd

# ---- Requests: the view ---------------------------------------------------

proc text(p: ptr char, n: csize_t): string =
  if n > 0: # "" needs no allocation
    result = newString(n.int)
    copyMem(result[0].addr, p, n.int)

proc checkedView(r: Request): ptr porter_request =
  if r.view == nil:
    raise newPorterError(PORTER_EHANDLE, "request already ended")
  r.view

proc httpMethod*(r: Request): string =
  ## The method as received, "GET".
  let v = r.checkedView
  text(v.`method`, v.method_len)

proc target*(r: Request): string =
  ## The request target as received: path?query.
  let v = r.checkedView
  text(v.target, v.target_len)

proc path*(r: Request): string =
  ## The target up to '?', still percent-encoded.
  let v = r.checkedView
  text(v.path, v.path_len)

proc query*(r: Request): string =
  ## The target after '?', or "".
  let v = r.checkedView
  text(v.query, v.query_len)

proc host*(r: Request): string =
  ## The Host header (or authority), or "".
  let v = r.checkedView
  text(v.host, v.host_len)

proc remote*(r: Request): string =
  ## The client's address, "ip:port".
  let v = r.checkedView
  text(v.remote, v.remote_len)

proc version*(r: Request): int =
  ## 10 for HTTP/1.0, 11 for HTTP/1.1, 20 for HTTP/2.
  r.checkedView.version.int

proc contentLength*(r: Request): int64 =
  ## The declared body length, or -1 when unknown (chunked).
  r.checkedView.content_length

proc tls*(r: Request): bool =
  ## Whether the request came over TLS (an `https` listener).
  let v = r.checkedView
  v.size.int >= sizeof(porter_request) and v.tls != 0

proc serverName*(r: Request): string =
  ## The server name (SNI) the TLS client asked for, or "".
  let v = r.checkedView
  if v.size.int >= sizeof(porter_request):
    result = text(v.server_name, v.server_name_len)

proc body*(r: Request): string =
  ## The whole body, when bodies are buffered (the default); "" when they
  ## are streamed (use `read`).
  let v = r.checkedView
  text(cast[ptr char](v.body), v.body_len)

iterator headers*(r: Request): tuple[name, value: string] =
  ## Every header field, in the order of the view (see `porter.h`).
  let v = r.checkedView
  for i in 0 ..< v.header_count.int:
    let h = v.headers[i]
    yield (text(h.name, h.name_len), text(h.value, h.value_len))

proc sameName(p: ptr char, n: csize_t, name: string): bool =
  if n.int != name.len:
    return false
  let s = cast[ptr UncheckedArray[char]](p)
  for i in 0 ..< name.len:
    if toLowerAscii(s[i]) != toLowerAscii(name[i]):
      return false
  true

proc headerCount*(r: Request): int =
  ## The number of header fields.
  r.checkedView.header_count.int

proc header*(r: Request, name: string, default = ""): string =
  ## The first field named `name` (any case), or `default`.
  let v = r.checkedView
  for i in 0 ..< v.header_count.int:
    let h = v.headers[i]
    if sameName(h.name, h.name_len, name):
      return text(h.value, h.value_len)
  default

proc hasHeader*(r: Request, name: string): bool =
  ## Whether a field named `name` (any case) was sent.
  let v = r.checkedView
  for i in 0 ..< v.header_count.int:
    if sameName(v.headers[i].name, v.headers[i].name_len, name):
      return true

proc ended*(r: Request): bool =
  ## Whether the request is ended (by the program, or by closing the
  ## server); its view is gone.
  r.state == ended

proc aborted*(r: Request): bool =
  ## Whether porter gave up on the request (client gone, timeout,
  ## shutdown); answering it is then a quiet no-op.
  r.abortCode != 0

# ---- Requests: ending and waking ------------------------------------------

proc wake(f: Future[void]) =
  if f != nil and not f.finished:
    f.complete()

proc release(r: Request) =
  ## Forgets r: porter has released (or is releasing) its handle.
  r.state = ended
  r.view = nil
  r.server.live.del(r.id)
  r.bodyWaiter.wake()
  r.writeWaiter.wake()

proc abort*(r: Request) =
  ## Ends the request without a complete response: the connection is
  ## closed and a streamed response is cut short. Does nothing if the
  ## request already ended.
  if r.state != ended:
    discard req_abort(r.id)
    r.release()

proc gone(r: Request, rc: cint, what: string) =
  ## Handles a call that porter refused because it ended the request.
  if r.abortCode == 0:
    r.abortCode = rc
  r.abort()
  raise newPorterError(rc, what)

proc usable(r: Request, what: string): bool =
  ## Whether calls on `r` can go on: false once porter ended it (client
  ## gone, timeout, server closed). Ending it twice is a bug: it raises.
  if r.state != ended:
    return true
  if r.abortCode == 0:
    raise newPorterError(PORTER_EHANDLE, what & " (request already ended)")
  false

proc goOn(r: Request, what: string) =
  ## Raises PORTER_EABORTED once porter ended `r`: a stream cannot go on.
  if not r.usable(what):
    raise newPorterError(PORTER_EABORTED, what)
  if r.abortCode != 0:
    r.gone(PORTER_EABORTED, what)

type CHeaders = object
  ## Response fields as porter_header structs pointing into Nim strings,
  ## which must outlive it; most responses need no allocation.
  few: array[8, porter_header]
  many: seq[porter_header]
  count: int

proc add(h: var CHeaders, name, value: string) =
  let field = porter_header(
    name: cast[ptr char](name.cstring), name_len: name.len.csize_t,
    value: cast[ptr char](value.cstring), value_len: value.len.csize_t)
  if h.count < h.few.len:
    h.few[h.count] = field
  else:
    if h.count == h.few.len:
      h.many = @(h.few)
    h.many.add field
  inc h.count

proc first(h: var CHeaders): ptr porter_header =
  if h.count == 0: nil
  elif h.count <= h.few.len: h.few[0].addr
  else: h.many[0].addr

template withHeaders(headers: openArray[(string, string)],
                     body: untyped) =
  ## Runs body with `cHeaders` and `cCount` viewing `headers` as C structs.
  var fields: CHeaders
  for i in 0 ..< headers.len:
    fields.add(headers[i][0], headers[i][1])
  let cHeaders {.inject.} = fields.first
  let cCount {.inject.} = fields.count.csize_t
  body

template withHeaders(headers: HttpHeaders, body: untyped) =
  ## `withHeaders` for the fields of `headers` (nil: none), viewed in place.
  var fields: CHeaders
  if headers != nil:
    for name in headers.table.keys:
      let values = addr headers.table[name] # iterating `[]` would copy
      for value in values[]:
        fields.add(name, value)
  let cHeaders {.inject.} = fields.first
  let cCount {.inject.} = fields.count.csize_t
  body

proc respondWith(r: Request, status: int, body: string,
                 cHeaders: ptr porter_header, cCount: csize_t) =
  if not r.usable("req_respond"):
    return
  let rc = req_respond(r.id, status.cint, cHeaders, cCount,
                       cast[pointer](body.cstring), body.len.csize_t)
  if rc == PORTER_EABORTED:
    r.abortCode = rc
  if rc == PORTER_OK or rc == PORTER_EABORTED:
    r.release()
  else:
    check(rc, "req_respond")

proc respond*(r: Request, status: int, body = "",
              headers: openArray[(string, string)] = []) =
  ## Sends a whole response and ends the request. porter adds
  ## Content-Length and Date: `headers` must not hold Content-Length or
  ## Transfer-Encoding. No body goes out for HEAD, 204 and 304.
  withHeaders(headers):
    r.respondWith(status, body, cHeaders, cCount)

proc respond*(r: Request, status: int, body: string, headers: HttpHeaders) =
  ## `respond` with the fields of a `std/httpcore` `HttpHeaders` (nil:
  ## none).
  withHeaders(headers):
    r.respondWith(status, body, cHeaders, cCount)

proc respond*(r: Request, code: HttpCode, body = "",
              headers: openArray[(string, string)] = []) =
  ## `respond` with a `std/httpcore` code (`Http200`).
  r.respond(code.int, body, headers)

proc writeHeadWith(r: Request, status: int, cHeaders: ptr porter_header,
                   cCount: csize_t, contentLength: int64) =
  r.goOn("req_write_head")
  let rc = req_write_head(r.id, status.cint, cHeaders, cCount, contentLength)
  if rc == PORTER_EABORTED:
    r.gone(rc, "req_write_head")
  check(rc, "req_write_head")
  r.state = streaming

proc writeHead*(r: Request, status: int,
                headers: openArray[(string, string)] = [],
                contentLength = -1'i64) =
  ## Starts a streamed response: `write` the body, then `finish`.
  ## `contentLength` is the body's exact length, or -1 if unknown
  ## (chunked on HTTP/1.1, ended by closing the connection on HTTP/1.0).
  withHeaders(headers):
    r.writeHeadWith(status, cHeaders, cCount, contentLength)

proc writeHead*(r: Request, status: int, headers: HttpHeaders,
                contentLength = -1'i64) =
  ## `writeHead` with the fields of a `std/httpcore` `HttpHeaders` (nil:
  ## none).
  withHeaders(headers):
    r.writeHeadWith(status, cHeaders, cCount, contentLength)

proc finish*(r: Request) =
  ## Ends a streamed response; what is still buffered is sent first.
  if not r.usable("req_finish"):
    return
  let rc = req_finish(r.id)
  if rc == PORTER_ESTATE and r.state == fresh:
    check(rc, "req_finish (no writeHead)")
  r.release() # in every other case the handle is gone
  if rc == PORTER_EABORTED:
    r.abortCode = rc # the client went away: not an error here
  else:
    check(rc, "req_finish")

proc writeSome(r: Request, data: string, done: var int): bool =
  ## Hands porter what fits of `data` from `done` on; false when its
  ## buffer is full (a PORTER_EV_WRITABLE will say when to go on).
  r.goOn("req_write")
  let n = req_write(r.id, data[done].unsafeAddr, csize_t(data.len - done))
  if n >= 0:
    done += n
    return true
  if n == PORTER_EAGAIN:
    r.writable = false
    return false
  if n == PORTER_EABORTED:
    r.gone(n, "req_write")
  raise newPorterError(n, "req_write")

proc readSome(r: Request, buf: var string): bool =
  ## Reads into `buf` and shortens it to what came ("" at the end of the
  ## body); false when nothing is there yet (a PORTER_EV_BODY will say
  ## when to go on).
  r.goOn("req_body_read")
  let n = req_body_read(r.id, buf[0].addr, buf.len.csize_t)
  if n >= 0:
    buf.setLen(n)
    return true
  if n == PORTER_EAGAIN:
    r.bodyReady = false
    return false
  if n == PORTER_EABORTED:
    r.gone(n, "req_body_read")
  raise newPorterError(n, "req_body_read")

proc write*(r: Request, data: string): Future[void] {.async.} =
  ## Writes body bytes of a streamed response. Completes once porter took
  ## every byte; waits while its buffer is full (backpressure).
  var done = 0
  while done < data.len:
    if not r.writeSome(data, done):
      r.writeWaiter = newFuture[void]("porter.write")
      await r.writeWaiter
      r.writeWaiter = nil

proc read*(r: Request, maxBytes = 65536): Future[string] {.async.} =
  ## Reads the next piece of the body, at most `maxBytes`; "" at its end.
  ## The first read sends "100 Continue" when the client asked for it.
  ## With buffered bodies it reads from the buffered copy.
  var buf = newString(max(maxBytes, 1))
  while not r.readSome(buf):
    r.bodyWaiter = newFuture[void]("porter.read")
    await r.bodyWaiter
    r.bodyWaiter = nil
  return buf

# ---- Events ---------------------------------------------------------------

proc settle(r: Request, fut: Future[void]) =
  r.inUse = false
  if fut.failed:
    let err = fut.error
    if r.state == fresh and r.abortCode == 0:
      try:
        r.respond(500)
      except PorterError:
        r.abort()
    else:
      r.abort()
    # The client went away: the handler stopped, nothing failed.
    if err of PorterError and (ref PorterError)(err).code == PORTER_EABORTED:
      return
    # Raise from the dispatcher, like asyncCheck: a failing handler stops
    # the program unless it catches its own errors.
    callSoon(proc () = raise err)
  elif r.abortCode != 0:
    r.abort()

proc handle*(r: Request, handler: Handler) =
  ## Runs `handler` on `r` the way `serve` does: when its future is done,
  ## a request porter gave up on is released; if it failed, the request
  ## gets a 500 (or is aborted if the response started) and the error is
  ## raised from the dispatcher, as `asyncCheck` would.
  r.inUse = true
  var fut: Future[void]
  try:
    fut = handler(r)
  except CatchableError as e:
    fut = newFuture[void]("porter.handle")
    fut.fail(e)
  if fut.finished:
    r.settle(fut)
  else:
    fut.addCallback(proc () = r.settle(fut))

proc onRequest(s: Server, ev: porter_event) =
  let r = Request(server: s, id: ev.req, view: ev.request)
  s.live[ev.req] = r
  if s.handler != nil:
    r.handle(s.handler)
  elif s.acceptors.len > 0:
    r.inUse = true
    s.acceptors.popFirst().complete(r)
  else:
    s.waiting.addLast(r)

proc onEvent(s: Server, ev: porter_event) =
  if ev.`type` == PORTER_EV_REQUEST:
    s.onRequest(ev)
    return
  # The request may be ended already: its late events mean nothing.
  let r = s.live.getOrDefault(ev.req)
  if r == nil:
    return
  case ev.`type`
  of PORTER_EV_BODY:
    r.bodyReady = true
    r.bodyWaiter.wake()
  of PORTER_EV_WRITABLE:
    r.writable = true
    r.writeWaiter.wake()
  of PORTER_EV_ABORT:
    r.abortCode = ev.code
    if r.inUse:
      # Its holder learns on its next call; the view stays until then.
      r.bodyReady = true
      r.writable = true
      r.bodyWaiter.wake()
      r.writeWaiter.wake()
    else:
      r.abort()
  else:
    discard

proc close*(s: Server) =
  ## Frees the server now: it stops listening, drops its connections, and
  ## ends every request it still has (their accessors then raise). The
  ## future of `serve` completes. Does nothing if already closed.
  if s.raw.p == nil:
    return
  if s.attached:
    unregister(AsyncFD(s.fd))
    s.attached = false
  discard server_free(s.raw.p)
  s.raw.p = nil
  for r in toSeq(s.live.values):
    r.abortCode = PORTER_ECLOSED
    r.release()
  s.waiting.clear()
  while s.acceptors.len > 0:
    s.acceptors.popFirst().fail(newPorterError(PORTER_ECLOSED, "accept"))
  if not s.done.finished:
    s.done.complete()

proc step*(s: Server, timeoutMs = 0): int =
  ## Handles the events that wait, waiting up to `timeoutMs` for the first
  ## (-1: until one comes). Returns how many it handled. New requests go
  ## to the handler of `serve`, or wait for `accept`. Once the server is
  ## shut down and drained, it closes the server and returns 0.
  var events {.noinit.}: array[batch, porter_event]
  var timeout = timeoutMs.cint
  for _ in 1 .. batchesPerStep:
    if s.raw.p == nil:
      break
    let n = server_next(s.raw.p, events[0].addr, batch.cint, timeout)
    if n == PORTER_ECLOSED:
      s.close()
      break
    check(n, "server_next")
    for i in 0 ..< n:
      # A handler may close the server: the views of the rest are gone.
      if s.raw.p == nil:
        break
      s.onEvent(events[i])
    result += n
    if n < batch:
      break
    timeout = 0

proc attach(s: Server) =
  ## Puts the poll descriptor into asyncdispatch, once.
  if s.attached:
    return
  let fd = AsyncFD(s.pollfd)
  register(fd)
  s.attached = true
  addRead(fd, proc (fd: AsyncFD): bool =
    discard s.step()
    s.closed)

proc shutdown*(s: Server, timeoutMs = 5000) =
  ## Stops accepting. Requests in flight may finish for `timeoutMs` more;
  ## then porter aborts what is left. The server closes itself once
  ## drained (the future of `serve` completes then; a program pulling
  ## with `step` sees `closed`). Calling it again only shortens the
  ## deadline.
  if s.raw.p != nil:
    check(server_shutdown(s.raw.p, timeoutMs.cint), "server_shutdown")

proc serve*(s: Server, handler: Handler): Future[void] =
  ## Starts the server if needed and runs `handler` for every request on
  ## the program's dispatcher. The future completes once the server is
  ## closed (`close`, or `shutdown` and drained).
  ##
  ## A handler that fails answers 500 and its error is raised from the
  ## dispatcher (as with `asyncCheck`); a handler stopped by a client that
  ## went away (`PORTER_EABORTED`) does not count as failed.
  s.handler = handler
  s.start()
  s.attach()
  while s.waiting.len > 0:
    let r = s.waiting.popFirst()
    if r.state != ended:
      r.handle(handler)
  s.done

proc accept*(s: Server): Future[Request] =
  ## The next request, on the program's dispatcher (for programs that
  ## run their own accept loop instead of `serve`). Starts the server if
  ## needed. Fails with `PORTER_ECLOSED` once the server is closed.
  result = newFuture[Request]("porter.accept")
  if s.raw.p == nil:
    result.fail(newPorterError(PORTER_ECLOSED, "accept"))
    return
  s.start()
  s.attach()
  while s.waiting.len > 0:
    let r = s.waiting.popFirst()
    if r.state != ended:
      r.inUse = true
      result.complete(r)
      return
  s.acceptors.addLast(result)

proc tryAccept*(s: Server): Request =
  ## The next request that already waits, or nil. Does not wait or look
  ## for new events (see `step`).
  while s.waiting.len > 0:
    let r = s.waiting.popFirst()
    if r.state != ended:
      r.inUse = true
      return r

# ---- Blocking calls, for programs that pull (porter/pull) -----------------

proc pump(r: Request, writing: bool) =
  ## Handles the server's events until `r` can go on writing (or
  ## reading), or porter ended it. porter's body and write timeouts bound
  ## the wait.
  while not (if writing: r.writable else: r.bodyReady) and
        r.abortCode == 0 and r.state != ended:
    discard r.server.step(1000)

proc send*(r: Request, data: string) =
  ## Writes body bytes of a streamed response, blocking while porter's
  ## buffer is full; the server's other events are handled meanwhile
  ## (new requests wait for `next`). For synchronous programs only: on
  ## the async dispatcher use `write`.
  var done = 0
  while done < data.len:
    if not r.writeSome(data, done):
      r.pump(writing = true)

proc recv*(r: Request, maxBytes = 65536): string =
  ## Reads the next piece of the body, at most `maxBytes`; "" at its end.
  ## Blocks like `send`; on the async dispatcher use `read`.
  result = newString(max(maxBytes, 1))
  while not r.readSome(result):
    r.pump(writing = false)
