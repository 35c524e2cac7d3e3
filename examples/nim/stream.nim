## stream.nim -- streamed bodies both ways, from async handlers; the same
## behaviour as `examples/c/stream`. Usage: stream [host:port]
##
##   GET /stream?n=N  N lines "line <i>" (default 10, at most 100000) as a
##                    response of unknown length: chunked on HTTP/1.1
##   POST /upload     reads a body of any length 4 KiB at a time, hashing
##                    as it arrives; answers {"body_length","body_sha256"}
##   anything else    404
import std/[asyncdispatch, os, strutils]
import porter
import common

const
  defaultLines = 10
  maxLines = 100_000
  text = {"Content-Type": "text/plain"}

proc linesWanted(query: string): int =
  ## n=N from a query string: the default when there is no n, at most
  ## maxLines, and -1 when N is not a number.
  for param in query.split('&'):
    if param.startsWith("n="):
      let digits = param[2 .. ^1]
      if digits.len == 0 or not digits.allCharsInSet(Digits):
        return -1
      if digits.len > 6:
        return maxLines
      return min(parseInt(digits), maxLines)
  defaultLines

proc streamLines(req: Request, n: int) {.async.} =
  ## Sends n lines, one write each, of a response whose length is unknown.
  ## A client that goes away makes `write` raise: the handler just stops.
  req.writeHead(200, text)
  for i in 1 .. n:
    await req.write("line " & $i & "\n")
  req.finish()

proc upload(req: Request) {.async.} =
  ## Hashes the body as it arrives, then answers its length and hash. A
  ## broken body makes `read` raise; porter has answered 400 or 408.
  var sha = initSha256()
  var total = 0
  while true:
    let chunk = await req.read(4096)
    if chunk.len == 0:
      break
    sha.update(chunk)
    total += chunk.len
  req.respond(200, "{\"body_length\":" & $total & ",\"body_sha256\":\"" &
              sha.hex & "\"}\n", {"Content-Type": "application/json"})

proc handle(req: Request) {.async.} =
  if req.httpMethod == "GET" and req.path == "/stream":
    let n = linesWanted(req.query)
    if n < 0:
      req.respond(400, "n must be a number\n", text)
    else:
      await streamLines(req, n)
  elif req.httpMethod == "POST" and req.path == "/upload":
    await upload(req)
  else:
    # respond ends the request whole: porter deals with any body left
    # unread, so there is no need to read it here.
    req.respond(404, "not found\n", text)

let server = newServer(Config(streamBodies: true))
server.listenPrint(if paramCount() > 0: paramStr(1) else: defaultAddress)
server.shutdownOnSignal(5000)
waitFor server.serve(handle)
