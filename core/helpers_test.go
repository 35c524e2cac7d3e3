package core

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Every wait in these tests is bounded by waitLong (something that must
// happen) or lasts quiet (a check that something does not happen).
const (
	waitLong = 5 * time.Second
	quiet    = 200 * time.Millisecond
)

// modes are the two ways a host can drive exchanges.
var modes = []struct {
	name     string
	blocking bool
}{
	{"callback", true}, // host calls do their own I/O and may block
	{"loop", false},    // host calls never block
}

// eachMode runs f as a parallel subtest in callback and loop mode.
func eachMode(t *testing.T, f func(t *testing.T, blocking bool)) {
	t.Helper()
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			f(t, m.blocking)
		})
	}
}

// held is an exchange as a test host holds it, with its watcher's events.
type held struct {
	Exchange
	Req    *Request
	events chan EventKind
}

// Event records an event; it never blocks porter.
func (h *held) Event(k EventKind) {
	select {
	case h.events <- k:
	default:
		panic("core test: too many unread events")
	}
}

// event returns the next event, failing the test if none comes.
func (h *held) event(t *testing.T) EventKind {
	t.Helper()
	select {
	case k := <-h.events:
		return k
	case <-time.After(waitLong):
		t.Fatalf("no event within %v", waitLong)
		return 0
	}
}

// await fails unless the next event is want.
func (h *held) await(t *testing.T, want EventKind) {
	t.Helper()
	if got := h.event(t); got != want {
		t.Fatalf("event %s, want %s (cause %v)", kindName(got), kindName(want), h.Cause())
	}
}

// noEvent fails if an event comes within d.
func (h *held) noEvent(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case k := <-h.events:
		t.Fatalf("unexpected event %s", kindName(k))
	case <-time.After(d):
	}
}

// awaitAbort waits for EventAbort, skipping body and write events, and
// checks the cause.
func (h *held) awaitAbort(t *testing.T, cause error) {
	t.Helper()
	for {
		switch k := h.event(t); k {
		case EventAbort:
			if got := h.Cause(); got != cause {
				t.Fatalf("Cause() = %v, want %v", got, cause)
			}
			return
		case EventBody, EventWritable:
		default:
			t.Fatalf("unknown event %d", k)
		}
	}
}

func kindName(k EventKind) string {
	switch k {
	case EventBody:
		return "EventBody"
	case EventWritable:
		return "EventWritable"
	case EventAbort:
		return "EventAbort"
	}
	return "EventKind(?)"
}

// write writes all of p, waiting for EventWritable after ErrWouldBlock.
func (h *held) write(t *testing.T, p []byte) {
	t.Helper()
	for len(p) > 0 {
		n, err := h.Write(p)
		p = p[n:]
		switch {
		case err == ErrWouldBlock:
			if n != 0 {
				t.Fatalf("Write took %d bytes and said ErrWouldBlock", n)
			}
			h.await(t, EventWritable)
		case err != nil:
			t.Fatalf("Write: %v", err)
		case n == 0:
			t.Fatalf("Write took nothing and said nothing")
		}
	}
}

// readBody reads the request body to its end with reads of size bytes,
// waiting for EventBody after ErrWouldBlock.
func (h *held) readBody(t *testing.T, size int) []byte {
	t.Helper()
	var body []byte
	buf := make([]byte, size)
	for {
		n, err := h.ReadBody(buf)
		body = append(body, buf[:n]...)
		switch {
		case err == io.EOF: // with or without the last bytes, as io.Reader
			return body
		case err == ErrWouldBlock:
			h.await(t, EventBody)
		case err != nil:
			t.Fatalf("ReadBody: %v", err)
		}
	}
}

// testHost hands every exchange to handle (inline, in Request) or, with
// no handle, to the test through reqs.
type testHost struct {
	handle func(h *held) bool
	reqs   chan *held
}

func (th *testHost) Request(x Exchange) bool {
	h := &held{Exchange: x, Req: x.Request(), events: make(chan EventKind, 256)}
	x.Watch(h)
	if th.handle != nil {
		return th.handle(h)
	}
	th.reqs <- h
	return true
}

// testServer is a started server on 127.0.0.1:0.
type testServer struct {
	*Server
	host *testHost
	addr string
}

// start starts a server; handle answers inline, or (nil) exchanges are
// handed to the test (see next). Cleanup shuts it down with no grace and
// checks it drains.
func start(t *testing.T, cfg Config, blocking bool, handle func(h *held) bool) *testServer {
	t.Helper()
	host := &testHost{handle: handle, reqs: make(chan *held, 256)}
	s := NewServer(cfg, host, blocking)
	if _, err := s.Listen("127.0.0.1:0", ListenOptions{}); err != nil {
		t.Fatal(err)
	}
	run(t, s)
	return &testServer{s, host, s.Addr(0).String()}
}

