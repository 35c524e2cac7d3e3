package core

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// quietLog keeps net/http from writing to the host's stderr.
var quietLog = log.New(io.Discard, "", 0)

// HTTP/2 is served by Go's net/http, the maintained implementation of the
// protocol (its flow control, HPACK, and its defences against rapid reset
// and CONTINUATION floods). porter hands it the connections that choose
// h2 by ALPN, and with Config.H2C those that open with the cleartext
// preface; every stream becomes an h2Exchange, the same Exchange a host
// sees for HTTP/1.1 but for Request().Version, 20.

// h2Front is a server's HTTP/2 front end.
type h2Front struct {
	s     *Server
	hs    *http.Server
	ln    *handoff
	conns sync.Map // net.Conn handed over → its *conn, until net/http closes it
}

func newH2Front(s *Server) *h2Front {
	f := &h2Front{s: s, ln: &handoff{conns: make(chan net.Conn), done: make(chan struct{})}}
	var protocols http.Protocols
	protocols.SetHTTP2(true)
	protocols.SetUnencryptedHTTP2(s.cfg.H2C)
	f.hs = &http.Server{
		Handler:        f,
		Protocols:      &protocols,
		MaxHeaderBytes: s.cfg.MaxHeaderBytes,
		IdleTimeout:    s.cfg.IdleTimeout,
		ErrorLog:       quietLog,
		HTTP2:          &http.HTTP2Config{MaxConcurrentStreams: s.cfg.MaxStreams},
		ConnState:      f.connState,
	}
	go f.hs.Serve(f.ln)
	return f
}

// take serves nc, whose conn c holds a connection slot, over HTTP/2.
func (f *h2Front) take(c *conn, nc net.Conn) {
	f.conns.Store(nc, c)
	select {
	case f.ln.conns <- nc:
	case <-f.ln.done:
		f.conns.Delete(nc)
		nc.Close()
		f.s.connClosed(c)
	}
}

// connState gives a connection's slot back once net/http is done with it.
func (f *h2Front) connState(nc net.Conn, state http.ConnState) {
	if state == http.StateClosed || state == http.StateHijacked {
		if c, ok := f.conns.LoadAndDelete(nc); ok {
			f.s.connClosed(c.(*conn))
		}
	}
}

// shutdown ends the HTTP/2 connections: gracefully (GOAWAY, then each
// closes when its streams are done) until ctx ends, then at once.
func (f *h2Front) shutdown(ctx context.Context) {
	f.ln.Close()
	if f.hs.Shutdown(ctx) != nil {
		f.hs.Close()
	}
}

// handoff is the listener through which porter hands net/http its
// HTTP/2 connections.
type handoff struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *handoff) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoff) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *handoff) Addr() net.Addr { return &net.TCPAddr{} }

