## A drop-in for the standard library's `std/asynchttpserver` as Nim 1.6
## ships it: change `import std/asynchttpserver` to
## `import porter/asynchttpserver` and keep the program. Handlers stay
## `{.async.}` procs on the program's own dispatcher; porter parses,
## enforces its limits and does the socket I/O.
##
## .. code-block:: nim
##   import std/asyncdispatch
##   import porter/asynchttpserver
##
##   proc main {.async.} =
##     var server = newAsyncHttpServer()
##     proc cb(req: Request) {.async.} =
##       await req.respond(Http200, "Hello World",
##                         newHttpHeaders({"Content-Type": "text/plain"}))
##     server.listen(Port(0))
##     echo "listening on port ", server.getPort.uint16
##     while true:
##       if server.shouldAcceptRequest():
##         await server.acceptRequest(cb)
##       else:
##         await sleepAsync(500)
##
##   waitFor main()
##
## Where porter differs (see `docs/nim.md`):
## - `Request.client` is not a socket but porter's `Request`: stream a
##   response with `sendHeaders`, `req.client.write(data)` and
##   `req.client.finish()`. Raw bytes cannot be written to the client.
## - `acceptRequest` takes every request that arrived since the last call
##   (at least one) instead of one connection; connections belong to
##   porter.
## - SO_REUSEADDR is always on (`reuseAddr` is ignored).
## - Header fields repeated in a request keep all their values (the stdlib
##   keeps the last line's); unknown methods get 501 from the binding, and
##   framing errors, oversized heads and bodies get porter's answers.
## - `close` stops accepting; requests in flight get 10 s to finish. The
##   future of `serve` then completes, and a waiting `acceptRequest` fails
##   with `PorterError` (`PORTER_ECLOSED`).

import std/[asyncdispatch, httpcore, strutils, tables, uri]
from std/nativesockets import Domain, AF_INET, AF_INET6
import ../porter except Request

export httpcore except parseHeader
export PorterError, write, finish, abort

type
  Request* = object
    client*: porter.Request
      ## porter's request, not a socket: stream a response with it
      ## (`write`, `finish`) after `sendHeaders`.
    reqMethod*: HttpMethod
    headers*: HttpHeaders
    protocol*: tuple[orig: string, major, minor: int]
    url*: Uri
    hostname*: string    ## The hostname of the client that made the request.
    body*: string

  AsyncHttpServer* = ref object
    server: Server      # nil until `listen`
    running: bool       # on the dispatcher: `close` must drain
    listener: int       # the last listener, for getPort
    reuseAddr: bool     # kept for the stdlib's sake: Go always sets it
    reusePort: bool
    maxBody: int ## The maximum content-length that will be read for the body.
    maxFDs: int

  Callback = proc (request: Request): Future[void] {.closure, gcsafe.}

const
  nimMaxDescriptorsFallback* {.intdefine.} = 16_000 ## fallback value for \
    ## when `maxDescriptors` is not available.
    ## This can be set on the command line during compilation
    ## via `-d:nimMaxDescriptorsFallback=N`
  closeGraceMs = 10_000 ## how long `close` lets requests in flight finish

proc getPort*(self: AsyncHttpServer): Port =
  ## Returns the port `self` was bound to.
  ##
  ## Useful for identifying what port `self` is bound to, if it
  ## was chosen automatically, for example via `listen(Port(0))`.
  if self.server == nil:
    raise newPorterError(PORTER_ESTATE, "getPort before listen")
  self.server.port(self.listener)

proc newAsyncHttpServer*(reuseAddr = true, reusePort = false,
                         maxBody = 8388608): AsyncHttpServer =
  ## Creates a new `AsyncHttpServer` instance.
  AsyncHttpServer(reuseAddr: reuseAddr, reusePort: reusePort,
                  maxBody: maxBody)

# ---- Responses -------------------------------------------------------------

proc framed(headers: HttpHeaders): bool =
  ## Whether `headers` carry a Content-Length, which porter sets itself.
  ## (Keys are stored lower case, or title case: no need to make one.)
  headers != nil and (headers.table.hasKey("content-length") or
                      headers.table.hasKey("Content-Length"))

