package core

// Regression tests for bugs found in core; each comment says what must
// hold and what used to break it.

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Shutdown must close idle keep-alive connections and drain even when
// they fill MaxConnections.
//
// It broke when: limitedListener.Accept waits for a free slot before it calls
// Accept, so at the cap the Serve goroutine sits in a channel send that
// closing the listener does not interrupt. http.Server.Shutdown (and
// Close) first wait for every Serve goroutine to return
// (listenerGroup.Wait) and only then close idle connections, so drain
// waits for a slot that only an idle connection closing could free: Done
// stays open until the clients leave or IdleTimeout (60 s by default)
// passes, whatever the grace, and the kill deadline cannot help because
// hs.Shutdown is not watching its context yet.
func TestShutdownAtMaxConnections(t *testing.T) {
	t.Parallel()
	ts := start(t, Config{MaxConnections: 2}, false, respondOK)
	for range 2 {
		c := dial(t, ts.addr)
		c.get("/")
		c.expect(200, "/")
	}
	ts.Shutdown(100 * time.Millisecond)
	select {
	case <-ts.Done():
	case <-time.After(waitLong):
		t.Fatalf("Done not closed %v after Shutdown(100ms) with idle connections at MaxConnections", waitLong)
	}
}

// A request that porter refuses gets its status and then its connection
// is closed (porter.h, porter_config: "A request over a limit gets the
// status named and its connection is closed").
//
// It broke when: reject sets "Connection: close" and returns, but net/http's
// finishRequest then closes the request body, and body.Close reads up to
// 256 KiB of an unread body looking for its end, to reuse the
// connection. A declared body of at most MaxBodyBytes+256 KiB that the
// client does not send (it waits for "100 Continue", or was just told
// 413), or a chunked body that goes on, keeps the handler goroutine
// reading with no deadline: the connection stays open until the client
// sends the body or leaves. The same happens when the host refuses
// (503) or the response timeout fires while a streamed body is unread.
func TestRejectClosesConnection(t *testing.T) {
	t.Parallel()
	for _, tt := range bodyTooLarge {
		if tt.closes {
			continue
		}
		t.Run("413 "+tt.name, func(t *testing.T) {
			t.Parallel()
			ts := start(t, Config{MaxBodyBytes: 1024}, false, nil)
			c := dial(t, ts.addr)
			c.send(tt.raw)
			c.expect(413, "Request Entity Too Large\n")
			c.expectClosed()
		})
	}
	t.Run("503 refused with a streamed body unsent", func(t *testing.T) {
		t.Parallel()
		ts := start(t, Config{StreamBodies: true}, false, func(h *held) bool { return false })
		c := dial(t, ts.addr)
		c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n")
		c.expect(503, "Service Unavailable\n")
		c.expectClosed()
	})
}

