package core

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/porter-http/porter/core/http1"
	"github.com/porter-http/porter/core/scgi"
)

// conn serves one HTTP/1.x connection. Its goroutine (serve) reads and
// parses requests and hands them to the host one at a time, in order;
// responses are written by whoever produces them: the host's call itself
// when the socket takes the bytes at once, else a writer goroutine that
// lives only while the socket is full.
//
// While the host holds an exchange, serve reads the body ahead for a
// non-blocking host, or reads ahead of the next request so that it
// notices a client that leaves; a blocking host reads its streamed body
// itself while serve waits.
//
// Lifetime: made by the accept loop, served by serve, closed by serve
// (with a lingering close when the client may still be sending).
type conn struct {
	s      *Server
	fd     int // the descriptor, for its loop's reads and writes that must not wait; -1 without (TLS)
	remote string

	// The connection in Go's poller, for goroutines that wait on it
	// (socket.go): made when first needed for one accepted raw.
	sock   atomic.Pointer[socket]
	sockMu sync.Mutex // orders making sock with closing the descriptor
	closed bool       // the descriptor is closed; under sockMu
	raddr  net.Addr   // the client's address, for a socket made later

	tls        bool   // the connection is TLS (handshake done)
	serverName string // the SNI the client sent
	scgi       bool   // the connection speaks SCGI (scgi.go), not HTTP

	// The raw read's callback, bound once so that a call allocates
	// nothing, with its results.
	readFn func(fd uintptr) bool
	rn     int
	rerr   error

	// The read side belongs to serve, except while a blocking host reads
	// a streamed body (serve waits then, and x.rmu orders the two).
	buf  []byte  // nil while idle with nothing buffered
	bufp *[]byte // buf's pool entry, or nil for a grown buffer
	r, w int     // buf[r:w] is read but not consumed
	head http1.Head
	sh   scgi.Head
	body body
	eof  bool // reads failed or were stopped: no more requests
	gone bool // the client closed or reset the connection

	mu      sync.Mutex // guards the fields below and every exchange's state
	x       *exchange  // the exchange the host holds, or nil
	waiting bool       // serve waits on wake
	reading readKind   // what serve's read in progress is for
	idle    bool       // serve waits for a request with nothing buffered
	closing bool       // end after the current exchange
	wake    chan struct{}

	// Between requests a plain connection belongs to an event loop
	// (loop.go); these fields are guarded by mu.
	loop      *loop         // nil when goroutines serve it throughout
	gen       atomic.Uint32 // tells the loop's events of this connection apart; read without mu
	inLoop    bool          // the loop reports its edges
	mode      connMode      // who serves it now
	missed    bool          // an edge came while its loop served it
	readable  bool          // the socket may hold bytes not yet read
	hup       bool          // the client shut its side: the socket ends in EOF
	fresh     bool          // parked before its first request
	idleSince time.Duration // monoNow of its last request, or of its park with none

	wmu      sync.Mutex  // guards the write side below
	out      []byte      // response bytes not yet handed to the socket
	spare    []byte      // the writer goroutine's buffer, swapped with out
	inflight int         // bytes the writer goroutine is writing
	writing  bool        // the writer goroutine runs
	hold     bool        // more responses of a pipelined batch follow: don't write yet
	werr     error       // a write failed: the connection is broken
	cut      atomic.Bool // set without wmu: writes stop (cutWrites)
	wdone    chan struct{}
}

type readKind uint8

const (
	readNone  readKind = iota
	readAhead          // past the exchange's request, no deadline
	readBody           // a non-blocking host's streamed body
)

// body is how the current request's body is framed and how much of it
// is still to come.
type body struct {
	read    atomic.Int64 // bytes of it read so far (the log reads it from any goroutine)
	chunked bool
	remain  int64 // Content-Length bodies: bytes not yet read
	ck      http1.Chunked
	done    bool
}

const (
	bufSize  = 8 << 10   // a connection's read buffer, unless a head needs more
	maxHold  = 64 << 10  // batched responses flush at this size
	maxDrain = 256 << 10 // unread body porter reads past to keep the connection
)

// lingerTime is how long a closing connection whose client may still be
// sending keeps reading, so that the client reads the response before
// the kernel resets the connection.
const lingerTime = 500 * time.Millisecond

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

