package core

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Request is what a front end read of one request. It is immutable once
// the exchange is dispatched.
type Request struct {
	Method        string
	Target        string // as received: path?query
	Path          string // Target up to '?', still percent-encoded
	Query         string // Target after '?'
	Host          string
	Remote        string // the client's "ip:port"
	Version       int    // 10 or 11
	Headers       []Header
	Body          []byte // the whole body, when bodies are buffered
	ContentLength int64  // declared length, -1 when unknown
}

// Header is one header field.
type Header struct{ Name, Value string }

// EventKind names what an Exchange tells its Watcher.
type EventKind int

const (
	EventBody     EventKind = iota + 1 // body bytes arrived after a read said ErrWouldBlock
	EventWritable                      // room to write after a write said ErrWouldBlock
	EventAbort                         // porter ended the exchange; Cause says why
)

// Watcher receives an exchange's events, on porter's goroutines and
// never with a lock held. EventBody and EventWritable follow a call that
// said ErrWouldBlock; EventAbort comes only after the host's Request call
// for the exchange returned.
type Watcher interface {
	Event(kind EventKind)
}

// state is the exchange's progress as the host sees it.
type state uint8

const (
	stateOpen      state = iota // dispatched, no response yet
	stateStreaming              // head taken; body writes may follow
	stateEnded                  // the host ended it
	stateAborted                // porter ended it first
)

// Exchange is one request and its response, shared by a front end and
// the host. Its methods may be called from any goroutine. In blocking
// mode (callback hosts) the calling goroutine does the response I/O
// itself; otherwise calls never block, and the exchange's own goroutine
// (run) does the I/O while the host goes on.
//
// Lifetime: made by a front end, handed to Host.Request, and done when
// the host ends it (Respond, Finish, Abort) or porter aborts it.
type Exchange struct {
	Req      Request
	s        *Server
	w        http.ResponseWriter
	r        *http.Request
	rc       *http.ResponseController
	blocking bool
	watcher  Watcher
	wake     chan struct{} // run has work: a response to write, or an end
	timer    *time.Timer   // the response deadline
	answered sync.Once     // the network side of an abort is done

	mu        sync.Mutex // guards the fields below
	state     state
	cause     error  // why porter aborted
	status    int    // what porter answers when it aborts (0: it closes)
	head      *head  // taken, not yet written (non-blocking mode)
	out       []byte // body bytes taken, not yet written (non-blocking mode)
	length    int64  // declared body length, -1 when unknown
	taken     int64  // body bytes the host handed over
	cut       bool   // the host ended without a complete response
	owesWrite bool   // a write said ErrWouldBlock: EventWritable is due
	owesBody  bool   // a read said ErrWouldBlock: EventBody is due
	bodyAsked bool   // the host has read the body (so 100 Continue went out)
	in        []byte // streamed bodies, non-blocking mode: read ahead
	inErr     error  // how the read-ahead ended (io.EOF when complete)
	reading   bool   // the read-ahead goroutine runs

	wmu sync.Mutex // serializes writes to w

	rmu      sync.Mutex    // serializes reads of the body; guards below
	bodyRead int           // buffered bodies: bytes the host has read
	consumed int64         // streamed bodies: bytes read off the connection
	room     chan struct{} // the host made room in `in`
}

type head struct {
	status int
	header []Header
}

// Watch sets the exchange's watcher. Hosts call it in Request, before the
// exchange becomes visible to any other goroutine.
func (x *Exchange) Watch(w Watcher) { x.watcher = w }

// Cause returns why porter aborted the exchange (ErrPeer, ErrTimeout,
// ErrServerClosed), or nil.
func (x *Exchange) Cause() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.cause
}

// Respond sends a whole response and ends the exchange. body is copied
// in non-blocking mode and written before return in blocking mode.
func (x *Exchange) Respond(status int, header []Header, body []byte) error {
	length := int64(len(body))
	if status == http.StatusNoContent || status == http.StatusNotModified {
		if len(body) > 0 {
			return ErrBodyForbidden
		}
		length = -1
	}
	if err := x.start(status, header, length); err != nil {
		return err
	}
	if _, err := x.write(body, true); err != nil {
		return err
	}
	return x.Finish()
}

