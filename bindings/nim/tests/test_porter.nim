## The idiomatic module on asyncdispatch, against the real libporter.

import std/[asyncdispatch, httpcore, sequtils, strutils, unittest]
import porter
import client

proc newTestServer(config = Config()): (Server, Port) =
  let s = newServer(config)
  s.listen("127.0.0.1:0")
  (s, s.port)


template handler(body: untyped): Handler {.dirty.} =
  ## A handler whose body may use the test's globals (`req` is the
  ## request); the tests run on one thread.
  block:
    proc testHandler(req: Request) {.async, gcsafe.} =
      {.gcsafe.}:
        body
    Handler(testHandler)

template raisesCode(wanted: cint, body: untyped) =
  ## Checks that body raises PorterError with code `wanted`.
  var got = 0
  try:
    body
  except PorterError as e:
    got = e.code
  check got == wanted

suite "serving requests":
  var server: Server
  var port: Port
  setup:
    (server, port) = newTestServer()
  teardown:
    server.close()

  test "the view and a whole response":
    var seen: seq[string]
    discard server.serve(handler do:
      seen = @[req.httpMethod, req.target, req.path, req.query, req.host,
               $req.version, req.header("x-one"), req.header("X-Missing", "-"),
               $req.hasHeader("X-ONE"), $req.contentLength]
      var names: seq[string]
      for (name, value) in req.headers:
        names.add name & "=" & value
      seen.add names.join(",")
      check req.remote.startsWith("127.0.0.1:")
      req.respond(201, "made\n", {"Content-Type": "text/plain",
                                  "X-Reply": "yes"}))
    let resp = run get(port, "/a/b?c=1&d", "X-One: 1\r\nX-Two: two\r\n")
    check resp.status == 201
    check resp.body == "made\n"
    check resp.header("Content-Type") == "text/plain"
    check resp.header("X-Reply") == "yes"
    check resp.header("Content-Length") == "5"
    check seen[0 .. 9] == @["GET", "/a/b?c=1&d", "/a/b", "c=1&d", "test",
                            "11", "1", "-", "true", "0"]
    check "X-One=1" in seen[10] and "X-Two=two" in seen[10]

  test "many response headers, as pairs or HttpHeaders":
    discard server.serve(handler do:
      var pairs: seq[(string, string)]
      let fields = newHttpHeaders()
      for i in 1 .. 12:
        pairs.add ("X-H" & $i, $i)
        fields.add("X-H" & $i, $i)
      if req.path == "/pairs":
        req.respond(200, "", pairs)
      else:
        req.respond(200, "", fields))
    for path in ["/pairs", "/httpheaders"]:
      let resp = run get(port, path)
      for i in 1 .. 12:
        check resp.header("X-H" & $i) == $i

  test "HttpCode, HEAD and HTTP/1.0":
    discard server.serve(handler do:
      req.respond(Http404, "not here\n"))
    let resp = run fetch(port, "HEAD /x HTTP/1.0\r\n\r\n", head = true)
    check resp.status == 404
    check resp.header("Content-Length") == "9"
    check (run get(port, "/")).body == "not here\n"

  test "a buffered body":
    discard server.serve(handler do:
      req.respond(200, $req.body.len & ":" & req.body))
    check (run post(port, "/", "hello")).body == "5:hello"
    let big = repeat("0123456789", 100_000)
    check (run post(port, "/", big)).body == $big.len & ":" & big

  test "keep-alive: several requests on one connection":
    var count = 0
    discard server.serve(handler do:
      inc count
      req.respond(200, $count))
    let c = run connect(port)
    for i in 1 .. 3:
      let resp = run c.request("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
      check resp.body == $i
    c.close()

  test "a streamed response waits while porter's buffer is full":
    const piece = repeat('x', 65536)
    discard server.serve(handler do:
      req.writeHead(200, {"Content-Type": "application/octet-stream"})
      for i in 1 .. 64:
        await req.write(piece)
      req.finish())
    let resp = run get(port, "/")
    check resp.status == 200
    check resp.header("Transfer-Encoding") == "chunked"
    check resp.body.len == 64 * 65536

  test "a streamed response of known length":
    discard server.serve(handler do:
      req.writeHead(200, contentLength = 10)
      await req.write("01234")
      await req.write("56789")
      req.finish())
    let resp = run get(port, "/")
    check resp.header("Content-Length") == "10"
    check resp.body == "0123456789"

  test "errors raise PorterError with porter's code":
    var codes: seq[int]
    discard server.serve(handler do:
      for bad in [proc () = req.respond(200, "", {"Bad Name": "x"}),
                  proc () = req.respond(200, "", {"Content-Length": "0"}),
                  proc () = req.respond(99, ""),
                  proc () = req.finish()]:
        try:
          bad()
          codes.add 0
        except PorterError as e:
          codes.add e.code
      req.respond(200, "fine")
      for late in [proc () = req.respond(200, ""),
                   proc () = discard req.path]:
        try:
          late()
          codes.add 0
        except PorterError as e:
          codes.add e.code
      check req.ended)
    check (run get(port, "/")).body == "fine"
    check codes == @[PORTER_EHEADER.int, PORTER_EHEADER, PORTER_EINVAL,
                     PORTER_ESTATE, PORTER_EHANDLE, PORTER_EHANDLE]

  test "a failing handler answers 500 and raises from the dispatcher":
    discard server.serve(handler do:
      if req.path == "/fail":
        raise newException(ValueError, "handler bug"))
    let resp = get(port, "/fail")
    var raised = ""
    try:
      waitUntil resp.finished
    except ValueError as e:
      raised = e.msg
    check raised == "handler bug"
    check (run resp).status == 500

  test "a client gone mid-stream stops the handler quietly":
    var stopped = -1
    discard server.serve(handler do:
      try:
        req.writeHead(200)
        for i in 1 .. 100_000:
          await req.write(repeat('y', 65536))
      except PorterError as e:
        stopped = e.code
        raise)
    let c = run connect(port)
    run c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    discard run c.readExactly(200_000) # the handler is writing
    c.close()
    waitUntil stopped != -1
    check stopped == PORTER_EABORTED

  test "accept instead of serve":
    let got = server.accept()
    let resp = get(port, "/accepted")
    let req = run got
    check req.path == "/accepted"
    req.respond(200, "ok")
    check (run resp).body == "ok"

  test "shutdown lets requests in flight finish, then serve completes":
    var started = false
    let served = server.serve(handler do:
      started = true
      await sleepAsync(50)
      req.respond(200, "late"))
    let resp = get(port, "/")
    waitUntil started
    server.shutdown(5000)
    check (run resp).body == "late"
    run served
    check server.closed

  test "close ends the requests it still has":
    var held: Request
    let served = server.serve(handler do:
      held = req)
    discard get(port, "/")
    waitUntil held != nil
    server.close()
    check served.finished
    check held.ended
    raisesCode(PORTER_EHANDLE):
      discard held.path
    let next = server.accept()
    check next.failed
    check (ref PorterError)(next.error).code == PORTER_ECLOSED

suite "servers":
  test "listen, address and port":
    let s = newServer()
    check s.listen("127.0.0.1:0") == 0
    check s.address.startsWith("127.0.0.1:")
    check s.port.int > 0
    check s.address == "127.0.0.1:" & $s.port.int
    let other = newServer()
    var msg = ""
    try:
      other.listen(s.address)
    except PorterError as e:
      check e.code == PORTER_ELISTEN
      msg = e.msg
    check s.address in msg
    other.close()
    s.close()
    check s.closed
    s.close() # again: nothing
    raisesCode(PORTER_ECLOSED):
      s.listen("127.0.0.1:0")

  test "config: limits and bad values":
    raisesCode(PORTER_EINVAL):
      discard newServer(Config(maxBodyBytes: -1))
    raisesCode(PORTER_EINVAL):
      discard newServer(Config(queueDepth: -1))
    let (s, port) = newTestServer(Config(maxBodyBytes: 10))
    discard s.serve(handler(req.respond(200, "ok")))
    check (run post(port, "/", "small")).status == 200
    check (run post(port, "/", repeat('z', 100))).status == 413
    s.close()

  test "a streamed request body, read in pieces":
    let (s, port) = newTestServer(Config(streamBodies: true))
    discard s.serve(handler do:
      check req.body == ""
      var total = 0
      var sum = 0
      while true:
        let piece = await req.read(1000)
        if piece.len == 0:
          break
        check piece.len <= 1000
        total += piece.len
        for c in piece:
          sum += ord(c)
      req.respond(200, $total & " " & $sum))
    var body = ""
    var sum = 0
    for i in 0 ..< 1_000_000:
      body.add char(i mod 251)
      sum += i mod 251
    check (run post(port, "/up", body)).body == $body.len & " " & $sum
    s.close()

  test "reusePort, pause and resume, stats":
    let (s, port) = newTestServer()
    let twin = newServer()
    raisesCode(PORTER_ELISTEN):
      twin.listen("127.0.0.1:" & $port.int, {reusePort})
    s.close()
    let first = newServer()
    first.listen("127.0.0.1:0", {reusePort})
    let shared = "127.0.0.1:" & $first.port.int
    twin.listen(shared, {reusePort})
    twin.close()
    var count = 0
    discard first.serve(handler do:
      inc count
      req.respond(200, $count))
    check (run get(first.port, "/")).body == "1"
    first.pause()
    let waiting = get(first.port, "/")
    for _ in 1 .. 10:
      poll(20)
    check not waiting.finished # the connection waits in the backlog
    first.resume()
    check (run waiting).body == "2"
    let stats = first.stats
    check stats.requests == 2
    check stats.accepted == 2
    check stats.bytesOut > 0
    check stats.loopStalls == 0 # loop mode: no callbacks to stall
    check stats.hostAway >= 0
    first.close()

  test "the access log":
    let (s, port) = newTestServer(Config(logDepth: 8))
    var rec: LogRecord
    check not s.logNext(rec)
    discard s.serve(handler do:
      req.respond(201, "made"))
    check (run get(port, "/logged?x=1")).body == "made"
    var found = false
    for _ in 1 .. 500: # the record follows the response
      if s.logNext(rec):
        found = true
        break
      poll(10)
    check found
    check rec.kind == lkAccess
    check rec.status == 201
    check rec.target == "/logged?x=1"
    check rec.`method` == "GET"
    check rec.bytesOut == 4
    check rec.remote.len > 0
    s.close()
    let plain = newServer()
    raisesCode(PORTER_ESTATE):
      discard plain.logNext(rec)
    plain.close()

  test "the version":
    let parts = version().split('.')
    check parts.len == 3
    check parts.allIt(it.len > 0 and it.allCharsInSet(Digits))

when defined(gcArc) or defined(gcOrc):
  suite "ownership":
    test "a server nobody references is freed":
      var port: Port
      proc listenAndDrop() =
        let s = newServer()
        s.listen("127.0.0.1:0")
        port = s.port
      listenAndDrop()
      # Its listener is gone: the same port can be bound again.
      let again = newServer()
      again.listen("127.0.0.1:" & $port.int)
      again.close()
