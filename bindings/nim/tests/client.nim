## A small HTTP/1.1 client for the tests, on the same dispatcher as the
## server under test: it sends exactly the bytes it is given and parses
## one response at a time (Content-Length, chunked, or up to the close).

import std/[asyncdispatch, asyncnet, monotimes, strutils, times]

type
  Response* = object
    status*: int
    headers*: seq[(string, string)]  ## as received
    body*: string

  Conn* = ref object
    sock: AsyncSocket

const testTimeoutMs* = 20_000 ## no test waits longer for one thing

proc run*[T](f: Future[T], ms = testTimeoutMs): T =
  ## Drives the dispatcher until `f` is done; fails after `ms`.
  if not waitFor f.withTimeout(ms):
    raise newException(IOError, "timed out after " & $ms & " ms")
  f.read

proc run*(f: Future[void], ms = testTimeoutMs) =
  if not waitFor f.withTimeout(ms):
    raise newException(IOError, "timed out after " & $ms & " ms")
  f.read

template waitUntil*(cond: untyped, ms = testTimeoutMs) =
  ## Runs the dispatcher until `cond` holds; fails after `ms`.
  let deadline = getMonoTime() + initDuration(milliseconds = ms)
  while not cond:
    if deadline < getMonoTime():
      raise newException(IOError, "timed out waiting for " & astToStr(cond))
    if hasPendingOperations():
      poll(10)

proc header*(r: Response, name: string): string =
  ## The first field named `name` (any case), or "".
  for (k, v) in r.headers:
    if cmpIgnoreCase(k, name) == 0:
      return v

proc connect*(port: Port): Future[Conn] {.async.} =
  let sock = newAsyncSocket()
  await sock.connect("127.0.0.1", port)
  return Conn(sock: sock)

proc close*(c: Conn) =
  c.sock.close()

proc send*(c: Conn, raw: string): Future[void] =
  c.sock.send(raw)

proc readExactly*(c: Conn, n: int): Future[string] {.async.} =
  var got = ""
  while got.len < n:
    let part = await c.sock.recv(n - got.len)
    if part.len == 0:
      raise newException(IOError, "connection closed in a body")
    got.add part
  return got

proc receive*(c: Conn, head = false): Future[Response] {.async.} =
  ## Reads one response; `head`: it answers a HEAD (no body).
  var resp: Response
  let status = await c.sock.recvLine()
  if status.len == 0:
    raise newException(IOError, "connection closed before a response")
  resp.status = parseInt(status.split(' ')[1])
  while true:
    let line = await c.sock.recvLine()
    if line == "\c\L" or line.len == 0:
      break
    let colon = line.find(':')
    resp.headers.add((line[0 ..< colon], line[colon + 1 .. ^1].strip))
  if head or resp.status in [204, 304]:
    return resp
  if resp.header("Content-Length") != "":
    resp.body = await c.readExactly(parseInt(resp.header("Content-Length")))
  elif cmpIgnoreCase(resp.header("Transfer-Encoding"), "chunked") == 0:
    while true:
      let size = fromHex[int]((await c.sock.recvLine()).strip)
      if size == 0:
        discard await c.sock.recvLine()
        break
      resp.body.add(await c.readExactly(size))
      discard await c.readExactly(2)
  else:
    while true:
      let part = await c.sock.recv(65536)
      if part.len == 0:
        break
      resp.body.add part
  return resp

proc request*(c: Conn, raw: string, head = false): Future[Response] {.async.} =
  await c.send(raw)
  return await c.receive(head)

proc fetch*(port: Port, raw: string, head = false): Future[Response]
    {.async.} =
  ## Sends `raw` on a new connection and reads one response.
  let c = await connect(port)
  try:
    return await c.request(raw, head)
  finally:
    c.close()

proc get*(port: Port, target: string, headers = ""): Future[Response] =
  ## GET `target`; `headers` are extra "Name: value\r\n" lines.
  fetch(port, "GET " & target & " HTTP/1.1\r\nHost: test\r\n" & headers &
        "Connection: close\r\n\r\n")

proc post*(port: Port, target, body: string, headers = ""): Future[Response] =
  fetch(port, "POST " & target & " HTTP/1.1\r\nHost: test\r\n" & headers &
        "Content-Length: " & $body.len & "\r\nConnection: close\r\n\r\n" &
        body)
