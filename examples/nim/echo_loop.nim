## echo_loop.nim -- echo.nim with the pull API: a synchronous program with
## its own loop takes requests with `next(timeout)` and answers them; no
## asyncdispatch. Between requests the loop is free for other work (here:
## checking for a stop signal). Usage: echo_loop [host:port]
import std/os
import porter/pull
import common

discard catchStopSignals()
var server: Server
server.open(if paramCount() > 0: paramStr(1) else: defaultAddress)
stdout.writeLine(server.address)
stdout.flushFile()

var stopping = false
while not server.closed:
  let req = server.next(timeout = 200)
  if req != nil:
    req.respond(200, echoJson(req), {"Content-Type": "application/json"})
  if not stopping and stopRequested():
    # Stop accepting and give requests in flight 5 s; `next` returns nil
    # and `closed` turns true once they are done.
    server.shutdown(5000)
    stopping = true