proc unframed(headers: HttpHeaders, contentLength: var int64): HttpHeaders =
  ## A copy of `headers` without Content-Length, whose value goes to
  ## `contentLength`.
  result = newHttpHeaders()
  for name, value in headers:
    if cmpIgnoreCase(name, "content-length") == 0:
      contentLength = parseBiggestInt(value.strip)
    else:
      result.add(name, value)

proc done(what: string): Future[void] =
  result = newFuture[void](what)
  result.complete()

proc failed(what: string, e: ref Exception): Future[void] =
  result = newFuture[void](what)
  result.fail(e)

proc sendHeaders*(req: Request, headers: HttpHeaders,
                  code = Http200): Future[void] =
  ## Starts a streamed response with `code` and `headers`; porter writes
  ## the status line and the framing (the Content-Length in `headers`, or
  ## chunked). Send the body with `req.client.write(data)` and end it with
  ## `req.client.finish()`.
  var length = -1'i64
  try:
    porter.writeHead(req.client, code.int,
                     if headers.framed: headers.unframed(length) else: headers,
                     length)
    done("asynchttpserver.sendHeaders")
  except PorterError, ValueError:
    failed("asynchttpserver.sendHeaders", getCurrentException())

proc respond*(req: Request, code: HttpCode, content: string,
              headers: HttpHeaders = nil): Future[void] =
  ## Responds to the request with the specified `HttpCode`, headers and
  ## content. porter sets Content-Length from `content` (a Content-Length
  ## in `headers` is left out) and adds a Date field.
  ##
  ## The connection stays open for the next request (keep-alive), as with
  ## the stdlib. A client that went away is not an error.
  var ignored: int64
  try:
    porter.respond(req.client, code.int, content,
                   if headers.framed: headers.unframed(ignored) else: headers)
    done("asynchttpserver.respond")
  except PorterError, ValueError:
    failed("asynchttpserver.respond", getCurrentException())

# ---- Requests --------------------------------------------------------------

proc addField(headers: HttpHeaders, name, value: string) =
  ## Stores a field as the stdlib parses one: a comma-separated list of
  ## values, each without its leading blanks, but a Cookie whole.
  let values = addr headers.table.mgetOrPut(toLowerAscii(name), @[])
  if cmpIgnoreCase(name, "cookie") == 0:
    values[].add value
    return
  var start = 0
  while true:
    while start < value.len and value[start] in Whitespace:
      inc start
    let comma = value.find(',', start)
    if comma < 0:
      values[].add value.substr(start)
      return
    values[].add value.substr(start, comma - 1)
    start = comma + 1
    if start >= value.len:
      return

proc clientHost(remote: string): string =
  ## "192.0.2.1:5000" -> "192.0.2.1"; "[::1]:5000" -> "::1".
  let colon = remote.rfind(':')
  result = if colon >= 0: remote[0 ..< colon] else: remote
  if result.len >= 2 and result[0] == '[' and result[^1] == ']':
    result = result[1 .. ^2]

proc toRequest(server: AsyncHttpServer, r: porter.Request,
               req: var Request): bool =
  ## Fills `req` from porter's view of `r`; false when the binding
  ## answered `r` itself.
  case r.httpMethod
  of "GET": req.reqMethod = HttpGet
  of "POST": req.reqMethod = HttpPost
  of "HEAD": req.reqMethod = HttpHead
  of "PUT": req.reqMethod = HttpPut
  of "DELETE": req.reqMethod = HttpDelete
  of "PATCH": req.reqMethod = HttpPatch
  of "OPTIONS": req.reqMethod = HttpOptions
  of "CONNECT": req.reqMethod = HttpConnect
  of "TRACE": req.reqMethod = HttpTrace
  else:
    porter.respond(r, Http501)
    return false
  req.body = r.body
  if req.body.len > server.maxBody:
    porter.respond(r, Http413)
    return false
  req.client = r
  let version = r.version
  req.protocol = case version
    of 11: ("HTTP/1.1", 1, 1)
    of 10: ("HTTP/1.0", 1, 0)
    else: ("HTTP/" & $(version div 10) & "." & $(version mod 10),
           version div 10, version mod 10)
  # newHttpHeaders() sizes its table for 32 fields: far more than most
  # requests have, and this is per request.
  req.headers = HttpHeaders(table: newTable[string, seq[string]](r.headerCount))
  for (name, value) in porter.headers(r):
    req.headers.addField(name, value)
  let target = r.target
  if target.startsWith('/') and not target.startsWith("//") and
     '#' notin target:
    # What parseUri makes of an origin-form target, without its cost.
    req.url = Uri(path: r.path, query: r.query)
  else:
    parseUri(target, req.url)
  req.hostname = clientHost(r.remote)
  true