// A request head far over MaxHeaderBytes gets a 431, after which porter
// half-closes the connection (CloseWrite), lingers and closes, so that
// the client reads the 431 and then EOF.
//
// It broke when: a wrapper around the connection hid *net.TCPConn's
// CloseWrite, so the socket was closed while it still held unread
// request bytes: the kernel sends RST instead of FIN and the client gets
// "connection reset by peer" (here while reading the 431's body), or
// loses the response altogether. The same lingering close is used after
// a request body limit is hit.
func TestLimitedConnCloseWrite(t *testing.T) {
	t.Parallel()
	t.Run("431 after a lingering close", func(t *testing.T) {
		ts := start(t, Config{MaxHeaderBytes: 2048}, false, respondOK)
		c := dial(t, ts.addr)
		c.send("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + strings.Repeat("b", 20000) + "\r\n\r\n")
		resp, body, err := c.readResponse("GET")
		if err != nil {
			t.Fatalf("reading the 431: %v", err)
		}
		if resp.StatusCode != 431 {
			t.Fatalf("status %d %q", resp.StatusCode, body)
		}
	})
}

// ReadBody: "it returns 0, io.EOF at the end", and so it does in loop
// mode.
//
// It broke when: in callback mode ReadBody passes net/http's body Read through,
// which (as io.Reader allows) returns the last bytes together with
// io.EOF. A Go host that takes io.EOF as "no bytes", as the comment says
// it may, drops the end of the body. (capi's req_body_read returns n for
// (n, io.EOF), so C hosts are not affected.)
func TestBlockingReadBodyEndsWithZeroEOF(t *testing.T) {
	t.Parallel()
	ts := start(t, Config{StreamBodies: true}, true, nil)
	c := dial(t, ts.addr)
	c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello")
	h := ts.next(t)
	var body []byte
	buf := make([]byte, 64)
	for {
		n, err := h.ReadBody(buf)
		if err == io.EOF {
			if n != 0 {
				t.Errorf("ReadBody = %d, io.EOF; the comment promises 0, io.EOF", n)
			}
			break
		}
		must(t, "ReadBody", err, nil)
		body = append(body, buf[:n]...)
	}
	must(t, "Respond", h.Respond(200, nil, body), nil)
	c.expect(200, "hello")
}

// porter.h: the host gets PORTER_EV_ABORT with PORTER_ECLOSED for what
// is left at the shutdown deadline. A callback handler runs inside
// Host.Request and may block there in req_body_read.
//
// It broke when: the exchange's run loop, which watches the kill switch, starts
// only after Host.Request returns. At the deadline drain's hs.Close()
// closes the connection under the blocked read; readBody takes the
// error as the client's and calls fail(ErrPeer, 400) first, and fail
// keeps the first cause. The same race exists, less often, when the read
// blocks on another goroutine after Request returned: run's select on
// kill competes with the read failing. fail could prefer
// ErrServerClosed once s.kill is closed.
func TestShutdownCauseForReadInsideRequest(t *testing.T) {
	t.Parallel()
	const n = 5
	got := make(chan *held, n)
	reads := make(chan error, n)
	ts := start(t, Config{StreamBodies: true}, true, func(h *held) bool {
		got <- h
		_, err := h.ReadBody(make([]byte, 10)) // the body never comes
		reads <- err
		return true
	})
	var hs []*held
	for range n {
		c := dial(t, ts.addr)
		c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n")
		select {
		case h := <-got:
			hs = append(hs, h)
		case <-time.After(waitLong):
			t.Fatal("no request")
		}
	}
	ts.Shutdown(50 * time.Millisecond)
	for range n {
		select {
		case err := <-reads:
			must(t, "ReadBody at the deadline", err, ErrAborted)
		case <-time.After(waitLong):
			t.Fatal("ReadBody still blocked after the shutdown deadline")
		}
	}
	wrong := 0
	for _, h := range hs {
		for k := h.event(t); k != EventAbort; k = h.event(t) {
		}
		if h.Cause() != ErrServerClosed {
			wrong++
		}
	}
	if wrong > 0 {
		t.Fatalf("%d of %d exchanges aborted at the shutdown deadline report Cause() = ErrPeer, want ErrServerClosed", wrong, n)
	}
}

// porter.h, response_timeout_ms: "for the host to start a response,
// else 503 and PORTER_EV_ABORT". In callback mode the handler runs
// inside Host.Request.
//
// It broke when: run starts the ResponseTimeout timer only after Host.Request
// returns, so a callback handler that takes longer than the timeout
// before responding (all inside its callback, the usual case) is never
// timed out: its late response goes through.
func TestResponseTimeoutInsideRequest(t *testing.T) {
	t.Parallel()
	responded := make(chan error, 1)
	ts := start(t, Config{ResponseTimeout: 100 * time.Millisecond}, true, func(h *held) bool {
		time.Sleep(500 * time.Millisecond) // the scenario: a slow handler
		responded <- h.Respond(200, nil, []byte("late"))
		return true
	})
	c := dial(t, ts.addr)
	c.get("/")
	resp, body := c.response("GET")
	if resp.StatusCode != 503 {
		t.Errorf("client got %d %q 500ms into a 100ms response timeout, want 503", resp.StatusCode, body)
	}
	if err := <-responded; err != ErrAborted {
		t.Errorf("late Respond = %v, want ErrAborted", err)
	}
}

// EventAbort comes only after the host's Request call returned, even when
// porter answers 503 while a callback handler is still running in it.
func TestAbortEventAfterRequestReturns(t *testing.T) {
	t.Parallel()
	var returned atomic.Bool
	got := make(chan *held, 1)
	ts := start(t, Config{ResponseTimeout: 100 * time.Millisecond}, true, func(h *held) bool {
		time.Sleep(400 * time.Millisecond) // past the deadline, inside Request
		if len(h.events) > 0 {
			t.Error("EventAbort came while Request was still running")
		}
		returned.Store(true)
		got <- h
		return true
	})
	c := dial(t, ts.addr)
	c.get("/")
	resp, _ := c.response("GET")
	if resp.StatusCode != 503 {
		t.Fatalf("status %d, want 503 at the deadline", resp.StatusCode)
	}
	h := <-got
	if k := h.event(t); k != EventAbort || !returned.Load() || h.Cause() != ErrTimeout {
		t.Fatalf("event %v, cause %v (Request returned: %v), want EventAbort for ErrTimeout after Request returned",
			k, h.Cause(), returned.Load())
	}
}

// What porter did not read of a body is never taken for a request: a
// client that stalls in a body porter answered without reading, then
// sends a request as the rest of that body, must not reach the host.
//
// It broke when: the rest was left to net/http's body Close, whose
// failure (the body's read deadline passing) still let the connection be
// reused, so the bytes that came next were read as a new request.
func TestUnreadBodyNeverParsedAsRequest(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{StreamBodies: true, BodyTimeout: 100 * time.Millisecond}, blocking, nil)
		c := dial(t, ts.addr)
		smuggled := "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n"
		padding := maxDrain + 1
		c.send(fmt.Sprintf("POST /outer HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n", padding+len(smuggled)))
		c.send(string(pattern(padding)))
		must(t, "Respond", ts.next(t).Respond(200, nil, []byte("outer")), nil)
		c.expect(200, "outer")
		time.Sleep(3 * 100 * time.Millisecond) // the client stalls past the body timeout
		c.Write([]byte(smuggled))              // may fail: porter has closed
		ts.noRequest(t, quiet)
	})
}

