package core

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRespondInline(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{}, blocking, func(h *held) bool {
			err := h.Respond(201, []Header{{"X-Test", "a"}, {"x-test", "b"}, {"Cache-Control", "no-store"}}, []byte("hello"))
			if err != nil {
				panic(err)
			}
			return true
		})
		c := dial(t, ts.addr)
		c.get("/")
		resp := c.expect(201, "hello")
		checkHead(t, resp, 5)
		if got := resp.Header.Values("X-Test"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
			t.Errorf("X-Test = %q, want [a b]", got)
		}
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control = %q", got)
		}
	})
}

// checkHead checks what porter adds to every response: Date and the
// length, and no guessed Content-Type.
func checkHead(t *testing.T, resp *http.Response, length int64) {
	t.Helper()
	if d, err := http.ParseTime(resp.Header.Get("Date")); err != nil || time.Since(d) > time.Minute {
		t.Errorf("Date = %q (%v)", resp.Header.Get("Date"), err)
	}
	if ct, ok := resp.Header["Content-Type"]; ok {
		t.Errorf("Content-Type %q guessed", ct)
	}
	if resp.ContentLength != length {
		t.Errorf("Content-Length %d, want %d", resp.ContentLength, length)
	}
}

func TestRespondLater(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{}, blocking, nil)
		c := dial(t, ts.addr)
		c.get("/later")
		h := ts.next(t)
		c.silent(quiet) // nothing before the host answers
		done := make(chan error)
		go func() { // from a goroutine that is neither porter's nor the test's
			done <- h.Respond(200, []Header{{"Content-Type", "text/x-test"}}, []byte("later"))
		}()
		must(t, "Respond", <-done, nil)
		resp := c.expect(200, "later")
		if got := resp.Header.Get("Content-Type"); got != "text/x-test" {
			t.Errorf("Content-Type = %q", got)
		}
		if !h.Ended() {
			t.Error("Ended() = false after Respond")
		}
		h.noEvent(t, 0)
	})
}

func TestRequestView(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want Request
	}{{
		name: "origin form",
		raw:  "GET /a%20b/c?x=1&y=2 HTTP/1.1\r\nHost: porter.test\r\nB: 2\r\nA: 1\r\nA: 3\r\n\r\n", // received order
		want: Request{Method: "GET", Target: "/a%20b/c?x=1&y=2", Path: "/a%20b/c", Query: "x=1&y=2",
			Host: "porter.test", Version: 11,
			Headers: []Header{{"Host", "porter.test"}, {"B", "2"}, {"A", "1"}, {"A", "3"}}},
	}, {
		name: "absolute form",
		raw:  "GET http://porter.test/p?q HTTP/1.1\r\nHost: porter.test\r\n\r\n",
		want: Request{Method: "GET", Target: "http://porter.test/p?q", Path: "/p", Query: "q",
			Host: "porter.test", Version: 11, Headers: []Header{{"Host", "porter.test"}}},
	}, {
		name: "HTTP/1.0 without Host",
		raw:  "DELETE /old HTTP/1.0\r\n\r\n",
		want: Request{Method: "DELETE", Target: "/old", Path: "/old", Version: 10, Headers: []Header{}},
	}, {
		name: "body length",
		raw:  "PUT /put HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
		want: Request{Method: "PUT", Target: "/put", Path: "/put", Host: "h", Version: 11,
			Headers: []Header{{"Host", "h"}, {"Content-Length", "3"}}, Body: []byte("abc"), ContentLength: 3},
	}}
	ts := start(t, Config{}, false, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, ts.addr)
			c.send(tt.raw)
			h := ts.next(t)
			got := *h.Req
			if got.Remote != c.LocalAddr().String() {
				t.Errorf("Remote = %q, want %q", got.Remote, c.LocalAddr())
			}
			got.Remote = ""
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tt.want) {
				t.Errorf("Req =\n%+v, want\n%+v", got, tt.want)
			}
			must(t, "Respond", h.Respond(200, nil, nil), nil)
			c.expect(200, "")
		})
	}
}