func newConn(s *Server, nc net.Conn) *conn {
	c := makeConn(s, -1, nc.RemoteAddr())
	p := newSocket(nc)
	c.sock.Store(p)
	if p.raw != nil {
		p.raw.Control(func(fd uintptr) { c.fd = int(fd) })
	}
	return c
}

// newRawConn is a connection accepted as a bare descriptor (rawListener):
// it has no socket until one is needed (polled).
func newRawConn(s *Server, fd int, sa syscall.Sockaddr) *conn {
	return makeConn(s, fd, sockaddrAddr(sa))
}

func makeConn(s *Server, fd int, raddr net.Addr) *conn {
	c := &conn{
		s:      s,
		fd:     fd,
		remote: addrString(raddr),
		raddr:  raddr,
		wake:   make(chan struct{}, 1),
		wdone:  make(chan struct{}, 1),
	}
	c.readFn = c.rawRead
	return c
}

// useLoop makes l serve the connection between requests.
func (c *conn) useLoop(l *loop) {
	if l == nil || c.fd < 0 || c.scgi {
		return
	}
	c.loop = l
}

// addrString is a's "ip:port", or "" when there is none.
func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// serve reads, dispatches and answers requests until the connection ends.
func (c *conn) serve() {
	if !c.handshake() {
		c.close(false)
		return
	}
	if c.s.h2 != nil && (negotiatedH2(c.netConn()) || c.sniffH2C()) {
		nc := c.netConn()
		if c.r < c.w {
			nc = &replayConn{nc, append([]byte(nil), c.buf[c.r:c.w]...)}
		}
		c.releaseBuf()
		c.s.h2.take(c, nc)
		return
	}
	c.serveHTTP(true)
}

// serveHTTP reads, dispatches and answers requests until the connection
// ends or, idle, goes to its loop.
func (c *conn) serveHTTP(first bool) {
	linger := false
	for ; ; first = false {
		if c.loop != nil && c.r == c.w {
			if c.park(first) {
				return
			}
			break
		}
		n, status := c.readHead(first)
		if n == 0 {
			switch {
			case status != 0 && c.scgi: // a web server that breaks SCGI gets no answer
				c.s.stats.rejected(status)
				c.s.log(Log{Kind: LogError, Remote: c.remote, Cause: fmt.Errorf("malformed SCGI request (%d)", status)})
			case status != 0:
				c.reject(status)
				linger = true
			}
			break
		}
		var x *exchange
		if c.scgi {
			x = c.newSCGIExchange(n)
		} else {
			x = c.newExchange(n)
		}
		if status := c.dispatch(x, monoNow()); status != 0 {
			c.reject(status)
			linger = true
			break
		}
		more := c.await(x)
		x.unref()
		if !more {
			linger = !c.gone
			break
		}
	}
	c.close(linger)
}

// sniffH2C reports whether a plain connection opens with the HTTP/2
// preface, when the server takes h2c; the bytes read stay buffered for
// whichever protocol serves them.
func (c *conn) sniffH2C() bool {
	if !c.s.cfg.H2C || c.tls || c.scgi {
		return false
	}
	c.netConn().SetReadDeadline(time.Now().Add(c.s.cfg.HeaderTimeout))
	for {
		got := c.buf[c.r:c.w]
		n := min(len(got), len(h2Preface))
		if string(got[:n]) != h2Preface[:n] {
			return false
		}
		if n == len(h2Preface) {
			return true
		}
		if c.fill(bufSize) != nil {
			return false // readHead finds the connection closed
		}
	}
}

