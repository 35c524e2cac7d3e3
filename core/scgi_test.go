package core

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// scgiRequest encodes an SCGI request as a web server sends it: the
// CGI variables in a netstring, then the body.
func scgiRequest(vars [][2]string, body string) string {
	var b strings.Builder
	b.WriteString("CONTENT_LENGTH\x00" + fmt.Sprint(len(body)) + "\x00SCGI\x001\x00")
	for _, v := range vars {
		b.WriteString(v[0] + "\x00" + v[1] + "\x00")
	}
	h := b.String()
	return fmt.Sprintf("%d:%s,%s", len(h), h, body)
}

// startSCGI starts a server with one SCGI listener.
func startSCGI(t *testing.T, cfg Config, blocking bool, handle func(h *held) bool) *testServer {
	t.Helper()
	host := &testHost{handle: handle, reqs: make(chan *held, 16)}
	s := NewServer(cfg, host, blocking)
	if _, err := s.Listen("127.0.0.1:0", ListenOptions{SCGI: true}); err != nil {
		t.Fatal(err)
	}
	run(t, s)
	return &testServer{s, host, s.AddrString(0)}
}

// readAll reads what the server sends until it closes the connection.
func (c *client) readAll() string {
	c.t.Helper()
	c.SetReadDeadline(time.Now().Add(waitLong))
	b, err := io.ReadAll(c.r)
	if err != nil {
		c.t.Fatalf("reading until close: %v", err)
	}
	return string(b)
}

func TestSCGI(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := startSCGI(t, Config{}, blocking, nil)
		c := dial(t, ts.addr)
		c.send(scgiRequest([][2]string{
			{"REQUEST_METHOD", "POST"}, {"REQUEST_URI", "/form?x=1"},
			{"SERVER_PROTOCOL", "HTTP/1.1"}, {"CONTENT_TYPE", "text/plain"},
			{"HTTP_HOST", "porter.test"}, {"HTTP_USER_AGENT", "curl/8"},
			{"REMOTE_ADDR", "192.0.2.1"}, {"REMOTE_PORT", "5000"}, {"HTTPS", "on"},
		}, "hello"))
		h := ts.next(t)
		want := Request{Method: "POST", Target: "/form?x=1", Path: "/form", Query: "x=1",
			Host: "porter.test", Remote: "192.0.2.1:5000", Version: 11,
			Headers: []Header{{"Content-Length", "5"}, {"Content-Type", "text/plain"},
				{"Host", "porter.test"}, {"User-Agent", "curl/8"}},
			Body: []byte("hello"), ContentLength: 5, TLS: true}
		if fmt.Sprintf("%+v", *h.Req) != fmt.Sprintf("%+v", want) {
			t.Errorf("Req =\n%+v, want\n%+v", *h.Req, want)
		}
		must(t, "Respond", h.Respond(201, []Header{{"X-A", "b"}}, []byte("made")), nil)
		if got := c.readAll(); got != "Status: 201 Created\r\nX-A: b\r\n\r\nmade" {
			t.Errorf("response %q", got)
		}
	})
}

func TestSCGIStreamed(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := startSCGI(t, Config{StreamBodies: true}, blocking, nil)
		c := dial(t, ts.addr)
		body := strings.Repeat("0123456789", 10000)
		go c.Write([]byte(scgiRequest([][2]string{{"REQUEST_METHOD", "PUT"}, {"REQUEST_URI", "/up"}}, body)))
		h := ts.next(t)
		if got := h.readBody(t, 4096); string(got) != body {
			t.Fatalf("body of %d bytes, want %d", len(got), len(body))
		}
		must(t, "WriteHead", h.WriteHead(200, nil, -1), nil)
		h.write(t, []byte("part one, "))
		h.write(t, []byte("part two"))
		must(t, "Finish", h.Finish(), nil)
		if got := c.readAll(); got != "Status: 200 OK\r\n\r\npart one, part two" {
			t.Errorf("response %q", got)
		}
	})
}

func TestSCGIMalformed(t *testing.T) {
	t.Parallel()
	ts := startSCGI(t, Config{}, false, nil)
	for _, raw := range []string{
		"5:abc,",                     // no CONTENT_LENGTH
		"x:CONTENT_LENGTH\x000\x00,", // bad netstring length
		"26:CONTENT_LENGTH\x000\x00SCGI\x001\x00;",         // no comma
		scgiRequest([][2]string{{"REQUEST_URI", "/"}}, ""), // no REQUEST_METHOD
	} {
		c := dial(t, ts.addr)
		c.send(raw)
		if got := c.readAll(); got != "" {
			t.Errorf("%q answered %q", raw, got)
		}
	}
	ts.noRequest(t, quiet)
	if st := ts.Stats(); st.RejectedMalformed != 4 {
		t.Errorf("RejectedMalformed = %d", st.RejectedMalformed)
	}
}