func TestRespondHead(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{}, blocking, nil)
		c := dial(t, ts.addr)
		for _, respond := range []func(h *held){
			func(h *held) { must(t, "Respond", h.Respond(200, nil, []byte("hello")), nil) },
			func(h *held) {
				must(t, "WriteHead", h.WriteHead(200, nil, 5), nil)
				h.write(t, []byte("hello"))
				must(t, "Finish", h.Finish(), nil)
			},
		} {
			c.send("HEAD / HTTP/1.1\r\nHost: porter.test\r\n\r\n")
			respond(ts.next(t))
			resp, body := c.response("HEAD")
			if resp.StatusCode != 200 || len(body) != 0 {
				t.Fatalf("HEAD: %d %q", resp.StatusCode, body)
			}
			checkHead(t, resp, 5)
			// A body byte sent for HEAD would garble the next response.
			c.get("/after")
			must(t, "Respond", ts.next(t).Respond(200, nil, []byte("next")), nil)
			c.expect(200, "next")
		}
	})
}

func TestNoBodyStatuses(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{}, blocking, nil)
		c := dial(t, ts.addr)
		for _, status := range []int{204, 304} {
			c.get("/")
			h := ts.next(t)
			must(t, fmt.Sprint(status, " with a body"), h.Respond(status, nil, []byte("x")), ErrBodyForbidden)
			must(t, fmt.Sprint(status), h.Respond(status, []Header{{"ETag", `"1"`}}, nil), nil)
			resp := c.expect(status, "")
			if _, ok := resp.Header["Content-Length"]; ok && resp.Header.Get("Content-Length") != "0" {
				t.Errorf("%d has Content-Length %q", status, resp.Header.Get("Content-Length"))
			}
			if resp.Header.Get("ETag") != `"1"` {
				t.Errorf("%d lost its ETag", status)
			}
		}
		c.get("/still-alive")
		must(t, "Respond", ts.next(t).Respond(200, nil, []byte("ok")), nil)
		c.expect(200, "ok")
	})
}

func TestBadStatus(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{}, blocking, nil)
		c := dial(t, ts.addr)
		c.get("/")
		h := ts.next(t)
		for _, status := range []int{-1, 0, 99, 100, 101, 199, 1000, 1 << 20} {
			must(t, fmt.Sprint("Respond ", status), h.Respond(status, nil, nil), ErrStatus)
			must(t, fmt.Sprint("WriteHead ", status), h.WriteHead(status, nil, -1), ErrStatus)
		}
		if err := h.WriteHead(200, nil, -2); err == nil {
			t.Fatal("WriteHead with length -2 succeeded")
		}
		must(t, "Respond 999", h.Respond(999, nil, []byte("odd")), nil)
		c.expect(999, "odd")
	})
}

