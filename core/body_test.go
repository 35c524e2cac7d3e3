package core

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

type readResult struct {
	data []byte
	err  error
}

// readAllAsync reads the body to its end on another goroutine, as a
// callback-mode host blocked in ReadBody would.
func readAllAsync(h *held) <-chan readResult {
	ch := make(chan readResult, 1)
	go func() {
		var all []byte
		buf := make([]byte, 3)
		for {
			n, err := h.ReadBody(buf)
			all = append(all, buf[:n]...)
			if err == io.EOF {
				ch <- readResult{all, nil}
				return
			}
			if err != nil {
				ch <- readResult{all, err}
				return
			}
		}
	}()
	return ch
}

func awaitRead(t *testing.T, ch <-chan readResult) readResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(waitLong):
		t.Fatalf("ReadBody did not return within %v", waitLong)
		return readResult{}
	}
}

var streamedBodies = []struct {
	name   string
	head   string
	parts  [2]string
	length int64
}{{
	name:   "Content-Length",
	head:   "POST /up HTTP/1.1\r\nHost: porter.test\r\nContent-Length: 10\r\n\r\n",
	parts:  [2]string{"hello", "world"},
	length: 10,
}, {
	name:   "chunked",
	head:   "POST /up HTTP/1.1\r\nHost: porter.test\r\nTransfer-Encoding: chunked\r\n\r\n",
	parts:  [2]string{"5\r\nhello\r\n", "2\r\nwo\r\n3\r\nrld\r\n0\r\n\r\n"},
	length: -1,
}}

func TestStreamedBody(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{StreamBodies: true}, blocking, nil)
		for _, tt := range streamedBodies {
			t.Run(tt.name, func(t *testing.T) {
				c := dial(t, ts.addr)
				c.send(tt.head)
				h := ts.next(t)
				if h.Req.Body != nil || h.Req.ContentLength != tt.length {
					t.Fatalf("Req.Body %q, ContentLength %d", h.Req.Body, h.Req.ContentLength)
				}

				// No body yet: a loop host hears ErrWouldBlock, a
				// callback host waits.
				buf := make([]byte, 5)
				first := make(chan readResult, 1)
				if blocking {
					go func() {
						n, err := h.ReadBody(buf)
						first <- readResult{buf[:n], err}
					}()
					select {
					case r := <-first:
						t.Fatalf("ReadBody returned %q, %v before the body was sent", r.data, r.err)
					case <-time.After(quiet):
					}
				} else {
					n, err := h.ReadBody(buf)
					must(t, "ReadBody before the body", err, ErrWouldBlock)
					if n != 0 {
						t.Fatalf("ReadBody = %d with ErrWouldBlock", n)
					}
					h.noEvent(t, quiet)
				}

				c.send(tt.parts[0])
				var got []byte
				if blocking {
					r := awaitRead(t, first)
					must(t, "ReadBody", r.err, nil)
					got = r.data
				} else {
					h.await(t, EventBody)
					n, err := h.ReadBody(buf)
					must(t, "ReadBody after EventBody", err, nil)
					got = buf[:n]
				}
				if len(got) == 0 || !strings.HasPrefix("hello", string(got)) {
					t.Fatalf("first read %q", got)
				}

				c.send(tt.parts[1])
				got = append(got, h.readBody(t, 3)...)
				if string(got) != "helloworld" {
					t.Fatalf("body %q", got)
				}
				_, err := h.ReadBody(buf)
				must(t, "ReadBody after the end", err, io.EOF)
				must(t, "Respond", h.Respond(200, nil, got), nil)
				c.expect(200, "helloworld")
			})
		}
	})
}

func TestStreamedBodyLarge(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		// A stream buffer far smaller than the body: the read-ahead
		// must wait for the host and lose nothing.
		ts := start(t, Config{StreamBodies: true, StreamBuffer: 1 << 10}, blocking, nil)
		body := pattern(1 << 20)
		c := dial(t, ts.addr)
		go func() { // the client writes while the host reads
			c.Write([]byte(fmt.Sprintf("PUT / HTTP/1.1\r\nHost: porter.test\r\nContent-Length: %d\r\n\r\n", len(body))))
			c.Write(body)
		}()
		h := ts.next(t)
		sameBytes(t, h.readBody(t, 1500), body)
		must(t, "Respond", h.Respond(200, nil, []byte("ok")), nil)
		c.expect(200, "ok")
	})
}

