package core

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestLifecycleErrors(t *testing.T) {
	t.Parallel()
	s := NewServer(Config{}, &testHost{}, false)
	must(t, "Start without a listener", s.Start(), ErrState)
	if s.Addr(0) != nil || s.Addr(-1) != nil {
		t.Error("Addr of a missing listener is not nil")
	}
	if _, err := s.Listen("127.0.0.1:-1", ListenOptions{}); err == nil {
		t.Error("Listen on a bad address succeeded")
	}
	for i := range 2 {
		n, err := s.Listen("127.0.0.1:0", ListenOptions{})
		must(t, "Listen", err, nil)
		if n != i {
			t.Errorf("Listen index %d, want %d", n, i)
		}
	}
	must(t, "Start of a non-blocking server without its loop", s.Start(), ErrState)
	_, err := s.OpenLoop(-1)
	must(t, "OpenLoop", err, nil)
	defer s.CloseLoop()
	_, err = s.OpenLoop(-1)
	must(t, "OpenLoop again", err, ErrState)
	must(t, "Start", s.Start(), nil)
	must(t, "Start again", s.Start(), ErrState)
	_, err = s.Listen("127.0.0.1:0", ListenOptions{})
	must(t, "Listen after Start", err, ErrState)
	s.Shutdown(0)
	select {
	case <-s.Done():
	case <-time.After(waitLong):
		t.Fatal("not drained")
	}
	must(t, "Start after Shutdown", s.Start(), ErrState)
}

func TestSeveralListeners(t *testing.T) {
	t.Parallel()
	host := &testHost{handle: respondOK}
	s := NewServer(Config{}, host, true)
	for range 2 {
		if _, err := s.Listen("127.0.0.1:0", ListenOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	must(t, "Start", s.Start(), nil)
	defer func() {
		s.Shutdown(0)
		<-s.Done()
	}()
	for i := range 2 {
		c := dial(t, s.Addr(i).String())
		c.get(fmt.Sprint("/", i))
		c.expect(200, fmt.Sprint("/", i))
	}
}

func TestKeepAlive(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{}, blocking, nil)
		c := dial(t, ts.addr)
		for i := range 5 {
			c.get(fmt.Sprint("/", i))
			h := ts.next(t)
			if i%2 == 0 {
				must(t, "Respond", h.Respond(200, nil, []byte(h.Req.Path)), nil)
			} else {
				must(t, "WriteHead", h.WriteHead(200, nil, -1), nil)
				h.write(t, []byte(h.Req.Path))
				must(t, "Finish", h.Finish(), nil)
			}
			if resp := c.expect(200, fmt.Sprint("/", i)); resp.Close {
				t.Fatal("response closes a keep-alive connection")
			}
		}
	})
}

func TestPipelining(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{}, blocking, nil)
		c := dial(t, ts.addr)
		c.send("GET /1 HTTP/1.1\r\nHost: h\r\n\r\n" +
			"POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody" +
			"GET /3 HTTP/1.1\r\nHost: h\r\n\r\n")
		for i := 1; i <= 3; i++ {
			h := ts.next(t)
			if h.Req.Path != fmt.Sprint("/", i) {
				t.Fatalf("request %d is %s", i, h.Req.Path)
			}
			// Answered one at a time, later than asked.
			ts.noRequest(t, 20*time.Millisecond)
			must(t, "Respond", h.Respond(200, nil, append([]byte(h.Req.Path), h.Req.Body...)), nil)
		}
		c.expect(200, "/1")
		c.expect(200, "/2body")
		c.expect(200, "/3")
	})
}

func TestClientGone(t *testing.T) {
	tests := []struct {
		name   string
		before func(t *testing.T, h *held) // what the host did before the client left
	}{
		{"before a response", func(t *testing.T, h *held) {}},
		{"after the head", func(t *testing.T, h *held) {
			must(t, "WriteHead", h.WriteHead(200, nil, -1), nil)
			h.write(t, []byte("part"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachMode(t, func(t *testing.T, blocking bool) {
				ts := start(t, Config{}, blocking, nil)
				c := dial(t, ts.addr)
				c.get("/")
				h := ts.next(t)
				tt.before(t, h)
				c.Close()
				h.awaitAbort(t, ErrPeer)
				if !h.Ended() {
					t.Error("Ended() = false after EventAbort")
				}
				must(t, "Respond", h.Respond(200, nil, nil), ErrAborted)
				must(t, "WriteHead", h.WriteHead(200, nil, -1), ErrAborted)
				_, err := h.Write([]byte("x"))
				must(t, "Write", err, ErrAborted)
				must(t, "Finish", h.Finish(), ErrAborted)
				_, err = h.ReadBody(make([]byte, 1))
				must(t, "ReadBody", err, ErrAborted)
				must(t, "Abort", h.Abort(), nil)
				must(t, "Abort again", h.Abort(), nil)
				h.noEvent(t, 0) // one EventAbort only
			})
		})
	}
}

func TestResponseTimeout(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{ResponseTimeout: 200 * time.Millisecond}, blocking, nil)
		c := dial(t, ts.addr)
		c.get("/")
		h := ts.next(t)
		begin := time.Now()
		resp := c.expect(503, "Service Unavailable\n")
		if waited := time.Since(begin); waited < 150*time.Millisecond {
			t.Errorf("503 after %v", waited)
		}
		if !resp.Close {
			t.Error("503 without Connection: close")
		}
		c.expectClosed()
		h.awaitAbort(t, ErrTimeout)
		must(t, "Respond", h.Respond(200, nil, nil), ErrAborted)
		must(t, "Abort", h.Abort(), nil)
	})
}

