## A pull API for synchronous programs with their own loop, in the spirit
## of Nim's old `scgi` module: `open` a server, take requests with
## `next(timeout)`, answer them, `close`. Nothing here needs
## `asyncdispatch`: `next` blocks for at most its timeout, and between
## calls the program does whatever else it has to do.
##
## .. code-block:: nim
##   import porter/pull
##
##   var server: Server
##   server.open("127.0.0.1:8080")
##   while true:
##     let req = server.next(timeout = 500)
##     if req != nil:
##       req.respond(200, "Hello World\n", {"Content-Type": "text/plain"})
##
## Requests are the `porter` module's, re-exported here: read them with
## `path`, `headers`, `body`…, answer with `respond`, or stream with
## `writeHead`, `send` (blocking) and `finish`; with
## `Config(streamBodies: true)` read bodies with `recv`. While `send` or
## `recv` wait, new requests queue up for the next `next`.

import std/[monotimes, times]
import ../porter

export porter

proc open*(s: var Server, address = "127.0.0.1:8080", config = Config()) =
  ## Makes `s` a server listening on `address` (port 0 picks a free one:
  ## see `port`), and starts it.
  s = newServer(config)
  s.listen(address)
  s.start()

proc next*(s: Server, timeout = -1): Request =
  ## The next request, waiting at most `timeout` milliseconds (-1: until
  ## one comes). Returns nil on timeout, or once the server is closed
  ## (after `shutdown`, when every request in flight is done: `closed`
  ## then says so).
  let deadline = getMonoTime() + initDuration(milliseconds = timeout)
  while true:
    result = s.tryAccept()
    if result != nil or s.closed:
      return
    var wait = -1
    if timeout >= 0:
      wait = max(0, (deadline - getMonoTime()).inMilliseconds.int)
    if s.step(wait) == 0 and wait == 0:
      return s.tryAccept()