func TestExpectContinueStreamed(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{StreamBodies: true}, blocking, nil)
		c := dial(t, ts.addr)
		c.send("POST / HTTP/1.1\r\nHost: porter.test\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
		h := ts.next(t)
		c.silent(quiet) // no "100 Continue" before the host reads

		var read <-chan readResult
		if blocking {
			read = readAllAsync(h)
		} else {
			_, err := h.ReadBody(make([]byte, 5))
			must(t, "ReadBody", err, ErrWouldBlock)
		}
		// The host's read is what sends "100 Continue", and it comes
		// first.
		if l := c.line(); l != "HTTP/1.1 100 Continue" {
			t.Fatalf("first line after the host's read: %q", l)
		}
		if l := c.line(); l != "" {
			t.Fatalf("after 100 Continue: %q", l)
		}
		c.send("hello")
		var body []byte
		if blocking {
			r := awaitRead(t, read)
			must(t, "ReadBody", r.err, nil)
			body = r.data
		} else {
			h.await(t, EventBody)
			body = h.readBody(t, 5)
		}
		if string(body) != "hello" {
			t.Fatalf("body %q", body)
		}
		must(t, "Respond", h.Respond(200, nil, body), nil)
		c.expect(200, "hello")
	})
}

func TestMalformedChunkedBody(t *testing.T) {
	const raw = "POST / HTTP/1.1\r\nHost: porter.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n"
	t.Run("streamed", func(t *testing.T) {
		eachMode(t, func(t *testing.T, blocking bool) {
			ts := start(t, Config{StreamBodies: true}, blocking, nil)
			c := dial(t, ts.addr)
			c.send(raw)
			h := ts.next(t)
			buf := make([]byte, 16)
			if !blocking {
				_, err := h.ReadBody(buf)
				must(t, "first ReadBody", err, ErrWouldBlock)
				h.await(t, EventBody)
			}
			_, err := h.ReadBody(buf)
			must(t, "ReadBody of a malformed body", err, ErrAborted)
			h.awaitAbort(t, ErrPeer)
			must(t, "Respond", h.Respond(200, nil, nil), ErrAborted)
			must(t, "Abort", h.Abort(), nil)
			c.expect(400, "Bad Request\n")
			c.expectClosed()
		})
	})
	t.Run("buffered", func(t *testing.T) {
		eachMode(t, func(t *testing.T, blocking bool) {
			ts := start(t, Config{}, blocking, nil)
			c := dial(t, ts.addr)
			c.send(raw)
			c.expect(400, "Bad Request\n")
			c.expectClosed()
			ts.noRequest(t, 0)
		})
	})
}

func TestBodyTimeout(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{StreamBodies: true, BodyTimeout: 200 * time.Millisecond}, blocking, nil)
		c := dial(t, ts.addr)
		c.send("POST / HTTP/1.1\r\nHost: porter.test\r\nContent-Length: 10\r\n\r\nhello")
		h := ts.next(t)
		var err error
		var got []byte
		buf := make([]byte, 10)
		for err == nil || err == ErrWouldBlock { // the client stalls after "hello"
			if err == ErrWouldBlock {
				if k := h.event(t); k != EventBody {
					break
				}
			}
			var n int
			n, err = h.ReadBody(buf)
			got = append(got, buf[:n]...)
		}
		must(t, "ReadBody of a stalled body", err, ErrAborted)
		if string(got) != "hello" {
			t.Errorf("read %q before the stall", got)
		}
		for k := h.event(t); k != EventAbort; k = h.event(t) {
		}
		switch cause := h.Cause(); cause {
		case ErrTimeout:
			c.expect(408, "Request Timeout\n")
			c.expectClosed()
		case ErrPeer:
			// A known core race, rare and seen only under CPU load:
			// net/http's connReader cancels the request context on the
			// deadline error, and run's ctx.Done case can call
			// fail(ErrPeer, 0) before readBody calls fail(ErrTimeout,
			// 408). The client then gets no 408, only the close.
			t.Logf("body timeout reported as ErrPeer (core race)")
			c.SetReadDeadline(time.Now().Add(waitLong))
			if _, err := io.Copy(io.Discard, c.r); err != nil && !isReset(err) {
				t.Fatalf("connection not closed: %v", err)
			}
		default:
			t.Fatalf("Cause() = %v, want ErrTimeout", cause)
		}
	})
}

// BodyTimeout is for reading the body; once it is read the host has
// until ResponseTimeout to answer.
func TestSlowAnswerAfterStreamedBody(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{StreamBodies: true, BodyTimeout: 100 * time.Millisecond}, blocking, nil)
		c := dial(t, ts.addr)
		c.send("POST / HTTP/1.1\r\nHost: porter.test\r\nContent-Length: 5\r\n\r\nhello")
		h := ts.next(t)
		body := h.readBody(t, 16)
		h.noEvent(t, 400*time.Millisecond) // the scenario: the host thinks
		must(t, "Respond", h.Respond(200, nil, body), nil)
		c.expect(200, "hello")
	})
}

