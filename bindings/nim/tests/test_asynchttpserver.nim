## porter/asynchttpserver against the real libporter. Compiled with
## -d:stdlibServer the same tests (but those marked porter-only) run
## against the standard library's std/asynchttpserver: that a program
## behaves the same with either import is what the drop-in promises.

import std/[asyncdispatch, strutils, unittest]
from std/nativesockets import AF_INET6
when defined(stdlibServer):
  import std/asynchttpserver
else:
  import porter/asynchttpserver
import client

template callback(body: untyped): untyped {.dirty.} =
  ## A callback whose body may use the test's globals (`req` is the
  ## request); the tests run on one thread.
  block:
    proc testCallback(req: Request) {.async, gcsafe.} =
      {.gcsafe.}:
        body
    testCallback

var last: Request  # the request the last callback saw

suite "serve":
  var server: AsyncHttpServer
  var served: Future[void]
  var port: Port
  setup:
    server = newAsyncHttpServer()
    let cb = callback do:
      last = req
      if req.url.path == "/json":
        await req.respond(Http201, "{}", newHttpHeaders(
          {"Content-Type": "application/json", "Content-Length": "2"}))
      else:
        await req.respond(Http200, "hello " & req.body)
    served = server.serve(Port(0), cb, "127.0.0.1")
    port = server.getPort
    check port.int > 0
  teardown:
    server.close()

  test "the request's fields":
    let resp = run get(port, "/a/b?c=1&d=%20",
      "Accept: text/html, application/json\r\nCookie: a=1, b=2\r\n" &
      "X-Empty:\r\n")
    check resp.status == 200
    check resp.body == "hello "
    check last.reqMethod == HttpGet
    check last.url.path == "/a/b"
    check last.url.query == "c=1&d=%20"
    check last.protocol == HttpVer11
    check last.protocol.orig == "HTTP/1.1"
    check last.hostname == "127.0.0.1"
    check last.body == ""
    check last.headers["Host"] == "test"
    check last.headers["accept"] == "text/html"
    check seq[string](last.headers["ACCEPT"]) == @["text/html",
                                                   "application/json"]
    check last.headers["cookie"] == "a=1, b=2"
    check last.headers.hasKey("x-empty")
    check last.headers["x-empty"] == ""
    check not last.headers.hasKey("x-missing")

  test "a body":
    let resp = run post(port, "/", "world")
    check resp.body == "hello world"
    check last.reqMethod == HttpPost
    check last.body == "world"
    check last.headers["content-length"] == "5"

  test "status and headers":
    let resp = run get(port, "/json")
    check resp.status == 201
    check resp.header("Content-Type") == "application/json"
    check resp.header("Content-Length") == "2"
    check resp.body == "{}"

  test "keep-alive, and HTTP/1.0":
    let c = run connect(port)
    for i in 1 .. 3:
      let resp = run c.request("POST / HTTP/1.1\r\nHost: t\r\n" &
                               "Content-Length: 1\r\n\r\n" & $i)
      check resp.body == "hello " & $i
    c.close()
    let old = run fetch(port, "GET / HTTP/1.0\r\n\r\n")
    check old.body == "hello "
    check last.protocol == HttpVer10
    check last.protocol.orig == "HTTP/1.0"