// readHead reads until a whole request head is buffered and parsed into
// c.head, and returns its length; or 0 and the status to refuse the
// request with (0: close without a word: the client left or idled out).
func (c *conn) readHead(first bool) (int, int) {
	cfg := &c.s.cfg
	armed := false // a head already buffered needs no deadline
	for {
		if c.r < c.w {
			if n, status, more := c.parse(c.buf[c.r:c.w]); !more {
				return n, status
			}
		}
		idle := c.r == c.w
		if idle {
			wait := cfg.IdleTimeout
			if first {
				wait = cfg.HeaderTimeout
			}
			c.mu.Lock()
			if c.closing {
				c.mu.Unlock()
				return 0, 0
			}
			c.idle = true
			c.netConn().SetReadDeadline(time.Now().Add(wait))
			c.mu.Unlock()
		} else if !armed {
			// The responses held for a pipelined batch go out before
			// porter waits for the rest of this head.
			if c.flush() != nil {
				return 0, 0
			}
			c.netConn().SetReadDeadline(time.Now().Add(cfg.HeaderTimeout))
			armed = true
		}
		err := c.fill(cfg.MaxHeaderBytes + 32) // SCGI's netstring length comes on top
		if idle {
			c.mu.Lock()
			c.idle = false
			closing := c.closing
			c.mu.Unlock()
			if closing {
				return 0, 0
			}
		}
		if err != nil {
			if c.r < c.w && ioCause(err) == ErrTimeout {
				return 0, 408
			}
			return 0, 0
		}
	}
}

// newExchange makes the exchange of the head just parsed, n bytes long,
// and sets the body's framing up.
func (c *conn) newExchange(n int) *exchange {
	h := &c.head
	x, at := c.takeExchange(n)
	x.keepAlive, x.expect100 = !h.Close, h.Expect100
	x.Req = newRequest(h, at, c.remote, x.fields[:])
	x.Req.TLS, x.Req.ServerName = c.tls, c.serverName
	c.begin(x, n, h.Chunked, h.ContentLength)
	return x
}

// begin moves past the head of x, n bytes, and sets up the reading of
// its body: chunked, or length bytes long (-1: none).
func (c *conn) begin(x *exchange, n int, chunked bool, length int64) {
	if c.s.logging() {
		x.started = time.Now()
	}
	c.r += n
	b := &c.body
	b.read.Store(0)
	b.chunked, b.remain = chunked, max(length, 0)
	if chunked {
		b.ck.Reset() // the decoder's buffers stay
	}
	b.done = !chunked && length <= 0
	x.bodyRead = b.done
}

// dispatch buffers the body when so configured and hands the exchange
// to the host; it returns the status to refuse the request with, or 0.
// now (monoNow) is when the request came, which its deadline counts from.
func (c *conn) dispatch(x *exchange, now time.Duration) int {
	cfg := &c.s.cfg
	if !cfg.StreamBodies {
		if status := c.bufferBody(x); status != 0 {
			return status
		}
	}
	x.deadline = now + cfg.ResponseTimeout // the server's sweep enforces it
	c.mu.Lock()
	if c.s.killed() {
		c.mu.Unlock()
		return 503
	}
	c.x = x
	c.idleSince = now
	c.mu.Unlock()
	c.wmu.Lock()
	c.hold = c.r < c.w && x.bodyRead // a pipelined request follows: batch the responses
	c.wmu.Unlock()
	c.s.stats.requests.Add(1)
	if !c.s.host.Request(x) {
		c.mu.Lock()
		c.x = nil
		c.mu.Unlock()
		return 503
	}
	return 0
}

// bufferBody reads the whole body into Req.Body; it returns the status
// to refuse the request with, or 0.
func (c *conn) bufferBody(x *exchange) int {
	if c.body.done {
		return 0
	}
	limit := c.s.cfg.MaxBodyBytes
	if !c.body.chunked && c.body.remain > limit {
		return 413 // before the client sends it, and without 100 Continue
	}
	if x.expect100 {
		x.continued = true
		c.wmu.Lock()
		c.out = append(c.out, "HTTP/1.1 100 Continue\r\n\r\n"...)
		err := c.emit(nil, true)
		c.wmu.Unlock()
		if err != nil {
			return bodyStatus(err) // the client is gone: never dispatch a body not read
		}
	}
	// Read straight into the body, sized by what has arrived rather than
	// by the declared length alone: a client declaring 8 MiB must send it
	// before porter holds it. A chunked body ends with its last chunk, so
	// the limit is enforced one byte past it.
	size := int64(4 << 10)
	if !c.body.chunked {
		size = c.body.remain
	}
	b := x.bodyBuf[:0]
	if want := min(size, 64<<10); int64(cap(b)) < want {
		b = make([]byte, 0, want)
	}
	for {
		if len(b) == cap(b) {
			if int64(len(b)) > limit {
				return 413
			}
			grow := min(max(int64(cap(b)), 4<<10), limit+1-int64(len(b)))
			if !c.body.chunked {
				grow = min(grow, c.body.remain)
			}
			b = append(b, make([]byte, grow)...)[:len(b)]
		}
		n, err := c.readBody(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > limit {
			return 413
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return bodyStatus(err)
		}
	}
	x.Req.Body, x.bodyBuf = b, b
	x.bodyRead = true
	return 0
}

// bodyStatus is the status for a body that could not be read.
func bodyStatus(err error) int {
	var perr *http1.Error
	switch {
	case errors.As(err, &perr):
		return perr.Status
	case ioCause(err) == ErrTimeout:
		return 408
	}
	return 400
}

// ioCause says why a read or write on the connection failed: a deadline
// passed, or the client went away or broke the protocol.
func ioCause(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return ErrTimeout
	}
	return ErrPeer
}