// WriteHead starts a streamed response; length is the exact body length
// or -1 when unknown.
func (x *Exchange) WriteHead(status int, header []Header, length int64) error {
	if length < -1 {
		return ErrStatus
	}
	return x.start(status, header, length)
}

func (x *Exchange) start(status int, header []Header, length int64) error {
	if status < 200 || status > 999 {
		return ErrStatus
	}
	if err := checkHeaders(header); err != nil {
		return err
	}
	if x.blocking {
		x.wmu.Lock()
		defer x.wmu.Unlock()
	}
	x.mu.Lock()
	if err := x.usable(stateOpen); err != nil {
		x.mu.Unlock()
		return err
	}
	x.state = stateStreaming
	x.length = length
	if x.blocking {
		x.mu.Unlock()
		x.writeHead(status, header, length)
		return nil
	}
	x.head = &head{status, copyHeaders(header)}
	x.mu.Unlock()
	x.signal()
	return nil
}

// Write writes body bytes of a streamed response. In blocking mode it
// writes them all before return; otherwise it takes what fits in the
// stream buffer and says ErrWouldBlock when nothing fits.
func (x *Exchange) Write(p []byte) (int, error) { return x.write(p, false) }

// write takes body bytes. whole (Respond) takes them all whatever the
// buffer bound, since the host already holds the body, and leaves the
// flush to the end of the exchange.
func (x *Exchange) write(p []byte, whole bool) (int, error) {
	if x.blocking {
		x.wmu.Lock()
		defer x.wmu.Unlock()
	}
	x.mu.Lock()
	if err := x.usable(stateStreaming); err != nil {
		x.mu.Unlock()
		return 0, err
	}
	if x.length >= 0 && x.taken+int64(len(p)) > x.length {
		x.mu.Unlock()
		return 0, ErrState
	}
	if x.blocking {
		x.taken += int64(len(p))
		x.mu.Unlock()
		if len(p) == 0 {
			return 0, nil
		}
		if err := x.writeBody(p, !whole); err != nil {
			x.fail(ioCause(err), 0)
			return 0, ErrAborted
		}
		return len(p), nil
	}
	n := len(p)
	if room := x.s.cfg.StreamBuffer - len(x.out); !whole && n > room {
		n = max(room, 0)
	}
	if n == 0 && len(p) > 0 {
		x.owesWrite = true
		x.mu.Unlock()
		return 0, ErrWouldBlock
	}
	x.out = append(x.out, p[:n]...)
	x.taken += int64(n)
	x.mu.Unlock()
	x.signal()
	return n, nil
}

// Finish ends a streamed response. Bytes still buffered are sent first;
// it never blocks in non-blocking mode. A response shorter than its
// declared length is cut: the connection closes and ErrState is returned.
func (x *Exchange) Finish() error {
	if x.blocking {
		x.wmu.Lock()
		defer x.wmu.Unlock()
	}
	x.mu.Lock()
	if err := x.usable(stateStreaming); err != nil {
		x.mu.Unlock()
		return err
	}
	x.state = stateEnded
	short := x.length >= 0 && x.taken < x.length
	x.cut = short
	x.mu.Unlock()
	x.signal()
	if short {
		return ErrState
	}
	return nil
}

// Abort ends the exchange without a complete response: the connection
// closes. Aborting an exchange porter already aborted succeeds.
func (x *Exchange) Abort() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	switch x.state {
	case stateEnded:
		return ErrState
	case stateAborted:
		return nil
	}
	x.state, x.cut = stateEnded, true
	x.signal()
	return nil
}

// Ended reports whether the exchange has ended, by the host or by porter.
func (x *Exchange) Ended() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.state == stateEnded || x.state == stateAborted
}

// usable says whether a host call fits the current state. Called with mu.
func (x *Exchange) usable(want state) error {
	switch {
	case x.state == stateAborted:
		return ErrAborted
	case x.state != want:
		return ErrState
	}
	return nil
}