// Shutdown(0) of a server that never started closes Done at once.
//
// It broke when: the kill timer's abortAll, started by Shutdown, took the
// server's lock inside killOnce.Do while Shutdown, holding that lock,
// waited in the same Once: a deadlock in about one of ten runs.
func TestShutdownUnstarted(t *testing.T) {
	t.Parallel()
	for range 200 {
		s := NewServer(Config{}, nil, false)
		s.Shutdown(0)
		select {
		case <-s.Done():
		case <-time.After(waitLong):
			t.Fatal("Done not closed")
		}
	}
}

// A client that closes once it has the whole response, before the host
// calls Finish, has not aborted anything: Finish succeeds.
//
// It broke when: the read that watches for a client leaving took the
// close of a HEAD client (curl -I) for an abort between WriteHead and
// Finish, and the Lua binding's write_headers(h, true) failed about once
// in 30 runs on a loaded machine.
func TestCloseAfterWholeResponse(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{}, blocking, nil)
		for _, tc := range []struct{ method, body string }{{"HEAD", ""}, {"GET", "hello"}} {
			c := dial(t, ts.addr)
			c.send(tc.method + " /x HTTP/1.1\r\nHost: h\r\n\r\n")
			h := ts.next(t)
			must(t, "WriteHead", h.WriteHead(200, nil, 5), nil)
			if tc.body != "" {
				h.write(t, []byte(tc.body))
			}
			resp, _ := c.response(tc.method)
			if resp.StatusCode != 200 {
				t.Fatalf("%s: status %d", tc.method, resp.StatusCode)
			}
			c.Close()
			time.Sleep(quiet) // porter's read sees the close
			must(t, tc.method+": Finish after the client left", h.Finish(), nil)
			h.noEvent(t, 0)
		}
	})
}

// A write that had to wait for the socket leaves no deadline behind: the
// next response on the connection, long after, goes out.
//
// It broke when: the write deadline set for a response that filled the
// socket stayed on the connection, and porter's next non-blocking write
// (which checks the deadline first) failed once it had passed.
func TestWriteDeadlineDoesNotLinger(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		big := pattern(8 << 20) // more than the socket buffers hold
		ts := start(t, Config{WriteTimeout: 300 * time.Millisecond}, blocking, func(h *held) bool {
			body := []byte("small")
			if h.Req.Path == "/big" {
				body = big
			}
			must(t, "Respond", h.Respond(200, nil, body), nil)
			return true
		})
		c := dial(t, ts.addr)
		c.get("/big")
		resp, body := c.response("GET")
		if resp.StatusCode != 200 || len(body) != len(big) {
			t.Fatalf("status %d, %d bytes", resp.StatusCode, len(body))
		}
		time.Sleep(400 * time.Millisecond) // past the write deadline
		c.get("/small")
		c.expect(200, "small")
	})
}

// The write timeout runs between parts of a response, as nginx's
// send_timeout does, not over all of it: a client that keeps reading a
// large response slowly gets all of it, although the whole takes longer
// than the timeout.
func TestWriteTimeoutAllowsASlowReader(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		big := pattern(12 << 20) // well past the socket buffers
		ts := start(t, Config{WriteTimeout: time.Second}, blocking, func(h *held) bool {
			must(t, "Respond", h.Respond(200, nil, big), nil)
			return true
		})
		c := dial(t, ts.addr)
		c.get("/big")
		c.SetReadDeadline(time.Now().Add(waitLong))
		head, err := c.r.ReadString('\n')
		if err != nil || !strings.HasPrefix(head, "HTTP/1.1 200 ") {
			t.Fatalf("status line %q, %v", head, err)
		}
		for { // the rest of the head
			line, err := c.r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if line == "\r\n" {
				break
			}
		}
		// About 6 MB/s: 2 s in all, 40 ms for each part of 256 KiB.
		got := make([]byte, 0, len(big))
		buf := make([]byte, 64<<10)
		for len(got) < len(big) {
			n, err := io.ReadFull(c.r, buf[:min(len(buf), len(big)-len(got))])
			got = append(got, buf[:n]...)
			if err != nil {
				t.Fatalf("after %d of %d bytes: %v", len(got), len(big), err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		sameBytes(t, got, big)
	})
}

// A connection its loop parked while a writer still sent its last
// response closes when that write times out, rather than waiting out its
// idle timeout with the response cut short.
func TestWriteTimeoutClosesAParkedConnection(t *testing.T) {
	big := pattern(16 << 20) // well past the socket buffers
	ts := start(t, Config{WriteTimeout: 200 * time.Millisecond}, false, func(h *held) bool {
		must(t, "Respond", h.Respond(200, nil, big), nil)
		return true
	})
	c := dial(t, ts.addr)
	c.get("/big")
	time.Sleep(time.Second) // the client reads nothing: the write times out
	c.SetReadDeadline(time.Now().Add(waitLong))
	n, err := io.Copy(io.Discard, c.r)
	if err != nil || n >= int64(len(big)) {
		t.Fatalf("read %d bytes of %d, then %v: want a cut response, then EOF", n, len(big), err)
	}
}