proc handler(server: AsyncHttpServer, callback: Callback): Handler =
  ## Adapts a stdlib callback to porter's requests.
  result = proc (r: porter.Request): Future[void] {.gcsafe.} =
    var req: Request
    if server.toRequest(r, req):
      callback(req)
    else:
      done("asynchttpserver.callback")

# ---- The server ------------------------------------------------------------

proc listen*(server: AsyncHttpServer; port: Port; address = "";
             domain = AF_INET) =
  ## Listen to the given port and address. Raises `OSError` when the
  ## address cannot be bound, and `PorterError` for domains other than
  ## AF_INET and AF_INET6.
  let host =
    if domain == AF_INET6 or address.contains(':'):
      "[" & (if address == "": "::" else: address) & "]"
    elif domain == AF_INET:
      (if address == "": "0.0.0.0" else: address)
    else:
      raise newPorterError(PORTER_EINVAL, "porter cannot listen on " &
                           $domain)
  when declared(maxDescriptors):
    server.maxFDs = try: maxDescriptors() except: nimMaxDescriptorsFallback
  else:
    server.maxFDs = nimMaxDescriptorsFallback
  if server.server == nil:
    server.server = newServer(Config(maxBodyBytes: max(server.maxBody, 1)))
  try:
    server.listener = server.server.listen(host & ":" & $port.int,
      if server.reusePort: {ListenOption.reusePort} else: {})
  except PorterError as e:
    if e.code == PORTER_ELISTEN:
      raise newException(OSError, e.msg)
    raise

proc shouldAcceptRequest*(server: AsyncHttpServer;
                          assumedDescriptorsPerRequest = 5): bool {.inline.} =
  ## Returns true if the process's current number of opened file
  ## descriptors is still within the maximum limit and so it's reasonable to
  ## accept yet another request. (porter's connections are not counted:
  ## they are limited by porter's `maxConnections`.)
  result = assumedDescriptorsPerRequest < 0 or
    (activeDescriptors() + assumedDescriptorsPerRequest < server.maxFDs)

proc started(server: AsyncHttpServer): Server =
  if server.server == nil:
    raise newPorterError(PORTER_ESTATE, "listen first")
  server.running = true
  server.server

proc acceptRequest*(server: AsyncHttpServer,
                    callback: proc (request: Request): Future[void]
                              {.closure, gcsafe.}) {.async.} =
  ## Accepts the requests that arrived since the last call (waiting for
  ## one if none did) and starts `callback` on each. Write an explicit loop
  ## around this proc so that errors can be handled properly.
  let core = server.started()
  let run = server.handler(callback)
  var r = await core.accept()
  while r != nil:
    r.handle(run)
    r = core.tryAccept()

proc serve*(server: AsyncHttpServer, port: Port,
            callback: proc (request: Request): Future[void]
                      {.closure, gcsafe.},
            address = "";
            assumedDescriptorsPerRequest = -1;
            domain = AF_INET) {.async.} =
  ## Starts the process of listening for incoming HTTP connections on the
  ## specified address and port.
  ##
  ## When a request is made by a client the specified callback will be
  ## called. The future completes once the server is closed and the
  ## requests in flight are done. (`assumedDescriptorsPerRequest` is
  ## accepted and ignored: porter's connections are not the program's
  ## descriptors.)
  listen server, port, address, domain
  await server.started().serve(server.handler(callback))

proc close*(server: AsyncHttpServer) =
  ## Terminates the async http server instance: it stops accepting at
  ## once, and requests in flight get 10 s to finish.
  if server.server == nil:
    return
  if server.running:
    server.server.shutdown(closeGraceMs)
  else:
    server.server.close()