suite "servers":
  test "the acceptRequest loop of the stdlib's example":
    var server = newAsyncHttpServer()
    var stop = false
    proc cb(req: Request) {.async.} =
      await req.respond(Http200, "Hello World",
        newHttpHeaders({"Content-type": "text/plain; charset=utf-8"}))
    proc main {.async.} =
      server.listen(Port(0), "127.0.0.1")
      while not stop:
        if server.shouldAcceptRequest():
          await server.acceptRequest(cb)
        else:
          await sleepAsync(500)
    let loop = main()
    let port = server.getPort
    for i in 1 .. 5:
      let resp = run get(port, "/" & $i)
      check resp.status == 200
      check resp.body == "Hello World"
      check resp.header("content-type") == "text/plain; charset=utf-8"
    stop = true
    discard loop
    server.close()

  test "maxBody":
    var server = newAsyncHttpServer(maxBody = 10)
    let cb = callback do:
      await req.respond(Http200, req.body)
    discard server.serve(Port(0), cb, "127.0.0.1")
    let port = server.getPort
    check (run post(port, "/", "0123456789")).body == "0123456789"
    check (run post(port, "/", repeat('x', 100))).status == 413
    server.close()

  test "listening on a busy port raises OSError":
    var a = newAsyncHttpServer()
    a.listen(Port(0), "127.0.0.1")
    var b = newAsyncHttpServer()
    expect OSError:
      b.listen(a.getPort, "127.0.0.1")
    a.close()

  test "reusePort: two servers on one port":
    var a = newAsyncHttpServer(reusePort = true)
    a.listen(Port(0), "127.0.0.1")
    var b = newAsyncHttpServer(reusePort = true)
    b.listen(a.getPort, "127.0.0.1")
    check b.getPort.int == a.getPort.int
    a.close()
    b.close()

when not defined(stdlibServer):
  suite "porter only":
    test "serve completes once closed; acceptRequest then fails":
      var server = newAsyncHttpServer()
      let cb = callback do:
        await req.respond(Http200, "ok")
      let served = server.serve(Port(0), cb, "127.0.0.1")
      check (run get(server.getPort, "/")).body == "ok"
      server.close()
      run served
      let accepted = server.acceptRequest(callback do:
        discard)
      check accepted.failed
      check accepted.error of PorterError

    test "close lets a request in flight finish":
      var server = newAsyncHttpServer()
      var inside = false
      let cb = callback do:
        inside = true
        await sleepAsync(50)
        await req.respond(Http200, "finished")
      let served = server.serve(Port(0), cb, "127.0.0.1")
      let resp = get(server.getPort, "/")
      waitUntil inside
      server.close()
      check (run resp).body == "finished"
      run served

    test "sendHeaders starts a stream; client writes the body":
      var server = newAsyncHttpServer()
      let cb = callback do:
        if req.url.path == "/sized":
          await req.sendHeaders(newHttpHeaders({"Content-Length": "6"}),
                                Http202)
          await req.client.write("abc")
          await req.client.write("def")
        else:
          await req.sendHeaders(newHttpHeaders({"Content-Type": "text/plain"}))
          for i in 1 .. 3:
            await req.client.write("part " & $i & "\n")
        req.client.finish()
      discard server.serve(Port(0), cb, "127.0.0.1")
      let resp = run get(server.getPort, "/")
      check resp.status == 200
      check resp.header("Transfer-Encoding") == "chunked"
      check resp.body == "part 1\npart 2\npart 3\n"
      let sized = run get(server.getPort, "/sized")
      check sized.status == 202
      check sized.header("Content-Length") == "6"
      check sized.body == "abcdef"
      server.close()

    test "repeated fields keep every value; unknown methods get 501":
      var server = newAsyncHttpServer()
      let cb = callback do:
        last = req
        await req.respond(Http200, "")
      discard server.serve(Port(0), cb, "127.0.0.1")
      let port = server.getPort
      discard run get(port, "/", "X-A: 1\r\nX-A: 2, 3\r\n")
      check seq[string](last.headers["x-a"]) == @["1", "2", "3"]
      check (run fetch(port, "BREW / HTTP/1.1\r\nHost: t\r\n\r\n")).status ==
        501
      server.close()


    test "IPv6":
      var server = newAsyncHttpServer()
      var bound = true
      try:
        server.listen(Port(0), "::1", AF_INET6)
      except OSError:
        bound = false
      if bound:
        check server.getPort.int > 0
        server.close()
      else:
        skip() # no IPv6 loopback on this machine