func TestBadHeaders(t *testing.T) {
	bad := []struct {
		name string
		h    Header
	}{
		{"empty name", Header{"", "v"}},
		{"space in name", Header{"X Test", "v"}},
		{"colon in name", Header{"X:Test", "v"}},
		{"CR in name", Header{"X\rTest", "v"}},
		{"LF in name", Header{"X\nTest", "v"}},
		{"non-ASCII name", Header{"X-Tést", "v"}},
		{"CR in value", Header{"X-Test", "a\rb"}},
		{"LF in value", Header{"X-Test", "a\nb"}},
		{"CRLF splitting", Header{"X-Test", "a\r\nSet-Cookie: evil=1"}},
		{"NUL in value", Header{"X-Test", "a\x00b"}},
		{"control byte in value", Header{"X-Test", "a\x01b"}},
		{"escape in value", Header{"X-Test", "a\x1bb"}},
		{"DEL in value", Header{"X-Test", "a\x7fb"}},
		{"Content-Length", Header{"Content-Length", "5"}},
		{"content-length", Header{"content-length", "5"}},
		{"CONTENT-LENGTH", Header{"CONTENT-LENGTH", "5"}},
		{"Transfer-Encoding", Header{"Transfer-Encoding", "chunked"}},
		{"transfer-ENCODING", Header{"transfer-ENCODING", "identity"}},
	}
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{}, blocking, nil)
		c := dial(t, ts.addr) // one keep-alive connection for every case
		for _, tt := range bad {
			c.get("/")
			h := ts.next(t)
			header := []Header{{"X-Good", "1"}, tt.h}
			must(t, tt.name+": Respond", h.Respond(200, header, []byte("x")), ErrHeader)
			must(t, tt.name+": WriteHead", h.WriteHead(200, header, 1), ErrHeader)
			// The refused calls left the exchange as it was.
			must(t, tt.name+": Respond after", h.Respond(200, []Header{{"X-Good", "1"}}, []byte("fine")), nil)
			resp := c.expect(200, "fine")
			if len(resp.Header) != 3 { // X-Good, Date, Content-Length
				t.Errorf("%s: headers %v", tt.name, resp.Header)
			}
		}
	})
}

func TestGoodHeaders(t *testing.T) {
	header := []Header{
		{"X-Tab", "a\tb"},
		{"X-Empty", ""},
		{"X-Latin1", "caf\xe9"},
		{"!#$%&'*+-.^_`|~09azAZ", "token"},
		{"Content-Type", "text/plain"},
	}
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{}, blocking, func(h *held) bool {
			return h.Respond(200, header, nil) == nil
		})
		c := dial(t, ts.addr)
		c.get("/")
		resp := c.expect(200, "")
		for _, f := range header {
			if got := resp.Header.Values(f.Name); len(got) != 1 || got[0] != f.Value {
				t.Errorf("%s = %q, want %q", f.Name, got, f.Value)
			}
		}
	})
}

func TestStateErrors(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, h *held)
		// what the client gets; a zero status means a cut connection
		status int
		body   string
	}{{
		name: "double Respond",
		run: func(t *testing.T, h *held) {
			must(t, "Respond", h.Respond(200, nil, []byte("first")), nil)
			must(t, "Respond again", h.Respond(500, nil, []byte("second")), ErrState)
			must(t, "WriteHead after Respond", h.WriteHead(200, nil, -1), ErrState)
			must(t, "Finish after Respond", h.Finish(), ErrState)
			must(t, "Abort after Respond", h.Abort(), ErrState)
		},
		status: 200, body: "first",
	}, {
		name: "Respond after WriteHead",
		run: func(t *testing.T, h *held) {
			must(t, "WriteHead", h.WriteHead(200, nil, -1), nil)
			must(t, "Respond", h.Respond(500, nil, []byte("no")), ErrState)
			must(t, "WriteHead again", h.WriteHead(500, nil, -1), ErrState)
			h.write(t, []byte("streamed"))
			must(t, "Finish", h.Finish(), nil)
			must(t, "Finish again", h.Finish(), ErrState)
			_, err := h.Write([]byte("late"))
			must(t, "Write after Finish", err, ErrState)
		},
		status: 200, body: "streamed",
	}, {
		name: "Write before WriteHead",
		run: func(t *testing.T, h *held) {
			_, err := h.Write([]byte("x"))
			must(t, "Write", err, ErrState)
			must(t, "Finish", h.Finish(), ErrState)
			must(t, "Respond", h.Respond(200, nil, []byte("ok")), nil)
		},
		status: 200, body: "ok",
	}, {
		name: "Write past the declared length",
		run: func(t *testing.T, h *held) {
			must(t, "WriteHead", h.WriteHead(200, nil, 5), nil)
			_, err := h.Write([]byte("hello!"))
			must(t, "Write 6 of 5", err, ErrState)
			h.write(t, []byte("hel"))
			_, err = h.Write([]byte("lo!"))
			must(t, "Write 6 of 5 later", err, ErrState)
			h.write(t, []byte("lo"))
			_, err = h.Write([]byte("!"))
			must(t, "Write 6 of 5 at the end", err, ErrState)
			must(t, "Finish", h.Finish(), nil)
		},
		status: 200, body: "hello",
	}, {
		name: "empty streamed body",
		run: func(t *testing.T, h *held) {
			must(t, "WriteHead", h.WriteHead(200, nil, 0), nil)
			n, err := h.Write(nil)
			must(t, "empty Write", err, nil)
			if n != 0 {
				t.Fatalf("empty Write = %d", n)
			}
			must(t, "Finish", h.Finish(), nil)
		},
		status: 200, body: "",
	}, {
		name: "Abort before a response",
		run: func(t *testing.T, h *held) {
			must(t, "Abort", h.Abort(), nil)
			must(t, "Abort again", h.Abort(), ErrState)
			must(t, "Respond after Abort", h.Respond(200, nil, nil), ErrState)
			if !h.Ended() {
				t.Fatal("Ended() = false after Abort")
			}
		},
	}}
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{}, blocking, nil)
		for _, tt := range tests {
			c := dial(t, ts.addr)
			c.get("/")
			h := ts.next(t)
			tt.run(t, h)
			if tt.status == 0 {
				c.expectClosed()
			} else {
				c.expect(tt.status, tt.body)
			}
			h.noEvent(t, 0) // porter reports no abort for what the host ended
		}
	})
}