func TestHostRefuses(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		var calls atomic.Int32
		ts := start(t, Config{}, blocking, func(h *held) bool {
			calls.Add(1)
			return false
		})
		c := dial(t, ts.addr)
		c.get("/")
		resp := c.expect(503, "Service Unavailable\n")
		if !resp.Close {
			t.Error("503 without Connection: close")
		}
		c.expectClosed()
		if n := calls.Load(); n != 1 {
			t.Errorf("Request called %d times", n)
		}
	})
}

func TestUseWithNetHTTPClient(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{}, blocking, func(h *held) bool {
			go func() { // answered later, from another goroutine
				h.Respond(200, []Header{{"X-Method", h.Req.Method}}, h.Req.Body)
			}()
			return true
		})
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		cl := &http.Client{Transport: tr, Timeout: waitLong}
		for i := range 3 {
			resp, err := cl.Post("http://"+ts.addr+"/echo", "text/plain", strings.NewReader(fmt.Sprint("body ", i)))
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || string(body) != fmt.Sprint("body ", i) || resp.Header.Get("X-Method") != "POST" {
				t.Fatalf("%q %v %v", body, err, resp.Header)
			}
		}
	})
}

func TestShutdown(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{}, blocking, nil)
		idle := dial(t, ts.addr) // an idle keep-alive connection
		idle.get("/idle")
		must(t, "Respond", ts.next(t).Respond(200, nil, nil), nil)
		idle.expect(200, "")

		answered, abandoned := dial(t, ts.addr), dial(t, ts.addr)
		answered.get("/answered")
		ha := ts.next(t)
		abandoned.get("/abandoned")
		hb := ts.next(t)

		const grace = 300 * time.Millisecond
		begin := time.Now()
		ts.Shutdown(grace)
		idle.expectClosed()
		select {
		case <-ts.Done():
			t.Fatal("Done closed with exchanges in flight")
		default:
		}

		// Within grace: the answer reaches the client.
		must(t, "Respond in grace", ha.Respond(200, nil, []byte("in time")), nil)
		answered.expect(200, "in time")

		// After grace: porter aborts the exchange left.
		hb.awaitAbort(t, ErrServerClosed)
		if waited := time.Since(begin); waited < grace {
			t.Errorf("aborted after %v, before the grace of %v", waited, grace)
		}
		must(t, "Respond after the deadline", hb.Respond(200, nil, nil), ErrAborted)
		must(t, "Abort", hb.Abort(), nil)
		abandoned.expectClosed()

		select {
		case <-ts.Done():
		case <-time.After(waitLong):
			t.Fatal("Done not closed")
		}
		if c, err := net.DialTimeout("tcp", ts.addr, waitLong); err == nil {
			c.Close()
			t.Fatal("new connection accepted after shutdown")
		}
		ts.Shutdown(0) // again: harmless
	})
}

func TestShutdownIdle(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{}, blocking, respondOK)
		c := dial(t, ts.addr)
		c.get("/")
		c.expect(200, "/")
		ts.Shutdown(time.Hour) // nothing in flight: no need to wait
		c.expectClosed()
		select {
		case <-ts.Done():
		case <-time.After(waitLong):
			t.Fatal("Done not closed")
		}
	})
}

func TestShutdownBeforeStart(t *testing.T) {
	t.Parallel()
	host := &testHost{reqs: make(chan *held, 1)}
	s := NewServer(Config{}, host, false)
	if _, err := s.Listen("127.0.0.1:0", ListenOptions{}); err != nil {
		t.Fatal(err)
	}
	addr := s.Addr(0).String()
	s.Shutdown(time.Hour)
	select {
	case <-s.Done():
	case <-time.After(waitLong):
		t.Fatal("Done not closed at once")
	}
	must(t, "Start", s.Start(), ErrState)
	_, err := s.Listen("127.0.0.1:0", ListenOptions{})
	must(t, "Listen", err, ErrState)
	if c, err := net.DialTimeout("tcp", addr, waitLong); err == nil {
		c.Close()
		t.Fatal("the listener is still open")
	}
	s.Stop()
	s.Shutdown(0)
}

func TestShutdownShortensDeadline(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{}, blocking, nil)
		c := dial(t, ts.addr)
		c.get("/")
		h := ts.next(t)
		ts.Shutdown(time.Hour)
		h.noEvent(t, quiet)
		ts.Shutdown(100 * time.Millisecond)
		ts.Shutdown(time.Hour) // cannot push it back
		h.awaitAbort(t, ErrServerClosed)
		c.expectClosed()
		select {
		case <-ts.Done():
		case <-time.After(waitLong):
			t.Fatal("Done not closed")
		}
	})
}

func TestStop(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{}, blocking, nil)
		c := dial(t, ts.addr)
		c.get("/")
		h := ts.next(t)
		ts.Stop()
		h.awaitAbort(t, ErrServerClosed)
		c.expectClosed()
		select {
		case <-ts.Done():
		case <-time.After(waitLong):
			t.Fatal("Done not closed")
		}
		ts.Stop()
	})
}

// Many exchanges held at the deadline: each is aborted with
// ErrServerClosed, even though porter closes their connections too.
func TestShutdownCauseWithManyExchanges(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{}, blocking, nil)
		const n = 30
		var hs []*held
		for range n {
			c := dial(t, ts.addr)
			c.get("/")
			hs = append(hs, ts.next(t))
		}
		ts.Shutdown(0)
		for _, h := range hs {
			h.awaitAbort(t, ErrServerClosed)
		}
	})
}