// run starts s, with a goroutine that runs its loop as a loop-mode
// host's thread does; Cleanup shuts it down with no grace and checks it
// drains.
func run(t *testing.T, s *Server) {
	t.Helper()
	stop := hostLoop(t, s, nil)
	must(t, "Start", s.Start(), nil)
	t.Cleanup(func() {
		s.Shutdown(0)
		select {
		case <-s.Done():
		case <-time.After(waitLong):
			t.Errorf("server not drained %v after Shutdown(0)", waitLong)
		}
		stop()
	})
}

// hostLoop opens a non-blocking server's loop and polls it until stop,
// on a goroutine that first runs onThread, if given, and after each poll
// what onThread returned, if anything: the host's own work.
func hostLoop(t testing.TB, s *Server, onThread func() (afterPoll func())) (stop func()) {
	if s.blocking {
		return func() {}
	}
	if _, err := s.OpenLoop(-1); err != nil {
		t.Fatal(err)
	}
	ready, quit, ended := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		var afterPoll func()
		if onThread != nil {
			afterPoll = onThread()
		}
		close(ready)
		for {
			select {
			case <-quit:
				return
			default:
				s.Poll(10*time.Millisecond, batchSize)
				if afterPoll != nil {
					afterPoll()
				}
			}
		}
	}()
	<-ready
	return func() {
		close(quit)
		<-ended
		s.CloseLoop()
	}
}

// next returns the next exchange handed to the test.
func (ts *testServer) next(t *testing.T) *held {
	t.Helper()
	select {
	case h := <-ts.host.reqs:
		return h
	case <-time.After(waitLong):
		t.Fatalf("no request within %v", waitLong)
		return nil
	}
}

// noRequest fails if an exchange reaches the test within d.
func (ts *testServer) noRequest(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case h := <-ts.host.reqs:
		t.Fatalf("unexpected request %s %s", h.Req.Method, h.Req.Target)
	case <-time.After(d):
	}
}

// respondOK answers every exchange inline with 200 and the path.
func respondOK(h *held) bool {
	if err := h.Respond(200, nil, []byte(h.Req.Path)); err != nil {
		panic(err)
	}
	h.Release()
	return true
}

// client is a raw client connection.
type client struct {
	net.Conn
	r *bufio.Reader
	t *testing.T
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, waitLong)
	if err != nil {
		t.Fatal(err)
	}
	return clientOf(t, c)
}

// clientOf makes a test client of a connection; Cleanup closes it.
func clientOf(t *testing.T, c net.Conn) *client {
	t.Cleanup(func() { c.Close() })
	return &client{c, bufio.NewReader(c), t}
}

// send writes raw bytes.
func (c *client) send(s string) {
	c.t.Helper()
	c.SetWriteDeadline(time.Now().Add(waitLong))
	if _, err := io.WriteString(c, s); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// get sends a GET for target.
func (c *client) get(target string) {
	c.t.Helper()
	c.send("GET " + target + " HTTP/1.1\r\nHost: porter.test\r\n\r\n")
}

// readResponse reads one response and its whole body; a cut body is an
// error.
func (c *client) readResponse(method string) (*http.Response, []byte, error) {
	c.SetReadDeadline(time.Now().Add(waitLong))
	resp, err := http.ReadResponse(c.r, &http.Request{Method: method})
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// response reads one complete response.
func (c *client) response(method string) (*http.Response, []byte) {
	c.t.Helper()
	resp, body, err := c.readResponse(method)
	if err != nil {
		c.t.Fatalf("reading response: %v", err)
	}
	return resp, body
}

// expect reads one complete response and checks its status and body.
func (c *client) expect(status int, body string) *http.Response {
	c.t.Helper()
	resp, got := c.response("GET")
	if resp.StatusCode != status || string(got) != body {
		c.t.Fatalf("got %d %q, want %d %q", resp.StatusCode, got, status, body)
	}
	return resp
}

// expectClosed reads until the server closes the connection and fails on
// any byte or on a timeout.
func (c *client) expectClosed() {
	c.t.Helper()
	c.SetReadDeadline(time.Now().Add(waitLong))
	rest, err := io.ReadAll(c.r)
	if len(rest) > 0 {
		c.t.Fatalf("%d unexpected bytes before close: %q", len(rest), clip(rest))
	}
	if err != nil && !isReset(err) {
		c.t.Fatalf("connection not closed: %v", err)
	}
}

// silent fails if any byte arrives within d.
func (c *client) silent(d time.Duration) {
	c.t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	b, err := c.r.Peek(1)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		c.t.Fatalf("expected silence, got %q, %v", b, err)
	}
}

// line reads one line (without CRLF).
func (c *client) line() string {
	c.t.Helper()
	c.SetReadDeadline(time.Now().Add(waitLong))
	s, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("reading a line: %q, %v", s, err)
	}
	return strings.TrimRight(s, "\r\n")
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET)
}

func clip(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}

// must fails unless err is want (nil for success).
func must(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) || (want == nil && err != nil) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

// pattern returns n bytes that show where a stream was cut or mixed.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

func sameBytes(t *testing.T, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("got %d bytes, want %d; first difference at %d", len(got), len(want), i)
	}
}