func TestFinishShort(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{}, blocking, nil)
		c := dial(t, ts.addr)
		c.get("/")
		h := ts.next(t)
		must(t, "WriteHead", h.WriteHead(200, nil, 10), nil)
		h.write(t, []byte("hello"))
		must(t, "Finish", h.Finish(), ErrState)
		if !h.Ended() {
			t.Fatal("Ended() = false after a short Finish")
		}
		must(t, "Finish again", h.Finish(), ErrState)
		resp, body, err := c.readResponse("GET")
		if err == nil {
			t.Fatalf("client got a complete response: %d %q", resp.StatusCode, body)
		}
		if resp != nil && (resp.ContentLength != 10 || !bytes.HasPrefix([]byte("hello"), body)) {
			t.Fatalf("cut response: length %d body %q", resp.ContentLength, body)
		}
		c.expectClosed()
	})
}

func TestAbortCutsStream(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{}, blocking, nil)
		for _, length := range []int64{-1, 100} {
			c := dial(t, ts.addr)
			c.get("/")
			h := ts.next(t)
			must(t, "WriteHead", h.WriteHead(200, nil, length), nil)
			h.write(t, []byte("partial"))
			must(t, "Abort", h.Abort(), nil)
			must(t, "Abort again", h.Abort(), ErrState)
			_, err := h.Write([]byte("more"))
			must(t, "Write after Abort", err, ErrState)
			// The head and part may or may not have left; the response
			// must not look complete.
			if resp, body, err := c.readResponse("GET"); err == nil {
				t.Fatalf("length %d: complete response after Abort: %d %q", length, resp.StatusCode, body)
			}
			c.expectClosed()
		}
	})
}

func TestStreamingResponse(t *testing.T) {
	const writes, size = 500, 1000
	tests := []struct {
		name    string
		proto   string
		length  int64
		chunked bool
	}{
		{"chunked", "HTTP/1.1", -1, true},
		{"declared length", "HTTP/1.1", writes * size, false},
		{"HTTP/1.0 until close", "HTTP/1.0", -1, false},
	}
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{StreamBuffer: 4 << 10}, blocking, nil)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := dial(t, ts.addr)
				c.send("GET /stream " + tt.proto + "\r\nHost: porter.test\r\n\r\n")
				h := ts.next(t)
				want := pattern(writes * size)
				got := make(chan []byte, 1)
				go func() {
					resp, body, err := c.readResponse("GET")
					if err != nil {
						t.Errorf("client: %v", err)
					} else if chunked := len(resp.TransferEncoding) > 0; chunked != tt.chunked || resp.ContentLength != tt.length {
						t.Errorf("client: chunked %v length %d", chunked, resp.ContentLength)
					}
					got <- body
				}()
				must(t, "WriteHead", h.WriteHead(200, nil, tt.length), nil)
				for i := 0; i < writes; i++ {
					h.write(t, want[i*size:(i+1)*size])
				}
				must(t, "Finish", h.Finish(), nil)
				select {
				case body := <-got:
					sameBytes(t, body, want)
				case <-time.After(waitLong):
					t.Fatal("client got no complete response")
				}
			})
		}
	})
}

