package core

import (
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Request is what the front end read of one request. It is immutable
// once the exchange is dispatched, and holds no memory of the connection;
// its memory is the exchange's, reused once the exchange is released.
type Request struct {
	Method        string
	Target        string // as received: path?query, or an absolute URI
	Path          string // Target's path, still percent-encoded
	Query         string // Target after '?'
	Host          string // the Host field, or the authority of an absolute target
	Remote        string // the client's "ip:port"
	Version       int    // 10 or 11
	Headers       []Header
	Body          []byte // the whole body, when bodies are buffered
	ContentLength int64  // declared length, -1 when unknown (chunked)
	TLS           bool   // the connection is TLS
	ServerName    string // the TLS server name (SNI) the client asked for, or ""
}

// Header is one header field.
type Header struct{ Name, Value string }

// EventKind names what an Exchange tells its Watcher.
type EventKind int

const (
	EventBody     EventKind = iota + 1 // body bytes arrived after a read said ErrWouldBlock
	EventWritable                      // room to write after a write said ErrWouldBlock
	EventAbort                         // porter ended the exchange; Cause says why
	EventDone                          // porter and the host let go of the exchange: the last event
)

// Watcher receives an exchange's events, on porter's goroutines (and,
// for EventDone, maybe the host's) and never with a lock held.
// EventBody and EventWritable follow a call that said ErrWouldBlock;
// EventAbort comes only after the host's Request call for the exchange
// returned. EventDone comes when porter is about to reuse the exchange,
// after Release, if ever: the watcher may then reuse its own memory.
type Watcher interface {
	Event(kind EventKind)
}

// tell gives w the event, unless the host set no watcher.
func tell(w Watcher, kind EventKind) {
	if w != nil {
		w.Event(kind)
	}
}

// state is the exchange's progress as the host sees it.
type state uint8

const (
	stateOpen      state = iota // dispatched, no response yet
	stateStreaming              // head taken; body writes may follow
	stateEnded                  // the host ended it
	stateAborted                // porter ended it first
)

// Exchange is one request and its response, shared by a protocol front
// end and the host. Its methods may be called from any goroutine. In
// blocking mode (callback hosts) a call does its own I/O and returns when
// it is done; otherwise calls never wait: what cannot go out at once is
// written by porter, and the body is read ahead by it.
//
// Lifetime: made by a front end, handed to Host.Request, and done when
// the host ends it (Respond, Finish, Abort) or porter aborts it. A host
// that also calls Release lets porter reuse its memory for a later
// request; one that never does leaves it to the garbage collector.
type Exchange interface {
	// Request is the request, immutable once the exchange is dispatched.
	Request() *Request
	// Watch sets the exchange's watcher. Hosts call it in Request, before
	// the exchange becomes visible to any other goroutine; a host that
	// needs no events sets none.
	Watch(w Watcher)
	// Cause returns why porter aborted the exchange (ErrPeer, ErrTimeout,
	// ErrServerClosed), or nil.
	Cause() error
	// Ended reports whether the exchange has ended, by the host or by
	// porter.
	Ended() bool
	// Respond sends a whole response and ends the exchange. body is
	// written or copied before return.
	Respond(status int, header []Header, body []byte) error
	// WriteHead starts a streamed response; length is the exact body
	// length or -1 when unknown.
	WriteHead(status int, header []Header, length int64) error
	// Write writes body bytes of a streamed response. In blocking mode it
	// writes them all before return; otherwise it takes what fits in the
	// stream buffer and says ErrWouldBlock when nothing fits.
	Write(p []byte) (int, error)
	// Finish ends a streamed response; it never waits in non-blocking
	// mode. A response shorter than its declared length is cut (the
	// stream or connection ends without it) and ErrState is returned.
	Finish() error
	// Abort ends the exchange without a complete response. Aborting an
	// exchange porter already aborted succeeds.
	Abort() error
	// ReadBody reads request body bytes into p; it returns 0, io.EOF at
	// the end. Blocking mode reads on the caller's goroutine; otherwise it
	// says ErrWouldBlock while nothing has arrived. A body that breaks off
	// aborts the exchange (ErrAborted).
	ReadBody(p []byte) (int, error)
	// Release says the host makes no more calls on the exchange and keeps
	// nothing of its Request: porter may reuse them once it is done too.
	// Call it at most once, after Request returned true.
	Release()
}

// exchange is an HTTP/1.x (or SCGI) exchange, served by its conn.
type exchange struct {
	Req       Request
	c         *conn
	blocking  bool
	watcher   Watcher
	deadline  time.Duration // monoNow by which the host must start a response
	started   time.Time     // when the head was read, if the server logs
	expect100 bool          // the client waits for "100 Continue" before the body
	answered  sync.Once     // the network side of an abort is done
	fields    [8]Header     // Req.Headers, unless there are more

	// Guarded by c.mu.
	state     state
	cause     error   // why porter aborted
	status    int     // what porter answers when it aborts (0: it closes)
	frame     framing // of the response body
	length    int64   // declared response body length, -1 when unknown
	taken     int64   // response body bytes the host handed over
	keepAlive bool    // the connection may carry another request after this one
	sent      int     // the response status, once the head is taken
	cut       bool    // the host ended without a complete response
	continued bool    // "100 Continue" went out
	bodyAsked bool    // the host has read the body
	bodyRead  bool    // the whole request body is off the connection
	owesWrite bool    // a write said ErrWouldBlock: EventWritable is due
	owesBody  bool    // a read said ErrWouldBlock: EventBody is due
	in        []byte  // non-blocking mode: body read ahead
	inErr     error   // how the read-ahead ended (io.EOF when complete)

	bufRead int // buffered bodies: bytes the host has read

	rmu sync.Mutex // held by a blocking host's body read

	// Reuse: the connection and the host each hold a reference, and the
	// last to let go recycles the exchange with its buffers.
	refs    atomic.Int32
	head    []byte // the request head, which Req's strings view
	bodyBuf []byte // room for a buffered body
}

// maxKeptBody is the largest body buffer a recycled exchange keeps.
const maxKeptBody = 64 << 10

var exchanges = sync.Pool{New: func() any { return new(exchange) }}

// takeExchange takes a blank exchange of c from the pool, held by the
// connection and (once dispatched) the host, and copies into it the head
// just parsed, n bytes long, which the returned view maps to strings.
func (c *conn) takeExchange(n int) (*exchange, headView) {
	x := exchanges.Get().(*exchange)
	x.c, x.blocking, x.length = c, c.s.blocking, -1
	x.refs.Store(2)
	raw := c.buf[c.r : c.r+n]
	x.head = append(x.head, raw...)
	return x, headView{x.head, raw}
}

func (x *exchange) Release() { x.unref() }

// ref takes a further reference for a goroutine that found the exchange
// as its connection's current one: it stays this exchange while used.
// Called with c.mu, while c.x is x.
func (x *exchange) ref() { x.refs.Add(1) }

// unref lets go of a reference; the last one recycles the exchange. A
// path that never lets go just leaves it to the garbage collector.
func (x *exchange) unref() {
	if x.refs.Add(-1) != 0 {
		return
	}
	tell(x.watcher, EventDone)
	head, body := x.head[:0], x.bodyBuf[:0]
	if cap(body) > maxKeptBody {
		body = nil
	}
	*x = exchange{head: head, bodyBuf: body}
	exchanges.Put(x)
}

func (x *exchange) Request() *Request { return &x.Req }

func (x *exchange) Watch(w Watcher) { x.watcher = w }

// Cause returns why porter aborted the exchange (ErrPeer, ErrTimeout,
// ErrServerClosed), or nil.
func (x *exchange) Cause() error {
	x.c.mu.Lock()
	defer x.c.mu.Unlock()
	return x.cause
}

// Ended reports whether the exchange has ended, by the host or by porter.
func (x *exchange) Ended() bool {
	x.c.mu.Lock()
	defer x.c.mu.Unlock()
	return x.state == stateEnded || x.state == stateAborted
}

// Respond sends a whole response and ends the exchange. body is written
// or copied before return.
func (x *exchange) Respond(status int, header []Header, body []byte) error {
	if (status == 204 || status == 304) && len(body) > 0 {
		return ErrBodyForbidden
	}
	err := x.respond(status, header, body, int64(len(body)), true)
	x.c.serveNext()
	return err
}

// WriteHead starts a streamed response; length is the exact body length
// or -1 when unknown.
func (x *exchange) WriteHead(status int, header []Header, length int64) error {
	if length < -1 {
		return ErrStatus
	}
	return x.respond(status, header, nil, length, false)
}

// respond writes the response head, and with end the whole body.
func (x *exchange) respond(status int, header []Header, body []byte, length int64, end bool) error {
	if status < 200 || status > 999 {
		return ErrStatus
	}
	if err := checkHeaders(header); err != nil {
		return err
	}
	c := x.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	if err := x.state.allows(stateOpen); err != nil {
		c.mu.Unlock()
		return err
	}
	x.state, x.sent = stateStreaming, status
	x.frame = x.framing(status, length)
	x.keepAlive = x.keepAlive && !c.closing && x.frame != framedClose && !asksClose(header)
	x.length = length
	if x.frame == framedLength {
		x.taken = int64(len(body))
	}
	c.mu.Unlock()
	if !end {
		c.hold = false // a stream flows at once
	}
	c.out = c.appendHead(c.out, status, header, x.frame, length, x.Req.Version, x.keepAlive)
	if x.frame == framedNone || x.Req.Method == "HEAD" {
		body = nil
	}
	if err := c.emit(body, x.blocking); err != nil {
		x.fail(ioCause(err), 0)
		return ErrAborted
	}
	if end {
		x.end()
	}
	return nil
}

// framing chooses how the response body is delimited. Called with mu.
func (x *exchange) framing(status int, length int64) framing {
	switch {
	case x.c.scgi && bodyless(x.Req.Method, status):
		return framedNone
	case x.c.scgi: // the body ends with the connection
		return framedClose
	case bodyless(x.Req.Method, status) && (length < 0 || x.Req.Method != "HEAD"):
		return framedNone
	case x.Req.Method == "HEAD":
		return framedLength // the length a GET would have, no body
	case length >= 0:
		return framedLength
	case x.Req.Version >= 11:
		return framedChunked
	}
	return framedClose
}

// Write writes body bytes of a streamed response. In blocking mode it
// writes them all before return; otherwise it takes what fits in the
// stream buffer and says ErrWouldBlock when nothing fits.
func (x *exchange) Write(p []byte) (int, error) {
	c := x.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	if err := x.state.allows(stateStreaming); err != nil {
		c.mu.Unlock()
		return 0, err
	}
	if x.length >= 0 && x.taken+int64(len(p)) > x.length {
		c.mu.Unlock()
		return 0, ErrState
	}
	n := len(p)
	if room := c.s.cfg.StreamBuffer - c.pending(); !x.blocking && n > room {
		n = max(room, 0)
	}
	if n == 0 && len(p) > 0 {
		x.owesWrite = true
		c.mu.Unlock()
		return 0, ErrWouldBlock
	}
	x.taken += int64(n)
	frame := x.frame
	c.mu.Unlock()
	var err error
	switch frame {
	case framedNone:
	case framedChunked:
		if n > 0 {
			c.out = appendChunk(c.out, p[:n])
			err = c.emit(nil, x.blocking)
		}
	default:
		if x.Req.Method != "HEAD" {
			err = c.emit(p[:n], x.blocking)
		}
	}
	if err != nil {
		x.fail(ioCause(err), 0)
		return 0, ErrAborted
	}
	return n, nil
}

// Finish ends a streamed response. It never waits in non-blocking mode.
// A response shorter than its declared length is cut: the connection
// closes after what was written, and ErrState is returned.
func (x *exchange) Finish() error {
	err := x.finish()
	x.c.serveNext()
	return err
}

func (x *exchange) finish() error {
	c := x.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	if err := x.state.allows(stateStreaming); err != nil {
		c.mu.Unlock()
		return err
	}
	short := x.length >= 0 && x.taken < x.length && x.Req.Method != "HEAD"
	x.cut = short
	chunked := x.frame == framedChunked
	c.mu.Unlock()
	if chunked && !short {
		c.out = append(c.out, lastChunk...)
	}
	if err := c.emit(nil, x.blocking); err != nil {
		x.fail(ioCause(err), 0)
		return ErrAborted
	}
	x.end()
	if short {
		return ErrState
	}
	return nil
}

// end marks the exchange ended by the host and lets the connection go on.
func (x *exchange) end() {
	c := x.c
	c.mu.Lock()
	ended := x.markEnded()
	c.mu.Unlock()
	if ended {
		c.logAccess(x)
	}
}

// markEnded ends a streaming exchange for the host; it reports whether it
// did. Called with mu.
func (x *exchange) markEnded() bool {
	c := x.c
	if x.state != stateStreaming {
		return false // porter aborted it meanwhile
	}
	x.state = stateEnded
	c.signal()
	switch {
	case x.cut || !x.keepAlive || c.reading == readBody:
		c.interrupt() // the connection ends, or the host wants no more of the body
	case c.reading == readAhead: // serve now waits for the next request
		c.netConn().SetReadDeadline(time.Now().Add(c.s.cfg.IdleTimeout))
	}
	return true
}

// delivered reports whether the client has been handed the whole
// response while the host has yet to end the exchange: a head with no
// body to follow, or every byte of a declared length. Called with mu.
func (x *exchange) delivered() bool {
	if x.state != stateStreaming {
		return false
	}
	switch x.frame {
	case framedNone:
		return true
	case framedLength:
		return x.Req.Method == "HEAD" || x.taken == x.length
	}
	return false
}

// Abort ends the exchange without a complete response: the connection
// closes. Aborting an exchange porter already aborted succeeds.
func (x *exchange) Abort() error {
	c := x.c
	c.mu.Lock()
	switch x.state {
	case stateEnded:
		c.mu.Unlock()
		return ErrState
	case stateAborted:
		c.mu.Unlock()
		return nil
	}
	x.state, x.cut = stateEnded, true
	c.signal()
	c.interrupt()
	c.cutWrites() // what is still unwritten would be cut anyway
	c.mu.Unlock()
	c.logAccess(x)
	return nil
}

// allows says whether a host call that needs state want fits st.
func (st state) allows(want state) error {
	switch {
	case st == stateAborted:
		return ErrAborted
	case st != want:
		return ErrState
	}
	return nil
}

// ReadBody reads request body bytes into p; it returns 0, io.EOF at the
// end. Blocking mode reads the connection on the caller's goroutine;
// otherwise the connection reads ahead into the stream buffer and
// ReadBody says ErrWouldBlock while it is empty. A body that breaks off
// aborts the exchange (ErrAborted).
func (x *exchange) ReadBody(p []byte) (int, error) {
	c := x.c
	if !c.s.cfg.StreamBodies {
		return x.readBuffered(p)
	}
	if !x.blocking {
		return x.takeBody(p)
	}
	x.rmu.Lock()
	defer x.rmu.Unlock()
	c.mu.Lock()
	if x.state == stateAborted {
		c.mu.Unlock()
		return 0, ErrAborted
	}
	if x.state == stateEnded || x.bodyRead {
		c.mu.Unlock()
		return 0, io.EOF
	}
	x.bodyAsked = true
	cont := x.expect100 && !x.continued && x.state == stateOpen
	x.continued = x.continued || cont
	// Under mu, so that stopReading's deadline comes after this one.
	c.netConn().SetReadDeadline(time.Now().Add(c.s.cfg.BodyTimeout))
	c.mu.Unlock()
	if cont {
		c.wmu.Lock()
		c.out = append(c.out, "HTTP/1.1 100 Continue\r\n\r\n"...)
		c.emit(nil, true)
		c.wmu.Unlock()
	}
	n, err := c.readBody(p)
	switch {
	case err == io.EOF:
		c.mu.Lock()
		x.bodyRead = true
		c.signal() // serve may read ahead now
		c.mu.Unlock()
		if n > 0 {
			return n, nil
		}
		return 0, io.EOF
	case err != nil:
		x.failBody(err)
		return n, ErrAborted
	}
	return n, nil
}

// readBuffered serves a read of a body read whole before dispatch.
func (x *exchange) readBuffered(p []byte) (int, error) {
	x.c.mu.Lock()
	defer x.c.mu.Unlock()
	if x.state == stateAborted {
		return 0, ErrAborted
	}
	if x.bufRead == len(x.Req.Body) {
		return 0, io.EOF
	}
	n := copy(p, x.Req.Body[x.bufRead:])
	x.bufRead += n
	return n, nil
}

// failBody aborts the exchange for a body that broke off: 400 for a
// malformed one, 408 for a stalled one, and a close for a client that
// left.
func (x *exchange) failBody(err error) {
	status := bodyStatus(err)
	cause := ioCause(err)
	if err == io.ErrUnexpectedEOF {
		status = 0
	}
	x.fail(cause, status)
}

// takeBody serves a non-blocking read from the read-ahead buffer, asking
// the connection to read on first use (so "100 Continue" goes out only
// once the host reads).
func (x *exchange) takeBody(p []byte) (int, error) {
	c := x.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if x.state == stateAborted {
		return 0, ErrAborted
	}
	if len(x.in) == 0 {
		if x.inErr == io.EOF || x.bodyRead || x.state == stateEnded {
			return 0, io.EOF
		}
		if x.inErr != nil {
			return 0, ErrAborted
		}
		if len(p) == 0 {
			return 0, nil
		}
		x.owesBody = true
		if !x.bodyAsked {
			x.bodyAsked = true
			c.signal()
		}
		return 0, ErrWouldBlock
	}
	n := copy(p, x.in)
	full := len(x.in) >= c.s.cfg.StreamBuffer
	x.in = x.in[:copy(x.in, x.in[n:])]
	if full {
		c.signal() // there is room again
	}
	return n, nil
}

// readAhead reads body bytes into the stream buffer for a non-blocking
// host, on serve's goroutine, once.
func (x *exchange) readAhead() {
	c := x.c
	c.mu.Lock()
	room := c.s.cfg.StreamBuffer - len(x.in)
	cont := x.expect100 && !x.continued && x.state == stateOpen
	x.continued = x.continued || cont
	c.mu.Unlock()
	if cont {
		c.wmu.Lock()
		c.out = append(c.out, "HTTP/1.1 100 Continue\r\n\r\n"...)
		c.emit(nil, false)
		c.wmu.Unlock()
	}
	scratch := bufPool.Get().(*[]byte)
	defer bufPool.Put(scratch)
	n, err := c.readBody((*scratch)[:min(room, len(*scratch))])
	c.mu.Lock()
	c.reading = readNone
	live := x.state == stateOpen || x.state == stateStreaming
	x.in = append(x.in, (*scratch)[:n]...)
	switch {
	case err == io.EOF:
		x.bodyRead, x.inErr = true, io.EOF
	case err != nil && live:
		x.inErr = err
	}
	owed := x.owesBody && (n > 0 || x.inErr != nil)
	if owed {
		x.owesBody = false
	}
	c.mu.Unlock()
	if owed {
		tell(x.watcher, EventBody) // the host's next read says what happened
	}
	if err != nil && err != io.EOF && live {
		x.failBody(err)
	}
}

// fail aborts the exchange for porter: the host's calls say ErrAborted
// from now on; the connection answers status (if nonzero and no response
// started) or closes, then tells the watcher.
func (x *exchange) fail(cause error, status int) {
	c := x.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if x.state == stateEnded || x.state == stateAborted {
		return
	}
	if x.state != stateOpen {
		status = 0
	}
	if cause == ErrPeer && c.s.killed() { // the shutdown deadline closed the connection
		cause, status = ErrServerClosed, 0
	}
	x.state, x.cause, x.status = stateAborted, cause, status
	c.signal()
	c.interrupt()
}

// answer does the network side of an abort, once: it stops the host's
// I/O on the connection and sends the abort status if one is due.
func (x *exchange) answer() {
	x.answered.Do(func() {
		c := x.c
		c.mu.Lock()
		status := x.status
		c.mu.Unlock()
		x.stopReading()
		if status == 0 {
			c.cutWrites() // a host's write in progress ends
			return
		}
		c.wmu.Lock() // a blocking host's calls wait, then see the abort
		c.hold = false
		c.mu.Lock()
		x.sent = status
		c.mu.Unlock()
		c.out = c.appendReject(c.out, status)
		c.emit(nil, true)
		c.wmu.Unlock()
	})
}

// stopReading ends a blocking host's body read in progress, so that
// nothing reads the connection for the exchange any more; it reports
// whether it had to. The exchange has ended, so no new read starts.
func (x *exchange) stopReading() bool {
	if x.rmu.TryLock() {
		x.rmu.Unlock()
		return false
	}
	x.c.mu.Lock()
	x.c.netConn().SetReadDeadline(time.Now())
	x.c.mu.Unlock()
	x.rmu.Lock()
	x.rmu.Unlock()
	return true
}

// checkHeaders refuses names that are not tokens, values with control
// bytes other than tab (CR, LF and NUL among them: no response
// splitting), and the framing fields porter sets itself.
func checkHeaders(header []Header) error {
	for _, f := range header {
		if !isToken(f.Name) || !isFieldValue(f.Value) {
			return ErrHeader
		}
		if fieldIs(f.Name, "Content-Length") || fieldIs(f.Name, "Transfer-Encoding") {
			return ErrHeader
		}
	}
	return nil
}

// fieldIs reports whether a field name is want, whatever its case.
func fieldIs(name, want string) bool {
	return len(name) == len(want) && strings.EqualFold(name, want)
}

// asksClose reports whether the host's header fields close the
// connection after the response.
func asksClose(header []Header) bool {
	for _, f := range header {
		if fieldIs(f.Name, "Connection") && strings.Contains(strings.ToLower(f.Value), "close") {
			return true
		}
	}
	return false
}
