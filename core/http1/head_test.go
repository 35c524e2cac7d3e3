package http1

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// cr turns every "\n" of s into CRLF.
func cr(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// headView is a Head as comparable strings.
type headView struct {
	Method, Target, Path, Query, Authority, Host string
	Version                                      int
	ContentLength                                int64
	Chunked, Close, Expect100                    bool
}

func view(h *Head) headView {
	return headView{
		string(h.Method), string(h.Target), string(h.Path), string(h.Query), string(h.Authority), string(h.Host),
		h.Version, h.ContentLength, h.Chunked, h.Close, h.Expect100,
	}
}

type headCase struct {
	name   string
	raw    string
	status int       // 0: accepted
	want   *headView // for accepted rows, when set
}

func ok11(method, target, path, query string) *headView {
	return &headView{Method: method, Target: target, Path: path, Query: query, Host: "a", Version: 11, ContentLength: -1}
}

var headCases = []headCase{
	// accepted
	{"simple", cr("GET / HTTP/1.1\nHost: a\n\n"), 0, ok11("GET", "/", "/", "")},
	{"query", cr("GET /p/q?x=1&y=%2F HTTP/1.1\nHost: a\n\n"), 0, ok11("GET", "/p/q?x=1&y=%2F", "/p/q", "x=1&y=%2F")},
	{"empty query", cr("GET /p? HTTP/1.1\nHost: a\n\n"), 0, ok11("GET", "/p?", "/p", "")},
	{"extension method", cr("PURGE /x HTTP/1.1\nHost: a\n\n"), 0, ok11("PURGE", "/x", "/x", "")},
	{"leading CRLF", cr("\nGET / HTTP/1.1\nHost: a\n\n"), 0, ok11("GET", "/", "/", "")},
	{"OWS around values", "GET / HTTP/1.1\r\nHost: \t a \t\r\nX-Empty:\r\nX-Sp:   \r\n\r\n", 0, ok11("GET", "/", "/", "")},
	{"obs-text value", "GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9 \xff\r\n\r\n", 0, nil},
	{"odd target bytes", cr("GET /a|b{c}^`\\\"<>[]@!$&'()*+,;=:~ HTTP/1.1\nHost: a\n\n"), 0, nil},
	{"options asterisk", cr("OPTIONS * HTTP/1.1\nHost: a\n\n"), 0, &headView{Method: "OPTIONS", Target: "*", Path: "*", Host: "a", Version: 11, ContentLength: -1}},
	{"absolute-form", cr("GET http://example.com:8080/a/b?c HTTP/1.1\nHost: a\n\n"), 0,
		&headView{Method: "GET", Target: "http://example.com:8080/a/b?c", Path: "/a/b", Query: "c", Authority: "example.com:8080", Host: "a", Version: 11, ContentLength: -1}},
	{"absolute-form https upper", cr("GET HTTPS://[::1]?q HTTP/1.1\nHost: a\n\n"), 0,
		&headView{Method: "GET", Target: "HTTPS://[::1]?q", Path: "", Query: "q", Authority: "[::1]", Host: "a", Version: 11, ContentLength: -1}},
	{"absolute-form no path", cr("GET http://example.com HTTP/1.1\nHost: example.com\n\n"), 0,
		&headView{Method: "GET", Target: "http://example.com", Authority: "example.com", Host: "example.com", Version: 11, ContentLength: -1}},
	{"content-length", cr("POST /f HTTP/1.1\nHost: a\nContent-Length: 5\n\nhello"), 0,
		&headView{Method: "POST", Target: "/f", Path: "/f", Host: "a", Version: 11, ContentLength: 5}},
	{"content-length OWS and zeros", cr("POST /f HTTP/1.1\nHost: a\ncontent-length:  007 \n\n1234567"), 0,
		&headView{Method: "POST", Target: "/f", Path: "/f", Host: "a", Version: 11, ContentLength: 7}},
	{"content-length 18 digits", cr("POST /f HTTP/1.1\nHost: a\nContent-Length: 999999999999999999\n\n"), 0,
		&headView{Method: "POST", Target: "/f", Path: "/f", Host: "a", Version: 11, ContentLength: 999999999999999999}},
	{"chunked", cr("POST /f HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n5\nhello\n0\n\n"), 0,
		&headView{Method: "POST", Target: "/f", Path: "/f", Host: "a", Version: 11, ContentLength: -1, Chunked: true}},
	{"chunked case OWS", cr("POST /f HTTP/1.1\nHost: a\ntransfer-encoding:  ChUnKeD \t\n\n0\n\n"), 0,
		&headView{Method: "POST", Target: "/f", Path: "/f", Host: "a", Version: 11, ContentLength: -1, Chunked: true}},
	{"post without body", cr("POST /f HTTP/1.1\nHost: a\n\n"), 0,
		&headView{Method: "POST", Target: "/f", Path: "/f", Host: "a", Version: 11, ContentLength: -1}},
	{"get with body", cr("GET / HTTP/1.1\nHost: a\nContent-Length: 2\n\nhi"), 0,
		&headView{Method: "GET", Target: "/", Path: "/", Host: "a", Version: 11, ContentLength: 2}},
	{"connection close", cr("GET / HTTP/1.1\nHost: a\nConnection: Keep-Alive, CLOSE\n\n"), 0,
		&headView{Method: "GET", Target: "/", Path: "/", Host: "a", Version: 11, ContentLength: -1, Close: true}},
	{"connection empty elements", cr("GET / HTTP/1.1\nHost: a\nConnection: , upgrade,,close ,\nUpgrade: x\n\n"), 0,
		&headView{Method: "GET", Target: "/", Path: "/", Host: "a", Version: 11, ContentLength: -1, Close: true}},
	{"1.0 default close", cr("GET / HTTP/1.0\n\n"), 0,
		&headView{Method: "GET", Target: "/", Path: "/", Version: 10, ContentLength: -1, Close: true}},
	{"1.0 keep-alive", cr("GET / HTTP/1.0\nHost: a\nConnection: keep-alive\n\n"), 0,
		&headView{Method: "GET", Target: "/", Path: "/", Host: "a", Version: 10, ContentLength: -1}},
	{"1.0 keep-alive and close", cr("GET / HTTP/1.0\nConnection: keep-alive\nConnection: close\n\n"), 0,
		&headView{Method: "GET", Target: "/", Path: "/", Version: 10, ContentLength: -1, Close: true}},
	{"1.0 content-length", cr("POST / HTTP/1.0\nContent-Length: 3\n\nabc"), 0,
		&headView{Method: "POST", Target: "/", Path: "/", Version: 10, ContentLength: 3, Close: true}},
	{"expect 100", cr("PUT /u HTTP/1.1\nHost: a\nExpect: 100-Continue\nContent-Length: 1\n\nx"), 0,
		&headView{Method: "PUT", Target: "/u", Path: "/u", Host: "a", Version: 11, ContentLength: 1, Expect100: true}},
	{"expect 100 on 1.0 ignored", cr("PUT /u HTTP/1.0\nExpect: 100-continue\nContent-Length: 1\n\nx"), 0,
		&headView{Method: "PUT", Target: "/u", Path: "/u", Version: 10, ContentLength: 1, Close: true}},
	{"host forms", cr("GET / HTTP/1.1\nHost: [2001:db8::1]:8080\n\n"), 0, nil},
	{"host port", cr("GET / HTTP/1.1\nHost: xn--bcher-kva.example:443\n\n"), 0, nil},
	{"host pct and subdelims", cr("GET / HTTP/1.1\nHost: a%2Db!$&'()*+,;=~_.-\n\n"), 0, nil},
	{"host empty port", cr("GET / HTTP/1.1\nHost: a:\n\n"), 0, nil},
	{"browser", browserReq, 0, nil},
	{"many fields", cr("GET / HTTP/1.1\nHost: a\n" + strings.Repeat("X-A: 1\nx-b:2\nX_C: 3 3\n", 30) + "\n"), 0, nil},

	// line endings, NUL
	{"bare LF request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400, nil},
	{"bare LF field", "GET / HTTP/1.1\r\nHost: a\n\r\n", 400, nil},
	{"bare LF end", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400, nil},
	{"all bare LF", "GET / HTTP/1.1\nHost: a\n\n", 400, nil},
	{"bare CR request line", "GET / HTTP/1.1\rHost: a\r\n\r\n", 400, nil},
	{"bare CR in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400, nil},
	{"bare CR end", "GET / HTTP/1.1\r\nHost: a\r\n\rX\r\n", 400, nil},
	{"bare CR in method", "GE\rT / HTTP/1.1\r\nHost: a\r\n\r\n", 400, nil},
	{"NUL in target", "GET /\x00 HTTP/1.1\r\nHost: a\r\n\r\n", 400, nil},
	{"NUL in name", "GET / HTTP/1.1\r\nHost: a\r\nX\x00: 1\r\n\r\n", 400, nil},
	{"NUL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\x002\r\n\r\n", 400, nil},
	{"two leading CRLF", cr("\n\nGET / HTTP/1.1\nHost: a\n\n"), 400, nil},
	{"leading LF", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, nil},
	{"leading space", cr(" GET / HTTP/1.1\nHost: a\n\n"), 400, nil},

	// request line
	{"double SP after method", cr("GET  / HTTP/1.1\nHost: a\n\n"), 400, nil},
	{"double SP before version", cr("GET /  HTTP/1.1\nHost: a\n\n"), 400, nil},
	{"HTAB separator", cr("GET\t/ HTTP/1.1\nHost: a\n\n"), 400, nil},
	{"trailing SP", cr("GET / HTTP/1.1 \nHost: a\n\n"), 400, nil},
	{"lowercase method", cr("get / HTTP/1.1\nHost: a\n\n"), 501, nil},
	{"mixed-case method", cr("Get / HTTP/1.1\nHost: a\n\n"), 501, nil},
	{"method non-token", cr("GE(T / HTTP/1.1\nHost: a\n\n"), 400, nil},
	{"CONNECT", cr("CONNECT example.com:443 HTTP/1.1\nHost: example.com:443\n\n"), 501, nil},
	{"authority-form on GET", cr("GET example.com:80 HTTP/1.1\nHost: a\n\n"), 400, nil},
	{"target high byte", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400, nil},
	{"target DEL", "GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400, nil},
	{"target CTL", "GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400, nil},
	{"target fragment", cr("GET /a#b HTTP/1.1\nHost: a\n\n"), 400, nil},
	{"target bad percent", cr("GET /a%zz HTTP/1.1\nHost: a\n\n"), 400, nil},
	{"target short percent", cr("GET /a%2 HTTP/1.1\nHost: a\n\n"), 400, nil},
	{"target relative", cr("GET a/b HTTP/1.1\nHost: a\n\n"), 400, nil},
	{"asterisk on GET", cr("GET * HTTP/1.1\nHost: a\n\n"), 400, nil},
	{"asterisk prefix", cr("OPTIONS *x HTTP/1.1\nHost: a\n\n"), 400, nil},
	{"absolute userinfo", cr("GET http://u:p@example.com/ HTTP/1.1\nHost: example.com\n\n"), 400, nil},
	{"absolute empty authority", cr("GET http:///x HTTP/1.1\nHost: a\n\n"), 400, nil},
	{"absolute other scheme", cr("GET ftp://example.com/ HTTP/1.1\nHost: a\n\n"), 400, nil},
	{"HTTP/0.9", cr("GET /\n\n"), 400, nil},
	{"empty version", cr("GET / \nHost: a\n\n"), 400, nil},
	{"HTTP/2.0", cr("GET / HTTP/2.0\nHost: a\n\n"), 505, nil},
	{"HTTP/3", cr("GET / HTTP/3\nHost: a\n\n"), 505, nil},
	{"HTTP/1.2", cr("GET / HTTP/1.2\nHost: a\n\n"), 505, nil},
	{"lowercase version", cr("GET / http/1.1\nHost: a\n\n"), 400, nil},
	{"HTTP/1.10", cr("GET / HTTP/1.10\nHost: a\n\n"), 400, nil},
	{"HTTP/1.1x", cr("GET / HTTP/1.1x\nHost: a\n\n"), 400, nil},

	// field lines
	{"space before colon", cr("GET / HTTP/1.1\nHost : a\n\n"), 400, nil},
	{"tab before colon", cr("GET / HTTP/1.1\nHost: a\nX\t: 1\n\n"), 400, nil},
	{"obs-fold", cr("GET / HTTP/1.1\nHost: a\nX: 1\n 2\n\n"), 400, nil},
	{"obs-fold tab", cr("GET / HTTP/1.1\nHost: a\nX: 1\n\t2\n\n"), 400, nil},
	{"space before first field", cr("GET / HTTP/1.1\n Host: a\n\n"), 400, nil},
	{"empty name", cr("GET / HTTP/1.1\nHost: a\n: x\n\n"), 400, nil},
	{"name non-token", cr("GET / HTTP/1.1\nHost: a\nX(y): 1\n\n"), 400, nil},
	{"no colon", cr("GET / HTTP/1.1\nHost: a\nFoo\n\n"), 400, nil},
	{"value CTL", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n", 400, nil},
	{"value DEL", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fb\r\n\r\n", 400, nil},
	{"value VT", "GET / HTTP/1.1\r\nHost: a\r\nX: a\vb\r\n\r\n", 400, nil},

	// Host
	{"missing Host", cr("GET / HTTP/1.1\nX: a\n\n"), 400, nil},
	{"repeated Host", cr("GET / HTTP/1.1\nHost: a\nhost: a\n\n"), 400, nil},
	{"repeated Host 1.0", cr("GET / HTTP/1.0\nHost: a\nHost: b\n\n"), 400, nil},
	{"Host empty", cr("GET / HTTP/1.1\nHost: \n\n"), 400, nil},
	{"Host SP", cr("GET / HTTP/1.1\nHost: a b\n\n"), 400, nil},
	{"Host userinfo", cr("GET / HTTP/1.1\nHost: u@a\n\n"), 400, nil},
	{"Host slash", cr("GET / HTTP/1.1\nHost: a/b\n\n"), 400, nil},
	{"Host list", cr("GET / HTTP/1.1\nHost: a, b\n\n"), 400, nil},
	{"Host bad port", cr("GET / HTTP/1.1\nHost: a:8x\n\n"), 400, nil},
	{"Host long port", cr("GET / HTTP/1.1\nHost: a:123456\n\n"), 400, nil},
	{"Host two colons", cr("GET / HTTP/1.1\nHost: a:1:2\n\n"), 400, nil},
	{"Host bad IPv6", cr("GET / HTTP/1.1\nHost: [::1\n\n"), 400, nil},
	{"Host only port", cr("GET / HTTP/1.1\nHost: :80\n\n"), 400, nil},

	// Content-Length
	{"CL plus", cr("POST / HTTP/1.1\nHost: a\nContent-Length: +5\n\n"), 400, nil},
	{"CL minus", cr("POST / HTTP/1.1\nHost: a\nContent-Length: -1\n\n"), 400, nil},
	{"CL list", cr("POST / HTTP/1.1\nHost: a\nContent-Length: 5, 5\n\n"), 400, nil},
	{"CL inner space", cr("POST / HTTP/1.1\nHost: a\nContent-Length: 5 5\n\n"), 400, nil},
	{"CL hex", cr("POST / HTTP/1.1\nHost: a\nContent-Length: 0x5\n\n"), 400, nil},
	{"CL empty", cr("POST / HTTP/1.1\nHost: a\nContent-Length:\n\n"), 400, nil},
	{"CL duplicate equal", cr("POST / HTTP/1.1\nHost: a\nContent-Length: 5\nContent-Length: 5\n\n"), 400, nil},
	{"CL 19 digits", cr("POST / HTTP/1.1\nHost: a\nContent-Length: 1000000000000000000\n\n"), 400, nil},
	{"CL overflow", cr("POST / HTTP/1.1\nHost: a\nContent-Length: 99999999999999999999999\n\n"), 400, nil},

	// Transfer-Encoding
	{"TE on 1.0", cr("POST / HTTP/1.0\nTransfer-Encoding: chunked\n\n"), 400, nil},
	{"TE gzip chunked", cr("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: gzip, chunked\n\n"), 501, nil},
	{"TE unknown then chunked", cr("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: foo,chunked\n\n"), 501, nil},
	{"TE chunked gzip", cr("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked, gzip\n\n"), 400, nil},
	{"TE chunked chunked", cr("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked, chunked\n\n"), 400, nil},
	{"TE two fields", cr("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\nTransfer-Encoding: chunked\n\n"), 400, nil},
	{"TE gzip only", cr("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: gzip\n\n"), 400, nil},
	{"TE unknown only", cr("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: xchunked\n\n"), 400, nil},
	{"TE trailing comma", cr("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked,\n\n"), 400, nil},
	{"TE leading comma", cr("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: , chunked\n\n"), 400, nil},
	{"TE empty", cr("POST / HTTP/1.1\nHost: a\nTransfer-Encoding:\n\n"), 400, nil},
	{"TE params", cr("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked;x=1\n\n"), 400, nil},
	{"TE and CL", cr("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\nContent-Length: 5\n\n"), 400, nil},
	{"CL and TE", cr("POST / HTTP/1.1\nHost: a\nContent-Length: 5\nTransfer-Encoding: chunked\n\n"), 400, nil},

	// Connection, Expect
	{"Connection non-token", cr("GET / HTTP/1.1\nHost: a\nConnection: clo se\n\n"), 400, nil},
	{"Expect other", cr("GET / HTTP/1.1\nHost: a\nExpect: 200-ok\n\n"), 417, nil},
	{"Expect empty", cr("GET / HTTP/1.1\nHost: a\nExpect:\n\n"), 417, nil},
}

// browserReq is a typical 400-odd-byte browser request.
var browserReq = cr(`GET /static/app.js?v=20240101 HTTP/1.1
Host: www.example.com
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0
Accept: */*
Accept-Language: en-US,en;q=0.5
Accept-Encoding: gzip, deflate, br, zstd
Referer: https://www.example.com/
Connection: keep-alive
Cookie: session=abcdef0123456789; theme=dark
Sec-Fetch-Dest: script
Sec-Fetch-Mode: no-cors
Sec-Fetch-Site: same-origin

`)

// parse runs Parse with default limits on a fresh Head.
func parse(raw string) (*Head, int, error) {
	h := new(Head)
	n, err := h.Parse([]byte(raw), Limits{})
	return h, n, err
}

func statusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

func headEnd(raw string) int { return strings.Index(raw, "\r\n\r\n") + 4 }

func TestParseHead(t *testing.T) {
	for _, c := range headCases {
		t.Run(c.name, func(t *testing.T) {
			h, n, err := parse(c.raw)
			if c.status != 0 {
				if got := statusOf(err); got != c.status {
					t.Fatalf("got n=%d err=%v (status %d), want status %d", n, err, got, c.status)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want accepted", err)
			}
			if want := headEnd(c.raw); n != want {
				t.Fatalf("n = %d, want %d", n, want)
			}
			if c.want != nil {
				if got := view(h); got != *c.want {
					t.Fatalf("got  %+v\nwant %+v", got, *c.want)
				}
			}
		})
	}
}

func TestParseHeadFields(t *testing.T) {
	h, _, err := parse("GET / HTTP/1.1\r\nHost: \t a \t\r\nX-Empty:\r\nX-Sp:   \r\nx-cAsE:  in side \r\nV: caf\xc3\xa9\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Host=a", "X-Empty=", "X-Sp=", "x-cAsE=in side", "V=caf\xc3\xa9"}
	if len(h.Fields) != len(want) {
		t.Fatalf("got %d fields", len(h.Fields))
	}
	for i, f := range h.Fields {
		if got := string(f.Name) + "=" + string(f.Value); got != want[i] {
			t.Errorf("field %d = %q, want %q", i, got, want[i])
		}
	}
	if v, ok := h.Lookup("X-CASE"); !ok || string(v) != "in side" {
		t.Errorf("Lookup = %q %v", v, ok)
	}
	if _, ok := h.Lookup("missing"); ok {
		t.Error("Lookup found a missing field")
	}
}

func TestParseHeadReuse(t *testing.T) {
	var h Head
	b1 := []byte(cr("POST /a HTTP/1.1\nHost: a\nContent-Length: 3\nExpect: 100-continue\nConnection: close\n\n"))
	b2 := []byte(cr("GET /b HTTP/1.0\n\n"))
	if _, err := h.Parse(b1, Limits{}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Parse(b2, Limits{}); err != nil {
		t.Fatal(err)
	}
	want := headView{Method: "GET", Target: "/b", Path: "/b", Version: 10, ContentLength: -1, Close: true}
	if got := view(&h); got != want || len(h.Fields) != 0 {
		t.Fatalf("got %+v with %d fields", got, len(h.Fields))
	}
}

func TestParseHeadLimits(t *testing.T) {
	lim := Limits{MaxRequestLine: 64, MaxHeaderBytes: 256, MaxHeaderCount: 4}
	line := func(n int) string { // a request line of n bytes
		return "GET /" + strings.Repeat("a", n-len("GET / HTTP/1.1")) + " HTTP/1.1"
	}
	host := "\r\nHost: a\r\n\r\n"
	pad := func(total int) string { // a head of total bytes
		fixed := len(cr("GET / HTTP/1.1\nHost: a\nX: \n\n"))
		return cr("GET / HTTP/1.1\nHost: a\nX: " + strings.Repeat("x", total-fixed) + "\n\n")
	}
	fields := func(n int) string {
		return cr("GET / HTTP/1.1\nHost: a\n" + strings.Repeat("X: 1\n", n-1) + "\n")
	}
	for _, c := range []struct {
		name   string
		raw    string
		status int
	}{
		{"line at limit", line(64) + host, 0},
		{"line over limit", line(65) + host, 414},
		{"line at limit after empty line", "\r\n" + line(64) + host, 0},
		{"line over limit, no CRLF yet", line(65)[:65], 414},
		{"line at limit, no CRLF yet", line(64), -1},
		{"long method", strings.Repeat("G", 65), 414},
		{"long version", "GET / HTTP/1.1" + strings.Repeat("1", 51), 414},
		{"head at limit", pad(256), 0},
		{"head over limit", pad(257), 431},
		{"head at limit, body follows", pad(256) + "xyz", 0},
		{"head over limit, no end yet", pad(257)[:256], 431},
		{"head one short, no end yet", pad(257)[:255], -1},
		{"fields at limit", fields(4), 0},
		{"fields over limit", fields(5), 431},
	} {
		t.Run(c.name, func(t *testing.T) {
			var h Head
			n, err := h.Parse([]byte(c.raw), lim)
			switch {
			case c.status == -1:
				if err != ErrNeedMore {
					t.Fatalf("got %d %v, want ErrNeedMore", n, err)
				}
			case c.status == 0:
				if err != nil || n != headEnd(c.raw) {
					t.Fatalf("got %d %v, want %d", n, err, headEnd(c.raw))
				}
			default:
				if statusOf(err) != c.status {
					t.Fatalf("got %d %v, want %d", n, err, c.status)
				}
			}
		})
	}
	if len(pad(256)) != 256 || len(line(64)) != 64 {
		t.Fatal("bad test helpers")
	}
}

// TestParseHeadPrefixes feeds every prefix: an accepted head needs more
// until it is complete and then parses as in one read; a rejected one
// needs more or fails with the status of the whole input.
func TestParseHeadPrefixes(t *testing.T) {
	for _, c := range headCases {
		t.Run(c.name, func(t *testing.T) {
			var h Head
			n0, err0 := h.Parse([]byte(c.raw), Limits{})
			v0 := view(&h)
			for k := 0; k <= len(c.raw); k++ {
				b := []byte(c.raw[:k]) // exact-size copy: reads past k would show
				n, err := h.Parse(b, Limits{})
				switch {
				case err0 == nil && k < n0:
					if err != ErrNeedMore {
						t.Fatalf("prefix %d: got %d %v, want ErrNeedMore", k, n, err)
					}
				case err0 == nil:
					if err != nil || n != n0 || view(&h) != v0 {
						t.Fatalf("prefix %d: got %d %v %+v, want %d %+v", k, n, err, view(&h), n0, v0)
					}
				case err != ErrNeedMore && statusOf(err) != statusOf(err0):
					t.Fatalf("prefix %d: got %d %v, whole input gives %v", k, n, err, err0)
				}
			}
		})
	}
}

func TestParseHeadAllocs(t *testing.T) {
	var h Head
	b := []byte(browserReq)
	if _, err := h.Parse(b, Limits{}); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(100, func() { h.Parse(b, Limits{}) }); a != 0 {
		t.Fatalf("%v allocations per Parse, want 0", a)
	}
}

// netHTTP parses raw with net/http. ok is false when it refuses it.
func netHTTP(raw []byte) (req *http.Request, ok bool) {
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	return req, err == nil
}

// agree reports how porter's accepted head differs from net/http's, or "".
func agree(h *Head, req *http.Request) string {
	if req.Method != string(h.Method) {
		return fmt.Sprintf("method %q vs net/http %q", h.Method, req.Method)
	}
	if req.RequestURI != string(h.Target) {
		return fmt.Sprintf("target %q vs net/http %q", h.Target, req.RequestURI)
	}
	netChunked := len(req.TransferEncoding) > 0 && req.TransferEncoding[0] == "chunked"
	if netChunked != h.Chunked {
		return fmt.Sprintf("chunked %v vs net/http %v", h.Chunked, req.TransferEncoding)
	}
	if !h.Chunked {
		cl := max(h.ContentLength, 0)
		if req.ContentLength != cl {
			return fmt.Sprintf("content length %d vs net/http %d", cl, req.ContentLength)
		}
	}
	if req.Close != h.Close {
		return fmt.Sprintf("close %v vs net/http %v", h.Close, req.Close)
	}
	return ""
}

// variants derives requests from the table's: forms that proxies and
// servers are known to read differently, and harmless ones.
func variants() []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	insert := func(raw, line string) string { // a field line after the request line
		i := strings.Index(raw, "\r\n")
		if i < 0 {
			return raw
		}
		return raw[:i+2] + line + raw[i+2:]
	}
	for _, c := range headCases {
		add(c.raw)
		if c.status != 0 {
			continue
		}
		r := c.raw
		add(strings.ReplaceAll(r, "\r\n", "\n"))
		add(strings.ToLower(r[:3]) + r[3:])
		add(strings.Replace(r, " ", "\t", 1))
		add(strings.Replace(r, " ", "  ", 1))
		add(strings.Replace(r, "HTTP/1.1", "HTTP/1.0", 1))
		add(strings.Replace(r, "HTTP/1.1", "HTTP/1.2", 1))
		add(strings.Replace(r, "HTTP/1.1\r\n", "HTTP/1.1 \r\n", 1))
		add("\r\n\r\n" + r)
		add(insert(r, "Content-Length: 3\r\nContent-Length: 3\r\n"))
		add(insert(r, "Content-Length: 3, 3\r\n"))
		add(insert(r, "Content-Length : 3\r\n"))
		add(insert(r, "Content-Length: +3\r\n"))
		add(insert(r, "X-Fold: a\r\n b\r\n"))
		add(insert(r, " X-Lead: a\r\n"))
		add(insert(r, "Transfer-Encoding: chunked\r\n"))
		add(insert(r, "Transfer-Encoding: gzip, chunked\r\n"))
		add(insert(r, "Transfer-Encoding: chunked, identity\r\n"))
		add(insert(r, "Transfer-Encoding: identity\r\n"))
		add(insert(r, "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"))
		add(insert(r, "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n"))
		add(insert(r, "Transfer-Encoding : chunked\r\n"))
		add(insert(r, "Transfer-Encoding: \x0bchunked\r\n"))
		add(insert(r, "Host: other\r\n"))
		add(insert(r, "X-Nul: a\x00b\r\n"))
		add(insert(r, "X-Ctl: a\x01b\r\n"))
		add(insert(r, "X-Cr: a\rb\r\n"))
		add(insert(r, "Expect: 100-continue\r\n"))
		add(insert(r, "Expect: foo\r\n"))
		add(insert(r, "Connection: close\r\n"))
		add(insert(r, "Connection: keep-alive\r\n"))
		add(insert(r, "Content-Length: 0003\r\n"))
		add(insert(r, "X-Empty:\r\n"))
		add(strings.Replace(r, " /", " /#frag", 1))
		add(strings.Replace(r, " /", " /%zz", 1))
		add(strings.Replace(r, " /", " /\xc3\xa9", 1))
		add(strings.Replace(r, " /", " //x/../y", 1))
		add(strings.Replace(r, " /", " http://h.example/", 1))
		add(strings.Replace(r, " /", " http://u@h.example/", 1))
		add(strings.Replace(r, "Host: a", "Host: a b", 1))
		add(strings.Replace(r, "Host: a", "Host: ", 1))
		add(strings.Replace(r, "Host: a", "Host: a@b", 1))
		add(strings.Replace(r, "Host: a", "X-Host: a", 1))
	}
	return out
}

// TestParseHeadNetHTTP compares porter with net/http where both accept,
// and logs what net/http's ReadRequest accepts and porter refuses.
func TestParseHeadNetHTTP(t *testing.T) {
	both, onlyPorter := 0, 0
	refused := map[string][]string{} // porter's reason: inputs
	var reasons []string
	for _, raw := range variants() {
		var h Head
		_, err := h.Parse([]byte(raw), Limits{})
		req, netOK := netHTTP([]byte(raw))
		switch {
		case err == nil && netOK:
			both++
			if d := agree(&h, req); d != "" {
				t.Errorf("%q: %s", raw, d)
			}
		case netOK && err != ErrNeedMore:
			r := fmt.Sprintf("%d %v", statusOf(err), err)
			if refused[r] == nil {
				reasons = append(reasons, r)
			}
			refused[r] = append(refused[r], raw)
		case err == nil:
			onlyPorter++
			t.Logf("porter accepts, net/http refuses: %q", raw)
		}
	}
	for _, r := range reasons {
		t.Logf("net/http accepts, porter %s: %d inputs, e.g. %q", r, len(refused[r]), refused[r][0])
	}
	t.Logf("both accept %d; porter only %d", both, onlyPorter)
	if both < 50 {
		t.Errorf("only %d inputs accepted by both", both)
	}
}

// The word-at-a-time scans stop where a byte-at-a-time scan of the same
// class stops, for every byte value at every offset within and across
// words, and for a second bad byte after the first.
func TestScansStopAtTheFirstBadByte(t *testing.T) {
	byByte := func(class *[256]bool, w []byte, i, end int) int {
		for i < end && class[w[i]] {
			i++
		}
		return i
	}
	for n := 0; n <= 19; n++ {
		for at := 0; at < n; at++ {
			for c := 0; c < 256; c++ {
				w := bytes.Repeat([]byte{'a'}, n)
				w[at] = byte(c)
				if at+3 < n {
					w[at+3] = 0x7f // borrows from the first byte must not hide or fake it
				}
				for start := 0; start <= 2 && start <= n; start++ {
					if got, want := skipValue(w, start), byByte(&valueChar, w, start, n); got != want {
						t.Fatalf("skipValue(%q, %d) = %d, want %d", w, start, got, want)
					}
					if got, want := skipTarget(w, start, n), byByte(&targetChar, w, start, n); got != want {
						t.Fatalf("skipTarget(%q, %d) = %d, want %d", w, start, got, want)
					}
				}
			}
		}
	}
}