func TestWriteBackpressure(t *testing.T) {
	t.Parallel()
	const block = 4 << 10
	ts := start(t, Config{StreamBuffer: block}, false, nil)
	c := dial(t, ts.addr)
	c.get("/")
	h := ts.next(t)
	must(t, "WriteHead", h.WriteHead(200, nil, -1), nil)

	// The client does not read: the socket buffers fill, then the stream
	// buffer, then Write says ErrWouldBlock.
	all := pattern(64 << 20)
	sent := 0
	for {
		if sent+block > len(all) {
			t.Fatalf("Write never said ErrWouldBlock in %d bytes", sent)
		}
		n, err := h.Write(all[sent : sent+block])
		sent += n
		if err == ErrWouldBlock {
			if n != 0 {
				t.Fatalf("ErrWouldBlock with %d bytes taken", n)
			}
			break
		}
		must(t, "Write", err, nil)
	}
	// A write right after may be taken or refused: the exchange's
	// goroutine may have moved the buffer into the socket meanwhile. The
	// EventWritable the refusal owed comes either way.
	n, err := h.Write(all[sent : sent+1])
	if err != nil && err != ErrWouldBlock {
		t.Fatalf("Write while full: %v", err)
	}
	sent += n

	// The client reads; writing goes on after EventWritable.
	got := make(chan []byte, 1)
	go func() {
		resp, body, err := c.readResponse("GET")
		if err != nil || len(resp.TransferEncoding) == 0 {
			t.Errorf("client: %v", err)
		}
		got <- body
	}()
	h.await(t, EventWritable)
	want := all[:sent+4*block]
	h.write(t, want[sent:])
	must(t, "Finish", h.Finish(), nil)
	select {
	case body := <-got:
		sameBytes(t, body, want)
	case <-time.After(waitLong):
		t.Fatal("client got no complete response")
	}
}

func TestStalledClientWriteTimeout(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{StreamBuffer: 4 << 10, WriteTimeout: 200 * time.Millisecond}, blocking, nil)
		c := dial(t, ts.addr)
		c.get("/")
		h := ts.next(t)
		must(t, "WriteHead", h.WriteHead(200, nil, -1), nil)
		// The client never reads: writes stall, then porter gives up.
		chunk := pattern(64 << 10)
		deadline := time.Now().Add(waitLong)
		for time.Now().Before(deadline) {
			_, err := h.Write(chunk)
			if err == ErrAborted {
				break
			}
			if err == ErrWouldBlock {
				k := h.event(t)
				if k == EventAbort {
					break
				}
				if k != EventWritable {
					t.Fatalf("event %s", kindName(k))
				}
				continue
			}
			must(t, "Write", err, nil)
		}
		if !h.Ended() {
			t.Fatal("a client that does not read was not given up on")
		}
		if blocking { // the abort event follows the failed write
			for k := h.event(t); k != EventAbort; k = h.event(t) {
			}
		}
		// A write deadline is reported as the client's failure (ErrPeer);
		// ErrTimeout would fit porter.h as well.
		if cause := h.Cause(); cause != ErrPeer && cause != ErrTimeout {
			t.Fatalf("Cause() = %v", cause)
		}
		must(t, "Abort", h.Abort(), nil)
	})
}