// ReadBody reads request body bytes into p; it returns 0, io.EOF at the
// end. Blocking mode reads the connection on the caller's goroutine;
// otherwise a read-ahead goroutine fills the stream buffer and ReadBody
// says ErrWouldBlock while it is empty. A body that breaks off aborts
// the exchange (ErrAborted).
func (x *Exchange) ReadBody(p []byte) (int, error) {
	x.mu.Lock()
	if x.state == stateAborted {
		x.mu.Unlock()
		return 0, ErrAborted
	}
	x.bodyAsked = true
	x.mu.Unlock()
	if !x.s.cfg.StreamBodies {
		x.rmu.Lock()
		defer x.rmu.Unlock()
		if x.bodyRead == len(x.Req.Body) {
			return 0, io.EOF
		}
		n := copy(p, x.Req.Body[x.bodyRead:])
		x.bodyRead += n
		return n, nil
	}
	if x.blocking {
		x.rmu.Lock()
		defer x.rmu.Unlock()
		n, err := x.readBody(p)
		switch {
		case err == io.EOF && n > 0:
			return n, nil // the next call says io.EOF
		case err != nil && err != io.EOF:
			return n, ErrAborted
		}
		return n, err
	}
	return x.takeBody(p)
}

// readBody reads the connection with the body deadline; a broken body
// aborts the exchange.
func (x *Exchange) readBody(p []byte) (int, error) {
	x.rc.SetReadDeadline(time.Now().Add(x.s.cfg.BodyTimeout))
	n, err := x.r.Body.Read(p)
	x.consumed += int64(n)
	if err == io.EOF {
		// net/http now watches the idle connection for the client going
		// away; the body's deadline must not look like that.
		x.rc.SetReadDeadline(time.Time{})
	}
	if err != nil && err != io.EOF {
		status := http.StatusBadRequest
		if ioCause(err) == ErrTimeout {
			status = http.StatusRequestTimeout
		}
		x.fail(ioCause(err), status)
	}
	return n, err
}

// ioCause says why a read or write on the connection failed: a deadline
// passed, or the client went away or broke the protocol.
func ioCause(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return ErrTimeout
	}
	return ErrPeer
}

// takeBody serves a non-blocking read from the read-ahead buffer,
// starting the read-ahead on first use (so "100 Continue" goes out only
// once the host reads).
func (x *Exchange) takeBody(p []byte) (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.in) == 0 {
		if x.inErr == io.EOF {
			return 0, io.EOF
		}
		if x.inErr != nil {
			return 0, ErrAborted
		}
		if len(p) == 0 {
			return 0, nil
		}
		x.owesBody = true
		if !x.reading {
			x.reading = true
			go x.readAhead()
		}
		return 0, ErrWouldBlock
	}
	n := copy(p, x.in)
	x.in = x.in[:copy(x.in, x.in[n:])]
	select {
	case x.room <- struct{}{}:
	default:
	}
	return n, nil
}

// readAhead fills the stream buffer from the connection until the body
// ends, the buffer bound holding it back while the host does not read.
func (x *Exchange) readAhead() {
	buf := make([]byte, min(x.s.cfg.StreamBuffer, 32<<10))
	for {
		x.mu.Lock()
		room := x.s.cfg.StreamBuffer - len(x.in)
		x.mu.Unlock()
		if room <= 0 {
			<-x.room
		}
		// rmu is held only while reading, so that it means "a read is in
		// progress"; the state is checked under it, so that no read
		// starts once the exchange has ended.
		x.rmu.Lock()
		if x.Ended() {
			x.rmu.Unlock()
			return
		}
		if room <= 0 {
			x.rmu.Unlock()
			continue
		}
		n, err := x.readBody(buf[:min(room, len(buf))])
		x.rmu.Unlock()
		x.mu.Lock()
		x.in = append(x.in, buf[:n]...)
		if err != nil {
			x.inErr = err
		}
		owed := x.owesBody && (n > 0 || err != nil)
		if owed {
			x.owesBody = false
		}
		x.mu.Unlock()
		if owed {
			x.watcher.Event(EventBody)
		}
		if err != nil {
			return
		}
	}
}