func TestBufferedBody(t *testing.T) {
	large := pattern(1 << 20)
	tests := []struct {
		name   string
		raw    string
		body   string
		length int64
	}{
		{"Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world", "hello world", 11},
		{"chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"5\r\nhello\r\n1\r\n \r\n5;ext=1\r\nworld\r\n0\r\nX-Trailer: x\r\n\r\n", "hello world", -1},
		{"empty", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", "", 0},
		{"no body", "GET / HTTP/1.1\r\nHost: h\r\n\r\n", "", 0},
		{"at the limit", fmt.Sprintf("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n%s", len(large), large), string(large), int64(len(large))},
	}
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{MaxBodyBytes: int64(len(large))}, blocking, nil)
		c := dial(t, ts.addr) // all on one keep-alive connection
		for _, tt := range tests {
			go c.Write([]byte(tt.raw))
			h := ts.next(t)
			if string(h.Req.Body) != tt.body || h.Req.ContentLength != tt.length {
				t.Fatalf("%s: Req.Body %d bytes, ContentLength %d", tt.name, len(h.Req.Body), h.Req.ContentLength)
			}
			// ReadBody serves the same bytes, then io.EOF for good.
			if got := h.readBody(t, 7000); string(got) != tt.body {
				t.Fatalf("%s: ReadBody gave %d bytes", tt.name, len(got))
			}
			_, err := h.ReadBody(make([]byte, 10))
			must(t, tt.name+": ReadBody after the end", err, io.EOF)
			must(t, "Respond", h.Respond(200, nil, []byte(fmt.Sprint(len(h.Req.Body)))), nil)
			c.expect(200, fmt.Sprint(len(tt.body)))
		}
	})
}

func TestExpectContinueBuffered(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{}, blocking, nil)
		c := dial(t, ts.addr)
		c.send("POST / HTTP/1.1\r\nHost: porter.test\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
		// Buffering reads the body before the host sees the request.
		if l := c.line(); l != "HTTP/1.1 100 Continue" {
			t.Fatalf("first line %q", l)
		}
		c.line()
		ts.noRequest(t, 0)
		c.send("hello")
		h := ts.next(t)
		if string(h.Req.Body) != "hello" {
			t.Fatalf("Req.Body %q", h.Req.Body)
		}
		must(t, "Respond", h.Respond(200, nil, h.Req.Body), nil)
		c.expect(200, "hello")
	})
}

// bodyTooLarge lists requests over MaxBodyBytes 1024; closes says
// whether the connection closes at once (see TestBugRejectLeavesConnectionOpen
// for the others).
var bodyTooLarge = []struct {
	name   string
	raw    string // the client sends no more than this
	closes bool
}{
	{"declared, body not sent", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2048\r\n\r\n", false},
	{"declared far over, body not sent", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10000000\r\n\r\n", true},
	{"declared with Expect", "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2048\r\n\r\n", false},
	{"declared far over with Expect", "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 10000000\r\n\r\n", true},
	{"chunked, over after 3 of many chunks", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
		strings.Repeat("200\r\n"+strings.Repeat("x", 0x200)+"\r\n", 3), false},
}

func TestBodyTooLarge(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{MaxBodyBytes: 1024}, blocking, nil)
		for _, tt := range bodyTooLarge {
			t.Run(tt.name, func(t *testing.T) {
				c := dial(t, ts.addr)
				c.send(tt.raw)
				// 413 at once, without the body and never after a
				// "100 Continue".
				resp := c.expect(413, "Request Entity Too Large\n")
				if !resp.Close {
					t.Error("413 without Connection: close")
				}
				if tt.closes {
					c.expectClosed()
				}
				ts.noRequest(t, 0)
			})
		}
	})
}

// A response given before a streamed body is read: a small rest is read
// past so the connection carries the next request; a client waiting for
// "100 Continue" is not asked for its body, and one with much left is not
// waited for: those connections close after the response.
func TestUnreadStreamedBody(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{StreamBodies: true}, blocking, nil)

		c := dial(t, ts.addr)
		c.send("POST /early HTTP/1.1\r\nHost: u\r\nContent-Length: 5\r\n\r\nhello")
		must(t, "Respond", ts.next(t).Respond(200, nil, []byte("early")), nil)
		c.expect(200, "early")
		c.get("/next")
		must(t, "Respond", ts.next(t).Respond(200, nil, []byte("next")), nil)
		c.expect(200, "next")

		c = dial(t, ts.addr)
		c.send("POST /wait HTTP/1.1\r\nHost: u\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
		must(t, "Respond", ts.next(t).Respond(200, nil, []byte("no")), nil)
		c.expect(200, "no") // not preceded by "100 Continue"
		c.expectClosed()

		c = dial(t, ts.addr)
		big := maxDrain + 64<<10
		c.send(fmt.Sprintf("POST /big HTTP/1.1\r\nHost: u\r\nContent-Length: %d\r\n\r\n", big))
		go c.Write(pattern(big)) // may fail once the server closes
		must(t, "Respond", ts.next(t).Respond(200, nil, []byte("big")), nil)
		c.expect(200, "big")
		c.SetReadDeadline(time.Now().Add(waitLong))
		if _, err := c.r.ReadByte(); err == nil {
			t.Fatal("the connection carried on past a large unread body")
		}
	})
}