// A host may take its time between writes: ResponseTimeout is only for
// starting the response.
func TestSlowStreamOutlivesResponseTimeout(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{ResponseTimeout: 100 * time.Millisecond}, blocking, nil)
		c := dial(t, ts.addr)
		c.get("/")
		h := ts.next(t)
		must(t, "WriteHead", h.WriteHead(200, nil, -1), nil)
		h.write(t, []byte("slow "))
		time.Sleep(300 * time.Millisecond) // the scenario: the host is slow
		h.write(t, []byte("stream"))
		must(t, "Finish", h.Finish(), nil)
		c.expect(200, "slow stream")
		h.noEvent(t, 0)
	})
}

func TestManyExchangesConcurrently(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{}, blocking, nil)
		const n = 20
		clients := make([]*client, n)
		for i := range clients {
			clients[i] = dial(t, ts.addr)
			clients[i].get(fmt.Sprintf("/%d", i))
		}
		var hs []*held
		for range n {
			hs = append(hs, ts.next(t))
		}
		// Answer in reverse arrival order, each from its own goroutine.
		errs := make(chan error, n)
		for i := len(hs) - 1; i >= 0; i-- {
			go func(h *held) {
				errs <- h.Respond(200, nil, []byte(strings.Repeat(h.Req.Path, 1000)))
			}(hs[i])
		}
		for range n {
			must(t, "Respond", <-errs, nil)
		}
		for i, c := range clients {
			c.expect(200, strings.Repeat(fmt.Sprintf("/%d", i), 1000))
		}
	})
}

// In steady state a keep-alive request costs the engine no allocation
// in either mode, when the host releases its exchanges: they are reused
// with their buffers.
func TestKeepAliveRequestsAllocateNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			s := helloServer(t, m.blocking)
			c, err := net.Dial("tcp", s.Addr(0).String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(waitLong))
			req := []byte("GET /hello HTTP/1.1\r\nHost: porter.test\r\nUser-Agent: t\r\n\r\n")
			buf := make([]byte, 4096)
			size := 0 // of a whole response, which the first one tells
			roundTrip := func() {
				if _, err := c.Write(req); err != nil {
					t.Fatal(err)
				}
				if size > 0 {
					if _, err := io.ReadFull(c, buf[:size]); err != nil {
						t.Fatal(err)
					}
					return
				}
				for n := 0; size == 0; {
					k, err := c.Read(buf[n:])
					if err != nil {
						t.Fatal(err)
					}
					n += k
					if i := bytes.Index(buf[:n], []byte("\r\n\r\n")); i >= 0 && n >= i+4+len(hello) {
						size = i + 4 + len(hello)
					}
				}
			}
			for range 10 {
				roundTrip() // fill the pools
			}
			if !bytes.HasPrefix(buf, []byte("HTTP/1.1 200 ")) {
				t.Fatalf("response %q", buf[:size])
			}
			if n := testing.AllocsPerRun(200, roundTrip); n > 0 {
				t.Fatalf("%v allocations per request", n)
			}
		})
	}
}

// unwatched answers every request with body and sets no watcher, as a
// Go host that needs no events may.
type unwatched struct{ body []byte }

func (u unwatched) Request(x Exchange) bool {
	x.Respond(200, nil, u.body)
	x.Release()
	return true
}

// A host that set no watcher gets no events: a client that leaves in the
// middle of a large response must not bring the server down.
func TestExchangeWithoutWatcher(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		s := NewServer(Config{}, unwatched{pattern(8 << 20)}, blocking)
		if _, err := s.Listen("127.0.0.1:0", ListenOptions{}); err != nil {
			t.Fatal(err)
		}
		run(t, s)
		addr := s.Addr(0).String()
		c := dial(t, addr)
		c.get("/")
		if _, err := io.ReadFull(c.r, make([]byte, 64<<10)); err != nil {
			t.Fatal(err)
		}
		c.Close() // with megabytes unread: the exchange aborts
		c = dial(t, addr)
		c.get("/")
		c.expect(200, string(pattern(8<<20)))
	})
}