// h2Preface opens every HTTP/2 connection (RFC 9113 §3.4); over cleartext
// it is how a client with prior knowledge says it speaks HTTP/2.
const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// replayConn is a connection whose first bytes were already read: Read
// returns them again before reading on.
type replayConn struct {
	net.Conn
	buf []byte
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.buf) > 0 {
		n := copy(p, c.buf)
		c.buf = c.buf[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// negotiatedH2 reports whether a TLS connection chose h2 by ALPN.
func negotiatedH2(nc net.Conn) bool {
	tc, ok := nc.(*tls.Conn)
	return ok && tc.ConnectionState().NegotiatedProtocol == "h2"
}

// ServeHTTP serves one HTTP/2 stream: it checks the request against the
// limits, buffers the body when configured to, and runs the exchange.
func (f *h2Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := f.s
	if status := s.checkStream(r); status != 0 {
		s.stats.rejected(status)
		rejectStream(w, status)
		return
	}
	var started time.Time
	if s.logging() {
		started = time.Now()
	}
	rc := http.NewResponseController(w)
	x := &h2Exchange{
		Req:      streamRequest(r),
		s:        s,
		w:        w,
		r:        r,
		rc:       rc,
		blocking: s.blocking,
		wake:     make(chan struct{}, 1),
		room:     make(chan struct{}, 1),
		length:   -1,
	}
	if !s.cfg.StreamBodies {
		if status := x.bufferBody(); status != 0 {
			s.stats.rejected(status)
			rejectStream(w, status)
			return
		}
	}
	if s.killed() {
		panic(http.ErrAbortHandler)
	}
	x.timer = time.AfterFunc(s.cfg.ResponseTimeout, x.expire)
	defer x.timer.Stop()
	if s.logging() {
		defer x.logAccess(started)
	}
	s.stats.requests.Add(1)
	if !s.host.Request(x) {
		s.stats.rejected(http.StatusServiceUnavailable)
		rejectStream(w, http.StatusServiceUnavailable)
		return
	}
	x.run()
}

// logAccess logs the stream once run is done (also when it panics to
// reset the stream).
func (x *h2Exchange) logAccess(started time.Time) {
	x.wmu.Lock()
	status := x.sent
	x.wmu.Unlock()
	x.mu.Lock()
	cause, taken, cut := x.cause, x.taken, x.cut
	x.mu.Unlock()
	if cut || cause != nil && status == 0 {
		status = 0
	}
	x.rmu.Lock() // no read is in progress: run stopped them
	in := x.consumed
	x.rmu.Unlock()
	if !x.s.cfg.StreamBodies {
		in = int64(len(x.Req.Body))
	}
	q := &x.Req
	x.s.log(Log{Kind: LogAccess, Method: q.Method, Target: q.Target, Remote: q.Remote,
		Version: q.Version, Status: status, BytesIn: in, BytesOut: taken,
		Duration: time.Since(started), Cause: cause})
}

// checkStream applies the limits on a stream's request head; it returns
// the status to refuse the request with, or 0. (net/http has refused
// header blocks over MaxHeaderBytes already.)
func (s *Server) checkStream(r *http.Request) int {
	if len(r.Method)+1+len(r.RequestURI)+len(" HTTP/2.0") > s.cfg.MaxRequestLine {
		return http.StatusRequestURITooLong
	}
	fields := 1
	for _, values := range r.Header {
		fields += len(values)
	}
	if fields > s.cfg.MaxHeaderCount {
		return http.StatusRequestHeaderFieldsTooLarge
	}
	if !s.cfg.StreamBodies && r.ContentLength > s.cfg.MaxBodyBytes {
		return http.StatusRequestEntityTooLarge
	}
	return 0
}

// bufferBody reads the whole body into Req.Body; it returns the status to
// refuse the request with, or 0.
func (x *h2Exchange) bufferBody() int {
	if x.r.ContentLength == 0 {
		return 0
	}
	// Grow with what arrives rather than trusting the declared length.
	limit := x.s.cfg.MaxBodyBytes
	x.rc.SetReadDeadline(time.Now().Add(x.s.cfg.BodyTimeout))
	body, err := io.ReadAll(io.LimitReader(x.r.Body, limit+1))
	if err != nil {
		return bodyStatus(err)
	}
	if int64(len(body)) > limit {
		return http.StatusRequestEntityTooLarge
	}
	x.rc.SetReadDeadline(time.Time{})
	x.Req.Body = body
	return 0
}

// rejectStream answers status with a short text body.
func rejectStream(w http.ResponseWriter, status int) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, http.StatusText(status)+"\n")
}

// streamRequest builds the request view of a stream. net/http keeps
// header fields in a map with canonical names, so the view lists Host
// first, then the fields sorted by name, each name's values in order.
func streamRequest(r *http.Request) Request {
	target := r.RequestURI
	path, query, _ := strings.Cut(target, "?")
	fields := r.Header
	names := make([]string, 0, len(fields))
	count := 1
	for name, values := range fields {
		names = append(names, name)
		count += len(values)
	}
	sort.Strings(names)
	headers := make([]Header, 0, count)
	if r.Host != "" {
		headers = append(headers, Header{"Host", r.Host})
	}
	for _, name := range names {
		for _, v := range fields[name] {
			headers = append(headers, Header{name, v})
		}
	}
	req := Request{
		Method:        r.Method,
		Target:        target,
		Path:          path,
		Query:         query,
		Host:          r.Host,
		Remote:        r.RemoteAddr,
		Version:       20,
		Headers:       headers,
		ContentLength: r.ContentLength,
	}
	if r.TLS != nil {
		req.TLS, req.ServerName = true, r.TLS.ServerName
	}
	return req
}

// h2Exchange is one HTTP/2 stream as an Exchange, served by net/http's
// handler goroutine (run). In blocking mode the host's calls do the
// stream's I/O themselves; otherwise calls never block, and run does the
// I/O while the host goes on.
type h2Exchange struct {
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
	sent     int           // the status written, under wmu
	room     chan struct{} // the host made room in `in`
}

type head struct {
	status int
	header []Header
}

func (x *h2Exchange) Request() *Request { return &x.Req }

func (x *h2Exchange) Watch(w Watcher) { x.watcher = w }

// Release does nothing: HTTP/2 exchanges are not reused.
func (x *h2Exchange) Release() {}

// Cause returns why porter aborted the exchange (ErrPeer, ErrTimeout,
// ErrServerClosed), or nil.
func (x *h2Exchange) Cause() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.cause
}