// await serves the exchange until it ends, and reports whether the
// connection may carry another request.
func (c *conn) await(x *exchange) bool {
	cfg := &c.s.cfg
	for {
		c.mu.Lock()
		switch {
		case x.state == stateAborted:
			c.x = nil
			c.mu.Unlock()
			x.answer()
			x.stopReading()
			tell(x.watcher, EventAbort)
			c.logAccess(x)
			return false
		case x.state == stateEnded:
			c.x = nil
			c.mu.Unlock()
			return c.finish(x) // x.end logged it
		case !x.blocking && x.bodyAsked && !x.bodyRead && x.inErr == nil && len(x.in) < cfg.StreamBuffer:
			c.reading = readBody
			c.netConn().SetReadDeadline(time.Now().Add(cfg.BodyTimeout))
			c.mu.Unlock()
			x.readAhead()
		case x.bodyRead && c.r == c.w && !c.eof:
			// Read on under the deadline in force (rarely cleared: a
			// deadline costs); until x ends only a change of state may
			// stop this read.
			c.reading = readAhead
			c.mu.Unlock()
			err := c.fill(len(c.buf) + bufSize)
			c.mu.Lock()
			c.reading = readNone
			live := x.state == stateOpen || x.state == stateStreaming
			if err != nil && live && ioCause(err) == ErrTimeout {
				c.netConn().SetReadDeadline(time.Time{}) // a deadline of an earlier exchange
				err = nil
			}
			// A client may close as soon as it has the whole response,
			// before the host's Finish: that is no abort.
			delivered := x.delivered()
			c.mu.Unlock()
			if err != nil {
				c.eof = true
				c.gone = ioCause(err) == ErrPeer
				if !delivered {
					x.fail(ErrPeer, 0) // unless it ended: then the read was stopped
				}
			}
		default:
			c.waiting = true
			c.mu.Unlock()
			<-c.wake
		}
	}
}

// logAccess logs an exchange that is over, as soon as it is: when the
// host ends it (on the host's goroutine) or when porter aborts it.
func (c *conn) logAccess(x *exchange) {
	if !c.s.logging() {
		return
	}
	c.mu.Lock()
	status, cause, taken := x.sent, x.cause, x.taken
	if x.cut {
		status = 0
	}
	c.mu.Unlock()
	q := &x.Req
	// The log may keep the entry after the exchange is reused: copies.
	c.s.log(Log{Kind: LogAccess, Method: strings.Clone(q.Method), Target: strings.Clone(q.Target), Remote: q.Remote,
		Version: q.Version, Status: status, BytesIn: c.body.read.Load(), BytesOut: taken,
		Duration: time.Since(x.started), Cause: cause})
}

// finish ends the connection's part of an exchange the host ended, and
// reports whether the connection may carry another request.
func (c *conn) finish(x *exchange) bool {
	cutRead := x.stopReading() // a blocking host's read of the body, cut short
	if cutRead || x.cut || !x.keepAlive || c.eof {
		c.flush()
		return false
	}
	c.mu.Lock()
	bodyRead := x.bodyRead
	c.mu.Unlock()
	if !bodyRead && !c.drain(x) {
		return false
	}
	c.mu.Lock()
	closing := c.closing
	c.mu.Unlock()
	if closing || c.r == c.w { // the end of a pipelined batch, or of the connection
		if c.flush() != nil {
			return false
		}
	}
	return !closing
}

