## echo.nim -- answers every request with a JSON description of it
## (method, target, headers, body length and SHA-256), the same bytes as
## `examples/c/echo`, from an async handler on the program's dispatcher.
## Usage: echo [host:port]
##
## Try: curl -d hello 'http://127.0.0.1:8080/a?b=1'
import std/[asyncdispatch, os]
import porter
import common

proc handle(req: Request) {.async.} =
  # Bodies are buffered (the default): the whole body is in the view.
  req.respond(200, echoJson(req), {"Content-Type": "application/json"})

let server = newServer()
server.listenPrint(if paramCount() > 0: paramStr(1) else: defaultAddress)
# SIGINT or SIGTERM: stop accepting and give requests in flight 5 s;
# serve's future completes once they are done.
server.shutdownOnSignal(5000)
waitFor server.serve(handle)
