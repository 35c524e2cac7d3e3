## nim_bench.nim -- the Nim std/asynchttpserver peer of the benchmark:
##   GET  /      200 text/plain "Hello World\n"
##   POST /echo  200 application/octet-stream, the request body
##   GET  /1m    200 application/octet-stream, 1048576 bytes of 'x'
## anything else gets 404. Listens on 127.0.0.1:PORT, prints the bound
## address on stdout, and exits with status 0 on SIGTERM or SIGINT.
## Build: nim c -d:release --hints:off -o:nim_bench nim_bench.nim
## Usage: nim_bench PORT
import std/[asyncdispatch, asynchttpserver, os, posix, strutils]

const hello = "Hello World\n"
let big = repeat('x', 1048576)
let textHeaders = newHttpHeaders({"Content-Type": "text/plain"})
let octetHeaders = newHttpHeaders({"Content-Type": "application/octet-stream"})

proc handle(req: Request) {.async, gcsafe.} =
  {.gcsafe.}:
    let path = req.url.path
    let get = req.reqMethod in {HttpGet, HttpHead}
    if get and path == "/":
      await req.respond(Http200, hello, textHeaders)
    elif req.reqMethod == HttpPost and path == "/echo":
      await req.respond(Http200, req.body, octetHeaders)
    elif get and path == "/1m":
      await req.respond(Http200, big, octetHeaders)
    else:
      await req.respond(Http404, "Not Found\n", textHeaders)

proc onTerm(sig: cint) {.noconv.} =
  exitnow(0) # _exit: nothing to flush or drain, and async-signal-safe

proc main() =
  if paramCount() != 1:
    stderr.writeLine("usage: nim_bench PORT")
    quit(2)
  let port = parseInt(paramStr(1))
  # maxBody: the harness posts 1 KiB; allow what porter allows by default
  let server = newAsyncHttpServer(reuseAddr = true, maxBody = 8 * 1024 * 1024)
  server.listen(Port(port), "127.0.0.1")
  echo "127.0.0.1:", $server.getPort.uint16
  stdout.flushFile()
  signal(SIGTERM, onTerm)
  signal(SIGINT, onTerm)
  while true:
    if server.shouldAcceptRequest():
      waitFor server.acceptRequest(handle)
    else:
      poll()

main()
