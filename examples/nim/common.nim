## Helpers shared by the Nim examples, as `examples/c/common.c` is for the
## C ones: listening and printing the address, stopping on SIGINT and
## SIGTERM, SHA-256, and the echo JSON.

import std/[asyncdispatch, os, posix, strutils]
import porter

const defaultAddress* = "127.0.0.1:8080"

proc listenPrint*(server: Server, address: string) =
  ## Listens on `address` and prints the bound address as the first line
  ## of stdout, flushed at once (tests and scripts read the port there).
  server.listen(address)
  stdout.writeLine(server.address)
  stdout.flushFile()

# ---- Signals --------------------------------------------------------------

var signalPipe: array[2, cint] = [-1.cint, -1]

proc onSignal(signo: cint) {.noconv.} =
  # It may run on one of porter's threads: it only writes one byte, which
  # needs no Nim runtime (a full pipe already woke the program).
  let saved = errno
  var c = char(signo)
  discard write(signalPipe[1], c.addr, 1)
  errno = saved

proc catchStopSignals*(): cint =
  ## Makes SIGINT and SIGTERM write a byte to a pipe and returns its read
  ## end. The Go runtime inside porter requires SA_ONSTACK on every
  ## handler, hence sigaction rather than `signal`.
  if pipe(signalPipe) != 0:
    raiseOSError(osLastError(), "pipe")
  for fd in signalPipe:
    discard fcntl(fd, F_SETFD, FD_CLOEXEC)
  discard fcntl(signalPipe[1], F_SETFL, O_NONBLOCK) # the handler never blocks
  var sa: Sigaction
  sa.sa_handler = onSignal
  discard sigemptyset(sa.sa_mask)
  sa.sa_flags = SA_ONSTACK or SA_RESTART
  for signo in [SIGINT, SIGTERM]:
    if sigaction(signo, sa) != 0:
      raiseOSError(osLastError(), "sigaction")
  signalPipe[0]

proc stopRequested*(): bool =
  ## Whether a stop signal came (for loops that poll; never blocks).
  var fds = [TPollfd(fd: signalPipe[0], events: POLLIN)]
  poll(fds[0].addr, 1, 0) > 0

proc shutdownOnSignal*(server: Server, graceMs = 5000) =
  ## On SIGINT or SIGTERM, shuts `server` down on the dispatcher, giving
  ## requests in flight `graceMs`.
  let fd = AsyncFD(catchStopSignals())
  register(fd)
  addRead(fd, proc (fd: AsyncFD): bool =
    server.shutdown(graceMs)
    true) # once is enough

# ---- SHA-256 (FIPS 180-4) -------------------------------------------------

type Sha256* = object
  h: array[8, uint32]
  chunk: array[64, byte]
  fill: int       # bytes waiting in `chunk`
  length: uint64  # bytes hashed so far

# The first 32 bits of the fractional parts of the cube roots of the first
# 64 primes (FIPS 180-4, 4.2.2).
const k = [
  0x428a2f98'u32, 0x71374491'u32, 0xb5c0fbcf'u32, 0xe9b5dba5'u32,
  0x3956c25b'u32, 0x59f111f1'u32, 0x923f82a4'u32, 0xab1c5ed5'u32,
  0xd807aa98'u32, 0x12835b01'u32, 0x243185be'u32, 0x550c7dc3'u32,
  0x72be5d74'u32, 0x80deb1fe'u32, 0x9bdc06a7'u32, 0xc19bf174'u32,
  0xe49b69c1'u32, 0xefbe4786'u32, 0x0fc19dc6'u32, 0x240ca1cc'u32,
  0x2de92c6f'u32, 0x4a7484aa'u32, 0x5cb0a9dc'u32, 0x76f988da'u32,
  0x983e5152'u32, 0xa831c66d'u32, 0xb00327c8'u32, 0xbf597fc7'u32,
  0xc6e00bf3'u32, 0xd5a79147'u32, 0x06ca6351'u32, 0x14292967'u32,
  0x27b70a85'u32, 0x2e1b2138'u32, 0x4d2c6dfc'u32, 0x53380d13'u32,
  0x650a7354'u32, 0x766a0abb'u32, 0x81c2c92e'u32, 0x92722c85'u32,
  0xa2bfe8a1'u32, 0xa81a664b'u32, 0xc24b8b70'u32, 0xc76c51a3'u32,
  0xd192e819'u32, 0xd6990624'u32, 0xf40e3585'u32, 0x106aa070'u32,
  0x19a4c116'u32, 0x1e376c08'u32, 0x2748774c'u32, 0x34b0bcb5'u32,
  0x391c0cb3'u32, 0x4ed8aa4a'u32, 0x5b9cca4f'u32, 0x682e6ff3'u32,
  0x748f82ee'u32, 0x78a5636f'u32, 0x84c87814'u32, 0x8cc70208'u32,
  0x90befffa'u32, 0xa4506ceb'u32, 0xbef9a3f7'u32, 0xc67178f2'u32]

