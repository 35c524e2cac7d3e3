## porter/pull, a synchronous program's loop, against the real libporter.
## Small requests come from a blocking socket on this thread (the kernel
## holds the bytes until porter reads them); big streams from curl, in
## another process.

import std/[net, os, osproc, strutils, unittest]
import porter/pull

const timeoutMs = 20_000 # no test waits longer for one thing

proc ask(port: Port, raw: string): Socket =
  ## Sends a raw request on a new connection; read the answer later.
  result = newSocket()
  result.connect("127.0.0.1", port, timeoutMs)
  result.send(raw)

proc answer(sock: Socket): string =
  ## Everything the server sends until it closes the connection.
  while true:
    let part = sock.recv(65536, timeoutMs)
    if part.len == 0:
      break
    result.add part
  sock.close()

proc take(s: Server): Request =
  result = s.next(timeout = timeoutMs)
  check result != nil

proc curl(args: varargs[string]): Process =
  startProcess("curl", args = @["-q", "--noproxy", "*", "--max-time", "20",
               "-sS"] & @args, options = {poUsePath, poParentStreams})

proc finish(p: Process): int =
  ## Waits for `p` (curl's --max-time bounds it). Not with a timeout:
  ## osproc then waits for a SIGCHLD that one of porter's threads may
  ## take, and sleeps the whole timeout.
  result = p.waitForExit()
  p.close()

suite "pull":
  var server: Server
  var port: Port
  setup:
    server.open("127.0.0.1:0")
    port = server.port
  teardown:
    server.close()

  test "next returns nil on timeout":
    check server.next(timeout = 0) == nil
    check server.next(timeout = 50) == nil
    check not server.closed

  test "next, then respond":
    let sock = port.ask("GET /x?y=1 HTTP/1.1\r\nHost: t\r\n" &
                        "Connection: close\r\n\r\n")
    let req = server.take()
    check req.path == "/x"
    check req.query == "y=1"
    req.respond(200, "pulled", {"Content-Type": "text/plain"})
    let raw = sock.answer()
    check raw.startsWith("HTTP/1.1 200")
    check raw.endsWith("\r\n\r\npulled")

  test "requests queue up while the program is busy":
    var socks: seq[Socket]
    for i in 1 .. 5:
      socks.add port.ask("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1" &
                         "\r\nConnection: close\r\n\r\n" & $i)
    var bodies: seq[string]
    for i in 1 .. 5:
      let req = server.take()
      bodies.add req.body
      req.respond(200, "got " & req.body)
    check bodies.len == 5
    for i in 1 .. 5:
      check $i in bodies
    for sock in socks:
      check sock.answer().contains("got ")

  test "a streamed response with blocking sends":
    let saved = getTempDir() / "porter_pull_stream_" & $getCurrentProcessId()
    let client = curl("-o", saved, "http://127.0.0.1:" & $port.int & "/big")
    let req = server.take()
    req.writeHead(200)
    let piece = repeat('s', 65536)
    for i in 1 .. 32:
      req.send(piece) # blocks while porter's buffer is full
    req.finish()
    check client.finish() == 0
    check getFileSize(saved) == 32 * 65536
    removeFile(saved)

  test "a streamed body with blocking receives":
    server.close()
    server.open("127.0.0.1:0", Config(streamBodies: true))
    let file = getTempDir() / "porter_pull_upload_" & $getCurrentProcessId()
    writeFile(file, repeat("0123456789abcdef", 200_000))
    let client = curl("-o", "/dev/null", "--data-binary", "@" & file,
                      "http://127.0.0.1:" & $server.port.int & "/up")
    let req = server.take()
    var total = 0
    while true:
      let piece = req.recv(10_000)
      if piece.len == 0:
        break
      check piece.len <= 10_000
      total += piece.len
    req.respond(200, $total)
    check client.finish() == 0
    check total == 3_200_000
    removeFile(file)

  test "shutdown: next serves what is in flight, then reports closed":
    let sock = port.ask("GET / HTTP/1.1\r\nHost: t\r\nConnection: close" &
                        "\r\n\r\n")
    let req = server.take()
    server.shutdown(5000)
    req.respond(200, "last")
    check sock.answer().endsWith("last")
    var rounds = 0
    while not server.closed and rounds < 100:
      check server.next(timeout = 200) == nil
      inc rounds
    check server.closed

  test "pollfd and step, for a loop of the program's own":
    let fd = server.pollfd
    check fd >= 0
    let sock = port.ask("GET / HTTP/1.1\r\nHost: t\r\nConnection: close" &
                        "\r\n\r\n")
    var req: Request
    for _ in 1 .. 100:
      discard server.step(200)
      req = server.tryAccept()
      if req != nil:
        break
    check req != nil
    req.respond(204)
    check sock.answer().startsWith("HTTP/1.1 204")

  test "a unix socket, a listening descriptor, TLS":
    server.close()
    server = newServer()
    let path = getTempDir() / "porter_pull_" & $getCurrentProcessId() & ".sock"
    server.listen("unix:" & path)
    let sock = newSocket()
    sock.bindAddr(Port(0), "127.0.0.1")
    sock.listen()
    server.listenFd(sock.getFd.int)
    sock.close() # porter has its own duplicate
    let tlsIndex = server.listen("127.0.0.1:0", {https})
    server.useSelfSigned()
    server.start()
    let byFd = "http://127.0.0.1:" & $server.port(1).int & "/fd"
    let byTls = "https://localhost:" & $server.port(tlsIndex).int & "/tls"
    for (args, path, tls) in [(@["--unix-socket", path, "http://x/unix"],
                               "/unix", false),
                              (@[byFd], "/fd", false),
                              (@["-k", byTls], "/tls", true)]:
      let client = curl(@["-o", "/dev/null"] & args)
      let req = server.take()
      check req.path == path
      check req.tls == tls
      check req.serverName == (if tls: "localhost" else: "")
      req.respond(200)
      check client.finish() == 0