// signal wakes run.
func (x *Exchange) signal() {
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// fail aborts the exchange for porter: the host's calls say ErrAborted
// from now on; run answers status (if nonzero and no response started)
// or closes the connection, then tells the watcher.
func (x *Exchange) fail(cause error, status int) {
	x.mu.Lock()
	if x.state == stateEnded || x.state == stateAborted {
		x.mu.Unlock()
		return
	}
	if x.state != stateOpen {
		status = 0
	}
	if cause == ErrPeer && x.s.killed() { // the shutdown deadline closed the connection
		cause, status = ErrServerClosed, 0
	}
	x.state, x.cause, x.status = stateAborted, cause, status
	x.mu.Unlock()
	x.signal()
}

// expire answers 503 when the host has not started a response in time.
// It runs on a timer's goroutine, so it also catches a callback that is
// still running.
func (x *Exchange) expire() {
	x.mu.Lock()
	late := x.state == stateOpen
	x.mu.Unlock()
	if late {
		x.fail(ErrTimeout, http.StatusServiceUnavailable)
		x.answer()
	}
}

// run serves the exchange on the front end's goroutine until it is done:
// it writes what the host handed over (non-blocking mode), watches the
// client and the server's kill switch, and carries out aborts. It panics
// with http.ErrAbortHandler to close the connection without a complete
// response.
func (x *Exchange) run() {
	if x.pump() {
		return // the host answered inline
	}
	gone := x.r.Context().Done()
	for {
		select {
		case <-x.wake:
		case <-gone:
			gone = nil
			// A body read in progress fails too and knows the cause
			// better (a deadline, a malformed chunk); leave it to it.
			if x.rmu.TryLock() {
				x.rmu.Unlock()
				x.fail(ErrPeer, 0)
			}
		case <-x.s.kill:
			x.fail(ErrServerClosed, 0)
		}
		if x.pump() {
			return
		}
	}
}

// pump writes what is pending and reports whether the exchange is done.
func (x *Exchange) pump() bool {
	x.mu.Lock()
	st := x.state
	if st == stateAborted {
		x.mu.Unlock()
		x.finishAborted()
		return true
	}
	h, out, cut := x.head, x.out, x.cut
	x.head, x.out = nil, x.out[:0:0]
	owed := x.owesWrite && len(out) > 0
	x.owesWrite = x.owesWrite && !owed
	x.mu.Unlock()

	if h != nil || len(out) > 0 {
		x.wmu.Lock()
		if h != nil {
			x.writeHead(h.status, h.header, x.length)
		}
		// The end of the exchange flushes, but a cut one closes the
		// connection without: flush what the client is owed first.
		err := x.writeBody(out, st != stateEnded || cut)
		x.wmu.Unlock()
		if err != nil {
			x.fail(ioCause(err), 0)
			return false
		}
		if owed {
			x.watcher.Event(EventWritable)
		}
	}
	if st != stateEnded {
		return false
	}
	x.mu.Lock()
	pending := len(x.out) > 0 || x.head != nil
	x.mu.Unlock()
	if pending {
		return false
	}
	interrupted := x.stopReading()
	if cut {
		x.stopWriting()
		panic(http.ErrAbortHandler)
	}
	switch {
	case interrupted:
		endConnection(x.r) // the rest of the body was not read
	case x.s.cfg.StreamBodies:
		x.drainBody()
	}
	return true
}

// maxDrain is how much of an unread body porter reads past to keep a
// connection for the next request; with more left, it closes instead.
const maxDrain = 256 << 10

// drainBody reads past what is left of a streamed body once the response
// is done, so that the connection can carry the next request: net/http
// leaves that to the handler in full-duplex mode. A client still waiting
// for "100 Continue" will not send its body, and one with much left
// should not be waited for: their connections close.
func (x *Exchange) drainBody() {
	x.rmu.Lock()
	defer x.rmu.Unlock()
	x.mu.Lock()
	asked := x.bodyAsked
	x.mu.Unlock()
	declared := x.r.ContentLength
	if (!asked && x.r.Header.Get("Expect") != "") || declared-x.consumed > maxDrain {
		endConnection(x.r)
		return
	}
	x.rc.Flush() // a client may wait for the response before it sends more
	x.rc.SetReadDeadline(time.Now().Add(x.s.cfg.BodyTimeout))
	if _, err := io.CopyN(io.Discard, x.r.Body, maxDrain+1); err != io.EOF {
		endConnection(x.r) // too much left, or the client stalled
	}
}

// finishAborted carries out an abort on run's goroutine: the network
// side, then the watcher's event; with no status to answer, the
// connection closes.
func (x *Exchange) finishAborted() {
	x.answer()
	x.watcher.Event(EventAbort)
	x.mu.Lock()
	status := x.status
	x.mu.Unlock()
	if status == 0 {
		panic(http.ErrAbortHandler)
	}
}

// answer does the network side of an abort, once: it stops the host's
// I/O on the connection and sends the abort status if one is due.
func (x *Exchange) answer() {
	x.answered.Do(func() {
		x.stopReading()
		x.stopWriting()
		x.mu.Lock()
		status := x.status
		x.mu.Unlock()
		if status != 0 {
			x.wmu.Lock() // a blocking host's calls wait, then see the abort
			x.rc.SetWriteDeadline(time.Now().Add(x.s.cfg.WriteTimeout))
			reject(x.w, x.r, status)
			x.rc.Flush()
			x.wmu.Unlock()
		}
	})
}

// stopReading ends any body read in progress, so that nothing touches
// the request after the handler returns; it reports whether it had to.
func (x *Exchange) stopReading() bool {
	select {
	case x.room <- struct{}{}: // a read-ahead waiting for room sees the end
	default:
	}
	if x.rmu.TryLock() {
		x.rmu.Unlock()
		return false
	}
	x.rc.SetReadDeadline(time.Now())
	x.rmu.Lock()
	x.rmu.Unlock()
	return true
}

// stopWriting ends any host write in progress.
func (x *Exchange) stopWriting() {
	if !x.wmu.TryLock() {
		x.rc.SetWriteDeadline(time.Now())
		x.wmu.Lock()
	}
	x.wmu.Unlock()
}

// writeHead writes the status line and headers. Called with wmu.
func (x *Exchange) writeHead(status int, header []Header, length int64) {
	h := x.w.Header()
	for _, f := range header {
		k := http.CanonicalHeaderKey(f.Name)
		h[k] = append(h[k], f.Value)
	}
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = nil // porter never guesses a type
	}
	if length >= 0 {
		h["Content-Length"] = []string{strconv.FormatInt(length, 10)}
	}
	x.w.WriteHeader(status)
}

// writeBody writes p under the write deadline. Called with wmu.
func (x *Exchange) writeBody(p []byte, flush bool) error {
	x.rc.SetWriteDeadline(time.Now().Add(x.s.cfg.WriteTimeout))
	if len(p) > 0 {
		if _, err := x.w.Write(p); err != nil && err != http.ErrBodyNotAllowed {
			return err
		}
	}
	if flush {
		return x.rc.Flush()
	}
	return nil
}

// checkHeaders refuses names that are not tokens, values with control
// bytes other than tab (CR, LF and NUL among them: no response
// splitting), and the framing fields porter sets itself.
func checkHeaders(header []Header) error {
	for _, f := range header {
		if !isToken(f.Name) || !isFieldValue(f.Value) {
			return ErrHeader
		}
		if strings.EqualFold(f.Name, "Content-Length") || strings.EqualFold(f.Name, "Transfer-Encoding") {
			return ErrHeader
		}
	}
	return nil
}

func copyHeaders(header []Header) []Header {
	if len(header) == 0 {
		return nil
	}
	return append([]Header(nil), header...)
}