// drain reads past what is left of the body once the response is done,
// so that the connection can carry the next request; it reports whether
// it could. A client still waiting for "100 Continue" will not send its
// body, and one with much left should not be waited for.
func (c *conn) drain(x *exchange) bool {
	if (x.expect100 && !x.continued) || (!c.body.chunked && c.body.remain > maxDrain) {
		return false
	}
	if c.flush() != nil { // a client may wait for the response before it sends more
		return false
	}
	c.netConn().SetReadDeadline(time.Now().Add(c.s.cfg.BodyTimeout))
	var scratch [4 << 10]byte
	for left := maxDrain; left > 0; {
		n, err := c.readBody(scratch[:min(left, len(scratch))])
		left -= n
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
	}
	return false
}

// expire answers 503 when the host has not started a response by the
// exchange's deadline, and closes a parked connection idle too long.
// The server's sweep calls it, so it also catches a callback that is
// still running.
func (c *conn) expire(now time.Duration) {
	c.mu.Lock()
	if c.mode == modeParked {
		c.expireParked(now)
		c.mu.Unlock()
		return
	}
	x := c.x
	late := x != nil && x.state == stateOpen && now > x.deadline
	if late {
		x.ref()
	}
	c.mu.Unlock()
	if late {
		x.fail(ErrTimeout, 503)
		x.answer()
		x.unref()
	}
}

// signal wakes serve if it waits, or sees an exchange of a loop's
// connection through once it ended. Called with mu.
func (c *conn) signal() {
	switch {
	case c.waiting:
		c.waiting = false
		c.wake <- struct{}{}
	case c.mode == modeAwaiting && c.x != nil && (c.x.state == stateEnded || c.x.state == stateAborted):
		c.parkAfter(c.x)
	}
}

// interrupt ends a read serve has in progress, so that it looks at the
// state again. Called with mu.
func (c *conn) interrupt() {
	if c.reading != readNone {
		c.netConn().SetReadDeadline(time.Now())
	}
}

// shutdown makes the connection end after its current exchange, at once
// when it is idle.
func (c *conn) shutdown() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closing = true
	if c.mode == modeParked {
		c.leaveLoop()
		go c.close(false)
		return
	}
	waits := c.reading == readAhead && (c.x == nil || c.x.state == stateEnded)
	if c.idle || waits { // for a request that has not begun
		c.netConn().SetReadDeadline(time.Now())
	}
}

// kill ends the connection at the shutdown deadline, aborting what the
// host still holds.
func (c *conn) kill() {
	c.mu.Lock()
	c.closing = true
	x := c.x
	if x != nil {
		x.ref()
	}
	c.mu.Unlock()
	if x != nil {
		x.fail(ErrServerClosed, 0)
		x.answer()
		x.unref()
	}
	c.cutWrites()
	c.netConn().SetReadDeadline(time.Now())
}

// reject answers status to a request porter refuses; the connection
// ends after it.
func (c *conn) reject(status int) {
	c.s.stats.rejected(status)
	c.s.log(Log{Kind: LogAccess, Remote: c.remote, Status: status, Cause: ErrPeer})
	c.wmu.Lock()
	c.hold = false
	c.out = c.appendReject(c.out, status)
	c.emit(nil, true)
	c.wmu.Unlock()
	c.flush()
}

// close closes the connection once the writer is done. With linger it
// first half-closes and reads what the client still sends for a while,
// so that the client gets the response rather than a reset.
func (c *conn) close(linger bool) {
	c.flush()
	c.releaseBuf()
	c.wmu.Lock()
	c.werr = net.ErrClosed // no direct write may follow the descriptor's close
	c.wmu.Unlock()
	if linger {
		nc := c.netConn()
		if cw, ok := nc.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
		nc.SetReadDeadline(time.Now().Add(lingerTime))
		var scratch [512]byte
		for {
			if _, err := nc.Read(scratch[:]); err != nil {
				break
			}
		}
	}
	c.closeSocket()
	c.s.connClosed(c)
}