proc rotr(x: uint32, n: int): uint32 = (x shr n) or (x shl (32 - n))

proc compress(s: var Sha256) =
  ## Hashes the full `chunk` into `h` (FIPS 180-4, 6.2.2).
  var w: array[64, uint32]
  for i in 0 ..< 16:
    w[i] = uint32(s.chunk[4*i]) shl 24 or uint32(s.chunk[4*i + 1]) shl 16 or
           uint32(s.chunk[4*i + 2]) shl 8 or uint32(s.chunk[4*i + 3])
  for i in 16 ..< 64:
    let s0 = rotr(w[i-15], 7) xor rotr(w[i-15], 18) xor (w[i-15] shr 3)
    let s1 = rotr(w[i-2], 17) xor rotr(w[i-2], 19) xor (w[i-2] shr 10)
    w[i] = w[i-16] + s0 + w[i-7] + s1
  var v = s.h
  for i in 0 ..< 64:
    let t1 = v[7] + (rotr(v[4], 6) xor rotr(v[4], 11) xor rotr(v[4], 25)) +
             ((v[4] and v[5]) xor (not v[4] and v[6])) + k[i] + w[i]
    let t2 = (rotr(v[0], 2) xor rotr(v[0], 13) xor rotr(v[0], 22)) +
             ((v[0] and v[1]) xor (v[0] and v[2]) xor (v[1] and v[2]))
    let u = v # the constructor below must not read what it writes
    v = [t1 + t2, u[0], u[1], u[2], u[3] + t1, u[4], u[5], u[6]]
  for i in 0 ..< 8:
    s.h[i] += v[i]

proc initSha256*(): Sha256 =
  # The first 32 bits of the fractional parts of the square roots of the
  # first 8 primes (FIPS 180-4, 5.3.3).
  Sha256(h: [
    0x6a09e667'u32, 0xbb67ae85'u32, 0x3c6ef372'u32, 0xa54ff53a'u32,
    0x510e527f'u32, 0x9b05688c'u32, 0x1f83d9ab'u32, 0x5be0cd19'u32])

proc update*(s: var Sha256, data: openArray[char]) =
  s.length += data.len.uint64
  for c in data:
    s.chunk[s.fill] = byte(c)
    inc s.fill
    if s.fill == 64:
      s.compress()
      s.fill = 0

proc hex*(s: var Sha256): string =
  ## Finishes the hash: 64 lowercase hex digits.
  let bits = s.length * 8
  var pad = @['\x80']
  pad.setLen(if s.fill < 56: 56 - s.fill else: 120 - s.fill)
  for i in 0 ..< 8:
    pad.add char(bits shr (56 - 8*i) and 0xff)
  s.update(pad)
  for x in s.h:
    result.add toHex(x, 8).toLowerAscii

# ---- Echo -----------------------------------------------------------------

proc addJson*(s: var string, text: string) =
  ## Adds `text` as a JSON string the way every porter echo example does:
  ## '"' and '\' get a backslash; bytes below 0x20, 0x7f and bytes from
  ## 0x80 up become \u00xx (lowercase hex), so the output is ASCII.
  s.add '"'
  for c in text:
    case c
    of '"', '\\':
      s.add '\\'
      s.add c
    of '\x20' .. '\x21', '\x23' .. '\x5b', '\x5d' .. '\x7e':
      s.add c
    else:
      s.add "\\u00" & toHex(ord(c), 2).toLowerAscii
  s.add '"'

proc echoJson*(req: Request): string =
  ## Describes a request with a buffered body as one line of JSON: method,
  ## target, path, query, version, headers, body length and SHA-256.
  let body = req.body
  var sha = initSha256()
  sha.update(body)
  result = "{\"method\":"
  result.addJson req.httpMethod
  result.add ",\"target\":"
  result.addJson req.target
  result.add ",\"path\":"
  result.addJson req.path
  result.add ",\"query\":"
  result.addJson req.query
  result.add ",\"version\":\"HTTP/" & $(req.version div 10) & "." &
             $(req.version mod 10) & "\",\"headers\":["
  var first = true
  for (name, value) in req.headers:
    result.add(if first: "[" else: ",[")
    first = false
    result.addJson name
    result.add ','
    result.addJson value
    result.add ']'
  result.add "],\"body_length\":" & $body.len & ",\"body_sha256\":\"" &
             sha.hex & "\"}\n"