// Respond sends a whole response and ends the exchange. body is copied
// in non-blocking mode and written before return in blocking mode.
func (x *h2Exchange) Respond(status int, header []Header, body []byte) error {
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
func (x *h2Exchange) WriteHead(status int, header []Header, length int64) error {
	if length < -1 {
		return ErrStatus
	}
	return x.start(status, header, length)
}

func (x *h2Exchange) start(status int, header []Header, length int64) error {
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
	if err := x.state.allows(stateOpen); err != nil {
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
func (x *h2Exchange) Write(p []byte) (int, error) { return x.write(p, false) }

// write takes body bytes. whole (Respond) takes them all whatever the
// buffer bound, since the host already holds the body, and leaves the
// flush to the end of the exchange.
func (x *h2Exchange) write(p []byte, whole bool) (int, error) {
	if x.blocking {
		x.wmu.Lock()
		defer x.wmu.Unlock()
	}
	x.mu.Lock()
	if err := x.state.allows(stateStreaming); err != nil {
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
// declared length is cut: the stream is reset and ErrState is returned.
func (x *h2Exchange) Finish() error {
	if x.blocking {
		x.wmu.Lock()
		defer x.wmu.Unlock()
	}
	x.mu.Lock()
	if err := x.state.allows(stateStreaming); err != nil {
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
func (x *h2Exchange) Abort() error {
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
func (x *h2Exchange) Ended() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.state == stateEnded || x.state == stateAborted
}

// ReadBody reads request body bytes into p; it returns 0, io.EOF at the
// end. Blocking mode reads the connection on the caller's goroutine;
// otherwise a read-ahead goroutine fills the stream buffer and ReadBody
// says ErrWouldBlock while it is empty. A body that breaks off aborts
// the exchange (ErrAborted).
func (x *h2Exchange) ReadBody(p []byte) (int, error) {
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
func (x *h2Exchange) readBody(p []byte) (int, error) {
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

// takeBody serves a non-blocking read from the read-ahead buffer,
// starting the read-ahead on first use (so "100 Continue" goes out only
// once the host reads).
func (x *h2Exchange) takeBody(p []byte) (int, error) {
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
func (x *h2Exchange) readAhead() {
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
			tell(x.watcher, EventBody)
		}
		if err != nil {
			return
		}
	}
}

// signal wakes run.
func (x *h2Exchange) signal() {
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// fail aborts the exchange for porter: the host's calls say ErrAborted
// from now on; run answers status (if nonzero and no response started)
// or closes the connection, then tells the watcher.
func (x *h2Exchange) fail(cause error, status int) {
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
func (x *h2Exchange) expire() {
	x.mu.Lock()
	late := x.state == stateOpen
	x.mu.Unlock()
	if late {
		x.fail(ErrTimeout, http.StatusServiceUnavailable)
		x.answer()
	}
}

// run serves the exchange on the handler's goroutine until it is done:
// it writes what the host handed over (non-blocking mode), watches the
// client and the server's kill switch, and carries out aborts. It panics
// with http.ErrAbortHandler to reset the stream without a complete
// response.
func (x *h2Exchange) run() {
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
func (x *h2Exchange) pump() bool {
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
			tell(x.watcher, EventWritable)
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
	x.stopReading()
	if cut {
		x.stopWriting()
		panic(http.ErrAbortHandler) // the stream is reset
	}
	return true // net/http resets the stream if the body was not all read
}

// finishAborted carries out an abort on run's goroutine: the network
// side, then the watcher's event; with no status to answer, the stream
// is reset.
func (x *h2Exchange) finishAborted() {
	x.answer()
	tell(x.watcher, EventAbort)
	x.mu.Lock()
	status := x.status
	x.mu.Unlock()
	if status == 0 {
		panic(http.ErrAbortHandler)
	}
}

// answer does the network side of an abort, once: it stops the host's
// I/O on the connection and sends the abort status if one is due.
func (x *h2Exchange) answer() {
	x.answered.Do(func() {
		x.stopReading()
		x.stopWriting()
		x.mu.Lock()
		status := x.status
		x.mu.Unlock()
		if status != 0 {
			x.wmu.Lock() // a blocking host's calls wait, then see the abort
			x.rc.SetWriteDeadline(time.Now().Add(x.s.cfg.WriteTimeout))
			x.sent = status
			rejectStream(x.w, status)
			x.rc.Flush()
			x.wmu.Unlock()
		}
	})
}

// stopReading ends any body read in progress, so that nothing touches
// the request after the handler returns; it reports whether it had to.
func (x *h2Exchange) stopReading() bool {
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
func (x *h2Exchange) stopWriting() {
	if !x.wmu.TryLock() {
		x.rc.SetWriteDeadline(time.Now())
		x.wmu.Lock()
	}
	x.wmu.Unlock()
}

// writeHead writes the status line and headers. Called with wmu.
func (x *h2Exchange) writeHead(status int, header []Header, length int64) {
	x.sent = status
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
func (x *h2Exchange) writeBody(p []byte, flush bool) error {
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

func copyHeaders(header []Header) []Header {
	if len(header) == 0 {
		return nil
	}
	return append([]Header(nil), header...)
}