// fill reads more bytes into buf[w:], making room first; the buffer
// grows up to limit bytes. While it waits with nothing buffered, the
// connection holds no buffer.
func (c *conn) fill(limit int) error {
	switch {
	case c.r == c.w:
		c.r, c.w = 0, 0
	case c.w == len(c.buf) && c.r > 0:
		c.w = copy(c.buf, c.buf[c.r:c.w])
		c.r = 0
	case c.w == len(c.buf):
		if len(c.buf) >= limit {
			return errBufferFull
		}
		b := make([]byte, min(2*len(c.buf), max(limit, len(c.buf)+1)))
		c.w = copy(b, c.buf[c.r:c.w])
		c.r = 0
		c.putBuf()
		c.buf = b // not the pool's: dropped when released
	}
	p := c.polled()
	if p.raw == nil {
		c.getBuf()
		n, err := p.nc.Read(c.buf[c.w:])
		c.w += n
		c.s.stats.bytesIn.Add(int64(n))
		return err
	}
	c.rn, c.rerr = 0, nil
	err := p.raw.Read(c.readFn)
	switch {
	case err != nil:
		return err
	case c.rerr != nil:
		return c.rerr
	case c.rn == 0:
		return io.EOF
	}
	c.w += c.rn
	c.s.stats.bytesIn.Add(int64(c.rn))
	return nil
}

// rawRead is fill's callback: a read that does not wait, taking a
// buffer only once the socket is readable.
func (c *conn) rawRead(fd uintptr) bool {
	c.getBuf()
	n, e := readNoWait(int(fd), c.buf[c.w:])
	switch e {
	case 0:
		c.rn, c.rerr = n, nil
	case syscall.EAGAIN:
		c.rn, c.rerr = 0, nil
		if c.r == c.w {
			c.releaseBuf() // nothing held while the connection waits
		}
		return false
	default:
		c.rn, c.rerr = 0, e
	}
	return true
}

var errBufferFull = errors.New("porter: read buffer full")

func (c *conn) getBuf() {
	if c.buf == nil {
		c.bufp = bufPool.Get().(*[]byte)
		c.buf = *c.bufp
	}
}

// putBuf gives a pool buffer back.
func (c *conn) putBuf() {
	if c.bufp != nil {
		bufPool.Put(c.bufp)
	}
	c.buf, c.bufp = nil, nil
}

// releaseBuf drops the buffer once nothing in it is unread.
func (c *conn) releaseBuf() {
	if c.buf != nil {
		c.putBuf()
		c.r, c.w = 0, 0
	}
}

// readBody reads body bytes into p, from the buffer or else the
// connection (whose deadline the caller set); it returns 0, io.EOF at the
// end of the body and an *http1.Error for a malformed chunked body.
func (c *conn) readBody(p []byte) (int, error) {
	b := &c.body
	for !b.done {
		if len(p) == 0 {
			return 0, nil
		}
		if c.r < c.w {
			if !b.chunked {
				k := int(min(int64(c.w-c.r), b.remain))
				n := copy(p, c.buf[c.r:c.r+k])
				c.r += n
				b.remain -= int64(n)
				b.read.Add(int64(n))
				b.done = b.remain == 0
				return n, nil
			}
			data, n, err := b.ck.Decode(c.buf[c.r:min(c.w, c.r+len(p))])
			c.r += n
			copy(p, data)
			b.read.Add(int64(len(data)))
			switch err {
			case nil, http1.ErrNeedMore:
			case io.EOF:
				b.done = true
			default:
				return len(data), err
			}
			if len(data) > 0 {
				return len(data), nil
			}
			continue
		}
		if !b.chunked && len(p) >= bufSize { // large reads skip the buffer
			n, err := c.netConn().Read(p[:min(int64(len(p)), b.remain)])
			c.s.stats.bytesIn.Add(int64(n))
			b.remain -= int64(n)
			b.read.Add(int64(n))
			b.done = b.remain == 0
			if n > 0 {
				return n, nil
			}
			return 0, bodyEnd(err)
		}
		if err := c.fill(len(c.buf)); err != nil {
			return 0, bodyEnd(err)
		}
	}
	return 0, io.EOF
}

// bodyEnd turns the end of the stream inside a body into an error.
func bodyEnd(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
