package wire

import (
	"fmt"
	"strings"
	"testing"
)

// The expected statuses are the rules at the top of core/http1/head.go and
// on Chunked in core/http1/chunked.go, with the limits of core/config.go
// and http1.DefaultChunkLimits. A refused request gets exactly one
// response and then the server closes the connection, so nothing sent
// after the bad bytes is ever answered.

// wireCase is one request (or several, pipelined) sent in one piece.
type wireCase struct {
	name   string
	req    string
	status int      // 200: answered by the echo; else refused with status, then closed
	want   echo     // for 200: compared by echo.check
	closes bool     // for 200: the exchange ends the connection; else it stays open
	lacks  []string // for 200: header names the echo must not list
}

// runCases runs each case as a parallel subtest.
func runCases(t *testing.T, cases []wireCase) {
	for _, wc := range cases {
		t.Run(wc.name, func(t *testing.T) {
			t.Parallel()
			runCase(t, wc, false)
		})
	}
}

func runCase(t *testing.T, wc wireCase, slow bool) {
	c := dial(t)
	c.send(wc.req, slow)
	resp, body := c.response()
	if resp.StatusCode != wc.status {
		t.Errorf("status %d %q, want %d", resp.StatusCode, snippet(body), wc.status)
	}
	if wc.status != 200 {
		c.expectClosed()
		return
	}
	if resp.StatusCode != 200 {
		return
	}
	e := decodeEcho(t, body)
	e.check(t, wc.want)
	for _, name := range wc.lacks {
		if v, ok := e.header(name); ok {
			t.Errorf("headers list %s: %q", name, v)
		}
	}
	if wc.closes {
		c.expectClosed()
	} else {
		c.expectOpen()
	}
}

// cr turns every "\n" of s into CRLF, so that cases read like requests.
func cr(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// smuggled follows a refused head in some cases: if the server took the
// bytes after the bad framing for a request, it would answer it.
const smuggled = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"

var lineEndingCases = []wireCase{
	{name: "bare LF ends the request line", req: "GET / HTTP/1.1\nHost: a\r\n\r\n", status: 400},
	{name: "bare LF ends a field line", req: "GET / HTTP/1.1\r\nHost: a\n\r\n", status: 400},
	{name: "bare LF ends the head", req: "GET / HTTP/1.1\r\nHost: a\r\n\n", status: 400},
	{name: "bare LF everywhere", req: "GET / HTTP/1.1\nHost: a\n\n", status: 400},
	{name: "bare CR in the request line", req: "GET / HTTP/1.1\rHost: a\r\n\r\n", status: 400},
	{name: "bare CR in the method", req: "GE\rT / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "bare CR in a field value", req: "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", status: 400},
	{name: "bare CR instead of the empty line", req: "GET / HTTP/1.1\r\nHost: a\r\n\rX: b\r\n\r\n", status: 400},
	{name: "NUL in the method", req: "G\x00ET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "NUL in the target", req: "GET /\x00 HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "NUL in a field name", req: "GET / HTTP/1.1\r\nHost: a\r\nX\x00: 1\r\n\r\n", status: 400},
	{name: "NUL in a field value", req: "GET / HTTP/1.1\r\nHost: a\r\nX: 1\x002\r\n\r\n", status: 400},
	{name: "one empty line before the request line is skipped", req: cr("\nGET /x HTTP/1.1\nHost: a\n\n"),
		status: 200, want: echo{Target: "/x"}},
	{name: "two empty lines before the request line", req: cr("\n\nGET / HTTP/1.1\nHost: a\n\n"), status: 400},
	{name: "bare LF before the request line", req: "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "whitespace before the request line", req: cr(" GET / HTTP/1.1\nHost: a\n\n"), status: 400},
}

var requestLineCases = []wireCase{
	{name: "simple GET", req: cr("GET / HTTP/1.1\nHost: a\n\n"), status: 200,
		want: echo{Method: "GET", Target: "/", Path: "/", Version: "HTTP/1.1"}},
	{name: "path and query split at the first question mark", req: cr("GET /p/q?x=1&y=%2F?z HTTP/1.1\nHost: a\n\n"), status: 200,
		want: echo{Target: "/p/q?x=1&y=%2F?z", Path: "/p/q", Query: "x=1&y=%2F?z"}},
	{name: "extension method in uppercase", req: cr("PURGE /x HTTP/1.1\nHost: a\n\n"), status: 200, want: echo{Method: "PURGE"}},
	{name: "lowercase method", req: cr("get / HTTP/1.1\nHost: a\n\n"), status: 501},
	{name: "mixed-case method", req: cr("Get / HTTP/1.1\nHost: a\n\n"), status: 501},
	{name: "CONNECT", req: cr("CONNECT example.com:443 HTTP/1.1\nHost: example.com:443\n\n"), status: 501},
	{name: "method with a non-token byte", req: cr("GE(T / HTTP/1.1\nHost: a\n\n"), status: 400},
	{name: "method with a high byte", req: cr("G\xc9T / HTTP/1.1\nHost: a\n\n"), status: 400},
	{name: "two spaces after the method", req: cr("GET  / HTTP/1.1\nHost: a\n\n"), status: 400},
	{name: "two spaces before the version", req: cr("GET /  HTTP/1.1\nHost: a\n\n"), status: 400},
	{name: "tab as a separator", req: cr("GET\t/ HTTP/1.1\nHost: a\n\n"), status: 400},
	{name: "space after the version", req: cr("GET / HTTP/1.1 \nHost: a\n\n"), status: 400},
	{name: "target with a high byte", req: cr("GET /caf\xc3\xa9 HTTP/1.1\nHost: a\n\n"), status: 400},
	{name: "target with DEL", req: cr("GET /\x7f HTTP/1.1\nHost: a\n\n"), status: 400},
	{name: "target with a control byte", req: cr("GET /\x01 HTTP/1.1\nHost: a\n\n"), status: 400},
	{name: "target with a fragment", req: cr("GET /a#b HTTP/1.1\nHost: a\n\n"), status: 400},
	{name: "target with a malformed percent-escape", req: cr("GET /a%zz HTTP/1.1\nHost: a\n\n"), status: 400},
	{name: "target with a truncated percent-escape", req: cr("GET /a%2 HTTP/1.1\nHost: a\n\n"), status: 400},
	{name: "relative target", req: cr("GET a/b HTTP/1.1\nHost: a\n\n"), status: 400},
	{name: "authority-form on GET", req: cr("GET example.com:80 HTTP/1.1\nHost: a\n\n"), status: 400},
	{name: "asterisk-form on OPTIONS", req: cr("OPTIONS * HTTP/1.1\nHost: a\n\n"), status: 200,
		want: echo{Method: "OPTIONS", Target: "*", Path: "*"}},
	{name: "asterisk-form on GET", req: cr("GET * HTTP/1.1\nHost: a\n\n"), status: 400},
	{name: "absolute-form", req: cr("GET http://example.com:8080/a/b?c HTTP/1.1\nHost: a\n\n"), status: 200,
		want: echo{Target: "http://example.com:8080/a/b?c", Path: "/a/b", Query: "c"}},
	{name: "absolute-form with userinfo", req: cr("GET http://u:p@example.com/ HTTP/1.1\nHost: example.com\n\n"), status: 400},
	{name: "absolute-form with an empty authority", req: cr("GET http:///x HTTP/1.1\nHost: a\n\n"), status: 400},
	{name: "absolute-form with another scheme", req: cr("GET ftp://example.com/ HTTP/1.1\nHost: a\n\n"), status: 400},
}

var versionCases = []wireCase{
	{name: "HTTP/1.0", req: cr("GET / HTTP/1.0\n\n"), status: 200, want: echo{Version: "HTTP/1.0"}, closes: true},
	{name: "HTTP/0.9 request without a version", req: "GET /\r\n", status: 400},
	{name: "empty version", req: cr("GET / \nHost: a\n\n"), status: 400},
	{name: "HTTP/2.0", req: cr("GET / HTTP/2.0\nHost: a\n\n"), status: 505},
	{name: "HTTP/2", req: cr("GET / HTTP/2\nHost: a\n\n"), status: 505},
	{name: "HTTP/3", req: cr("GET / HTTP/3\nHost: a\n\n"), status: 505},
	{name: "HTTP/3.0", req: cr("GET / HTTP/3.0\nHost: a\n\n"), status: 505},
	{name: "HTTP/1.2", req: cr("GET / HTTP/1.2\nHost: a\n\n"), status: 505},
	// The preface is refused at its "*" target, before the version is read.
	{name: "HTTP/2 connection preface", req: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", status: 400},
	{name: "lowercase version", req: cr("GET / http/1.1\nHost: a\n\n"), status: 400},
	{name: "version HTTP/1.10", req: cr("GET / HTTP/1.10\nHost: a\n\n"), status: 400},
	{name: "version HTTP/11", req: cr("GET / HTTP/11\nHost: a\n\n"), status: 400},
	{name: "version with trailing junk", req: cr("GET / HTTP/1.1x\nHost: a\n\n"), status: 400},
}

var fieldLineCases = []wireCase{
	{name: "OWS around values and empty values", req: "GET / HTTP/1.1\r\nHost: \t a \t\r\nX-Empty:\r\nX-Sp:   \r\n\r\n", status: 200},
	{name: "obs-fold with a space", req: cr("GET / HTTP/1.1\nHost: a\nX: 1\n 2\n\n"), status: 400},
	{name: "obs-fold with a tab", req: cr("GET / HTTP/1.1\nHost: a\nX: 1\n\t2\n\n"), status: 400},
	{name: "whitespace before the first field", req: cr("GET / HTTP/1.1\n Host: a\n\n"), status: 400},
	{name: "space before the colon", req: cr("GET / HTTP/1.1\nHost : a\n\n"), status: 400},
	{name: "tab before the colon", req: cr("GET / HTTP/1.1\nHost: a\nX\t: 1\n\n"), status: 400},
	{name: "space before the colon of Content-Length", req: cr("POST / HTTP/1.1\nHost: a\nContent-Length : 5\n\nhello") + smuggled, status: 400},
	{name: "empty field name", req: cr("GET / HTTP/1.1\nHost: a\n: x\n\n"), status: 400},
	{name: "field name with a non-token byte", req: cr("GET / HTTP/1.1\nHost: a\nX(y): 1\n\n"), status: 400},
	{name: "field name with a high byte", req: cr("GET / HTTP/1.1\nHost: a\nX\xc3\xa9: 1\n\n"), status: 400},
	{name: "field line without a colon", req: cr("GET / HTTP/1.1\nHost: a\nFoo\n\n"), status: 400},
	{name: "field value with a control byte", req: cr("GET / HTTP/1.1\nHost: a\nX: a\x01b\n\n"), status: 400},
	{name: "field value with DEL", req: cr("GET / HTTP/1.1\nHost: a\nX: a\x7fb\n\n"), status: 400},
	{name: "field value with a vertical tab", req: cr("GET / HTTP/1.1\nHost: a\nX: a\vb\n\n"), status: 400},
}

var hostCases = []wireCase{
	{name: "HTTP/1.0 without Host", req: cr("GET / HTTP/1.0\n\n"), status: 200, closes: true},
	{name: "IP-literal with a port", req: cr("GET / HTTP/1.1\nHost: [2001:db8::1]:8080\n\n"), status: 200},
	{name: "empty port", req: cr("GET / HTTP/1.1\nHost: a:\n\n"), status: 200},
	{name: "sub-delims and percent-escapes", req: cr("GET / HTTP/1.1\nHost: a%2Db!$&'()*+,;=~_.-\n\n"), status: 200},
	{name: "missing on HTTP/1.1", req: cr("GET / HTTP/1.1\nX: a\n\n"), status: 400},
	{name: "repeated with the same value", req: cr("GET / HTTP/1.1\nHost: a\nhost: a\n\n"), status: 400},
	{name: "repeated with another value", req: cr("GET / HTTP/1.1\nHost: a\nHost: b\n\n"), status: 400},
	{name: "repeated on HTTP/1.0", req: cr("GET / HTTP/1.0\nHost: a\nHost: a\n\n"), status: 400},
	{name: "empty", req: cr("GET / HTTP/1.1\nHost: \n\n"), status: 400},
	{name: "with a space", req: cr("GET / HTTP/1.1\nHost: a b\n\n"), status: 400},
	{name: "with userinfo", req: cr("GET / HTTP/1.1\nHost: u@a\n\n"), status: 400},
	{name: "with a path", req: cr("GET / HTTP/1.1\nHost: a/b\n\n"), status: 400},
	{name: "list", req: cr("GET / HTTP/1.1\nHost: a, b\n\n"), status: 400},
	{name: "non-digit port", req: cr("GET / HTTP/1.1\nHost: a:8x\n\n"), status: 400},
	{name: "six-digit port", req: cr("GET / HTTP/1.1\nHost: a:123456\n\n"), status: 400},
	{name: "unclosed IP-literal", req: cr("GET / HTTP/1.1\nHost: [::1\n\n"), status: 400},
	{name: "port only", req: cr("GET / HTTP/1.1\nHost: :80\n\n"), status: 400},
}

// post is the head of a POST with extra field lines (each ending in "\n").
func post(fields string) string { return cr("POST /f HTTP/1.1\nHost: a\n" + fields + "\n") }

var contentLengthCases = []wireCase{
	{name: "body", req: post("Content-Length: 5\n") + "hello", status: 200, want: bodyOf("hello")},
	{name: "leading zeros and OWS", req: post("Content-Length:  007 \n") + "1234567", status: 200, want: bodyOf("1234567")},
	{name: "on GET", req: cr("GET / HTTP/1.1\nHost: a\nContent-Length: 2\n\nhi"), status: 200, want: bodyOf("hi")},
	{name: "none: empty body, no 411", req: post(""), status: 200, want: bodyOf("")},
	{name: "repeated with the same value", req: post("Content-Length: 5\nContent-Length: 5\n") + "hello" + smuggled, status: 400},
	{name: "repeated with another value", req: post("Content-Length: 5\nContent-Length: 6\n") + "hello\n" + smuggled, status: 400},
	{name: "list", req: post("Content-Length: 5, 5\n") + "hello", status: 400},
	{name: "plus sign", req: post("Content-Length: +5\n") + "hello", status: 400},
	{name: "negative", req: post("Content-Length: -1\n"), status: 400},
	{name: "hex", req: post("Content-Length: 0x5\n") + "hello", status: 400},
	{name: "empty", req: post("Content-Length:\n"), status: 400},
	{name: "inner space", req: post("Content-Length: 5 5\n"), status: 400},
	{name: "19 digits", req: post("Content-Length: 1000000000000000000\n"), status: 400},
	{name: "overflowing int64", req: post("Content-Length: 99999999999999999999999\n"), status: 400},
}

var transferEncodingCases = []wireCase{
	{name: "chunked in any case with OWS", req: post("Transfer-Encoding:  ChUnKeD \t\n") + "5\r\nhello\r\n0\r\n\r\n",
		status: 200, want: bodyOf("hello")},
	{name: "on HTTP/1.0", req: cr("POST / HTTP/1.0\nTransfer-Encoding: chunked\n\n0\n\n"), status: 400},
	{name: "identity on HTTP/1.0", req: cr("POST / HTTP/1.0\nTransfer-Encoding: identity\n\n"), status: 400},
	{name: "gzip then chunked", req: post("Transfer-Encoding: gzip, chunked\n") + "0\r\n\r\n", status: 501},
	{name: "unknown coding then chunked", req: post("Transfer-Encoding: foo,chunked\n") + "0\r\n\r\n", status: 501},
	{name: "chunked not last", req: post("Transfer-Encoding: chunked, gzip\n") + "0\r\n\r\n", status: 400},
	{name: "gzip only", req: post("Transfer-Encoding: gzip\n"), status: 400},
	{name: "identity only", req: post("Transfer-Encoding: identity\n"), status: 400},
	{name: "unknown coding only", req: post("Transfer-Encoding: xchunked\n"), status: 400},
	{name: "chunked twice", req: post("Transfer-Encoding: chunked, chunked\n") + "0\r\n\r\n", status: 400},
	{name: "two fields", req: post("Transfer-Encoding: chunked\nTransfer-Encoding: chunked\n") + "0\r\n\r\n", status: 400},
	{name: "trailing comma", req: post("Transfer-Encoding: chunked,\n") + "0\r\n\r\n", status: 400},
	{name: "leading comma", req: post("Transfer-Encoding: , chunked\n") + "0\r\n\r\n", status: 400},
	{name: "empty", req: post("Transfer-Encoding:\n"), status: 400},
	{name: "with parameters", req: post("Transfer-Encoding: chunked;x=1\n") + "0\r\n\r\n", status: 400},
	{name: "vertical tab before chunked", req: post("Transfer-Encoding: \vchunked\n") + "0\r\n\r\n", status: 400},
	{name: "and Content-Length after it", req: post("Transfer-Encoding: chunked\nContent-Length: 6\n") + "0\r\n\r\nG" + smuggled, status: 400},
	{name: "and Content-Length before it", req: post("Content-Length: 6\nTransfer-Encoding: chunked\n") + "0\r\n\r\nG" + smuggled, status: 400},
}

var connectionCases = []wireCase{
	{name: "HTTP/1.0 closes after the response", req: cr("GET / HTTP/1.0\n\n"), status: 200, closes: true},
	{name: "HTTP/1.0 with keep-alive stays open", req: cr("GET / HTTP/1.0\nConnection: keep-alive\n\n"), status: 200},
	{name: "close ends the connection", req: cr("GET / HTTP/1.1\nHost: a\nConnection: close\n\n"), status: 200, closes: true},
	{name: "close in a list with empty elements", req: cr("GET / HTTP/1.1\nHost: a\nConnection: , keep-alive,,CLOSE ,\n\n"),
		status: 200, closes: true},
	{name: "element not a token", req: cr("GET / HTTP/1.1\nHost: a\nConnection: clo se\n\n"), status: 400},
	{name: "Expect other than 100-continue", req: cr("GET / HTTP/1.1\nHost: a\nExpect: 200-ok\n\n"), status: 417},
	{name: "empty Expect", req: cr("GET / HTTP/1.1\nHost: a\nExpect:\n\n"), status: 417},
}

func TestLineEndings(t *testing.T)      { t.Parallel(); runCases(t, lineEndingCases) }
func TestRequestLine(t *testing.T)      { t.Parallel(); runCases(t, requestLineCases) }
func TestVersion(t *testing.T)          { t.Parallel(); runCases(t, versionCases) }
func TestFieldLines(t *testing.T)       { t.Parallel(); runCases(t, fieldLineCases) }
func TestHost(t *testing.T)             { t.Parallel(); runCases(t, hostCases) }
func TestContentLength(t *testing.T)    { t.Parallel(); runCases(t, contentLengthCases) }
func TestTransferEncoding(t *testing.T) { t.Parallel(); runCases(t, transferEncodingCases) }
func TestConnection(t *testing.T)       { t.Parallel(); runCases(t, connectionCases) }

// The head limits are core.Config's defaults, counted as head.go counts:
// MaxRequestLine the request line without its CRLF (a skipped empty line
// before it not included); MaxHeaderBytes the whole head from its first
// byte (a skipped empty line included) through the CRLF of the empty line
// that ends it; MaxHeaderCount every field line, Host included.
const (
	maxRequestLine = 8 << 10
	maxHeaderBytes = 64 << 10
	maxHeaderCount = 100
	maxBodyBytes   = 8 << 20
)

// requestLine is a request line of n bytes, without CRLF.
func requestLine(n int) string {
	return "GET /" + strings.Repeat("a", n-len("GET / HTTP/1.1")) + " HTTP/1.1"
}

// headOf is a complete head of n bytes.
func headOf(n int) string {
	fixed := len(cr("GET / HTTP/1.1\nHost: a\nX: \n\n"))
	return cr("GET / HTTP/1.1\nHost: a\nX: " + strings.Repeat("x", n-fixed) + "\n\n")
}

// withFields is a head with n field lines, Host included.
func withFields(n int) string {
	return cr("GET / HTTP/1.1\nHost: a\n" + strings.Repeat("X: 1\n", n-1) + "\n")
}

func TestLimits(t *testing.T) {
	t.Parallel()
	if len(requestLine(maxRequestLine)) != maxRequestLine || len(headOf(maxHeaderBytes)) != maxHeaderBytes {
		t.Fatal("the test's helpers are wrong")
	}
	host := "\r\nHost: a\r\n\r\n"
	runCases(t, []wireCase{
		{name: "request line at the limit", req: requestLine(maxRequestLine) + host, status: 200},
		{name: "request line one byte over", req: requestLine(maxRequestLine+1) + host, status: 414},
		{name: "request line at the limit after an empty line", req: "\r\n" + requestLine(maxRequestLine) + host, status: 200},
		// Refused once the byte past the limit is in, before any CRLF.
		{name: "request line one byte over, CRLF not sent", req: requestLine(maxRequestLine + 1), status: 414},
		{name: "method longer than the request line limit", req: strings.Repeat("G", maxRequestLine+1), status: 414},
		{name: "head at the limit", req: headOf(maxHeaderBytes), status: 200},
		{name: "head one byte over", req: headOf(maxHeaderBytes + 1), status: 431},
		{name: "head at the limit with an empty line first", req: "\r\n" + headOf(maxHeaderBytes-2), status: 200},
		{name: "head one byte over with an empty line first", req: "\r\n" + headOf(maxHeaderBytes-1), status: 431},
		// Refused once MaxHeaderBytes bytes are in and the head has not ended.
		{name: "head one byte over, last byte not sent", req: headOf(maxHeaderBytes + 1)[:maxHeaderBytes], status: 431},
		{name: "fields at the limit", req: withFields(maxHeaderCount), status: 200},
		{name: "fields one over", req: withFields(maxHeaderCount + 1), status: 431},
	})
}

// chunkedBody frames data in chunks of at most chunk bytes.
func chunkedBody(data string, chunk int) string {
	var b strings.Builder
	for len(data) > 0 {
		k := min(chunk, len(data))
		fmt.Fprintf(&b, "%x\r\n%s\r\n", k, data[:k])
		data = data[k:]
	}
	b.WriteString("0\r\n\r\n")
	return b.String()
}

// payload is n bytes of varied data.
func payload(n int) string {
	return strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_", n/64+1)[:n]
}

// The body limit is MaxBodyBytes of buffered body: a Content-Length over
// it is refused before any body byte is read, a chunked body once its
// data passes it.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	atLimit, over := payload(maxBodyBytes), payload(maxBodyBytes+1)
	runCases(t, []wireCase{
		{name: "Content-Length at the limit", req: post(fmt.Sprintf("Content-Length: %d\n", maxBodyBytes)) + atLimit,
			status: 200, want: bodyOf(atLimit)},
		// No body is sent: the 413 must come without it.
		{name: "Content-Length one byte over, refused before the body", req: post(fmt.Sprintf("Content-Length: %d\n", maxBodyBytes+1)),
			status: 413},
		{name: "chunked at the limit", req: post("Transfer-Encoding: chunked\n") + chunkedBody(atLimit, 64<<10),
			status: 200, want: bodyOf(atLimit)},
		{name: "chunked one byte over", req: post("Transfer-Encoding: chunked\n") + chunkedBody(over, 64<<10), status: 413},
	})
}

// chunked is the head of a chunked POST.
var chunked = post("Transfer-Encoding: chunked\n")

// ext1k is a chunk line for one byte of data with 1024 bytes of
// extension (";" counted), the per-line limit.
var ext1k = "1;" + strings.Repeat("e", 1023) + "\r\nx\r\n"

var chunkedCases = []wireCase{
	{name: "one chunk", req: chunked + "5\r\nhello\r\n0\r\n\r\n", status: 200, want: bodyOf("hello")},
	{name: "empty body", req: chunked + "0\r\n\r\n", status: 200, want: bodyOf("")},
	{name: "hex sizes in both cases", req: chunked + "3\r\nhel\r\nA\r\nlo, world!\r\nb\r\n0123456789a\r\n0\r\n\r\n",
		status: 200, want: bodyOf("hello, world!0123456789a")},
	{name: "leading zeros in sizes", req: chunked + "0005\r\nhello\r\n000\r\n\r\n", status: 200, want: bodyOf("hello")},
	{name: "16-digit size", req: chunked + "0000000000000005\r\nhello\r\n0\r\n\r\n", status: 200, want: bodyOf("hello")},
	{name: "CRLF and NUL inside data", req: chunked + "6\r\n\r\n\x00\r\n\n\r\n0\r\n\r\n", status: 200, want: bodyOf("\r\n\x00\r\n\n")},
	{name: "extensions with BWS, tokens and quoted strings", req: chunked + "5 \t; a \t= \"x;\\\"y\" ;b\t=\tc;d\r\nhello\r\n0;end=\"yes\"\r\n\r\n",
		status: 200, want: bodyOf("hello")},
	{name: "extension at the line limit", req: chunked + ext1k + "0\r\n\r\n", status: 200, want: bodyOf("x")},
	{name: "extensions at the body limit", req: chunked + strings.Repeat(ext1k, 16) + "0\r\n\r\n",
		status: 200, want: bodyOf(strings.Repeat("x", 16))},
	{name: "size not hex", req: chunked + "zz\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "size empty", req: chunked + "\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "size with 0x", req: chunked + "0x5\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "size with a sign", req: chunked + "+5\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "negative size", req: chunked + "-5\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "size with 17 digits", req: chunked + "00000000000000005\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "size over int64", req: chunked + "8000000000000000\r\n", status: 400},
	{name: "whitespace before the size", req: chunked + " 5\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "whitespace after the size", req: chunked + "5 \r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "junk after the size", req: chunked + "5 xyz\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "NUL in the size", req: chunked + "5\x00\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "bare LF after the size", req: chunked + "5\nhello\r\n0\r\n\r\n", status: 400},
	{name: "bare CR after the size", req: chunked + "5\rhello\r\n0\r\n\r\n", status: 400},
	{name: "data longer than its size", req: chunked + "5\r\nhelloX\r\n0\r\n\r\n" + smuggled, status: 400},
	{name: "data shorter than its size", req: chunked + "5\r\nhell\r\n0\r\n\r\n", status: 400},
	{name: "data ends in bare LF", req: chunked + "5\r\nhello\n0\r\n\r\n", status: 400},
	{name: "last chunk ends in bare LF", req: chunked + "5\r\nhello\r\n0\n\r\n", status: 400},
	{name: "body ends in bare LF", req: chunked + "5\r\nhello\r\n0\r\n\n", status: 400},
	{name: "empty extension", req: chunked + "5;\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "extension without a name", req: chunked + "5;=x\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "extension without a value", req: chunked + "5;a=\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "extension with an unterminated quote", req: chunked + "5;a=\"b\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "extension with a control byte in quotes", req: chunked + "5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "extension one byte over the line limit", req: chunked + "1;" + strings.Repeat("e", 1024) + "\r\nx\r\n0\r\n\r\n", status: 400},
	{name: "extensions over the body limit", req: chunked + strings.Repeat(ext1k, 17) + "0\r\n\r\n", status: 400},
}

func TestChunked(t *testing.T) { t.Parallel(); runCases(t, chunkedCases) }

// forbiddenTrailers frame, route or authenticate a message; chunked.go
// refuses them in a trailer section.
var forbiddenTrailers = []string{
	"Content-Length", "Transfer-Encoding", "Host", "Trailer", "TE", "Connection",
	"Keep-Alive", "Proxy-Connection", "Upgrade", "Expect", "Content-Encoding",
	"Content-Type", "Content-Range", "Authorization", "Proxy-Authorization", "Cookie",
}

// The trailer limits are http1.DefaultChunkLimits: 32 fields, 8 KiB of
// field lines (CRLFs included, the final empty line not).
func TestTrailers(t *testing.T) {
	t.Parallel()
	fieldsOf := func(n int) string { // n trailer field lines
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "X-T%d: v\r\n", i)
		}
		return b.String()
	}
	bytesOf := func(n int) string { return "X: " + strings.Repeat("v", n-len("X: \r\n")) + "\r\n" }
	cases := []wireCase{
		{name: "trailers are not merged into the headers", req: chunked + "5\r\nhello\r\n0\r\nX-Sum: abc\r\nX-Other: d e\r\n\r\n",
			status: 200, want: bodyOf("hello"), lacks: []string{"X-Sum", "X-Other"}},
		{name: "count at the limit", req: chunked + "0\r\n" + fieldsOf(32) + "\r\n", status: 200, lacks: []string{"X-T0", "X-T31"}},
		{name: "count one over", req: chunked + "0\r\n" + fieldsOf(33) + "\r\n", status: 431},
		{name: "size at the limit", req: chunked + "0\r\n" + bytesOf(8<<10) + "\r\n", status: 200, lacks: []string{"X"}},
		{name: "size one byte over", req: chunked + "0\r\n" + bytesOf(8<<10+1) + "\r\n", status: 431},
		{name: "obs-fold", req: chunked + "0\r\nX: a\r\n b\r\n\r\n", status: 400},
		{name: "whitespace before the colon", req: chunked + "0\r\nX : a\r\n\r\n", status: 400},
		{name: "line without a colon", req: chunked + "0\r\nX\r\n\r\n", status: 400},
		{name: "bare LF", req: chunked + "0\r\nX: a\nY: b\r\n\r\n", status: 400},
		{name: "bare CR", req: chunked + "0\r\nX: a\rY: b\r\n\r\n", status: 400},
		{name: "NUL in a value", req: chunked + "0\r\nX: a\x00b\r\n\r\n", status: 400},
	}
	for _, name := range forbiddenTrailers {
		cases = append(cases, wireCase{name: "forbidden " + name, req: chunked + "0\r\n" + name + ": 1\r\n\r\n", status: 400})
	}
	runCases(t, cases)
}

// Expect: 100-continue on HTTP/1.1 gets the interim 100 only when the
// declared length is within MaxBodyBytes, and the echo (buffered bodies)
// reads every body.
func TestExpectContinue(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		body string
	}{
		{"100 then 200", "hello"},
		{"100 then 200 at the body limit", payload(maxBodyBytes)},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cl := dial(t)
			cl.send(post(fmt.Sprintf("Expect: 100-continue\nContent-Length: %d\n", len(c.body))), false)
			if resp, body := cl.response(); resp.StatusCode != 100 {
				t.Fatalf("first response %d %q, want 100 before the body is sent", resp.StatusCode, snippet(body))
			}
			cl.send(c.body, false)
			resp, body := cl.response()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d %q, want 200", resp.StatusCode, snippet(body))
			}
			decodeEcho(t, body).check(t, bodyOf(c.body))
			cl.expectOpen()
		})
	}
	runCases(t, []wireCase{
		// The first response must be the 413: no 100 before it.
		{name: "413 without 100 over the body limit", req: post(fmt.Sprintf("Expect: 100-continue\nContent-Length: %d\n", maxBodyBytes+1)),
			status: 413},
		// No 100 to an HTTP/1.0 client: the first response is the 200.
		{name: "ignored on HTTP/1.0", req: cr("PUT /u HTTP/1.0\nExpect: 100-continue\nContent-Length: 5\n\nhello"),
			status: 200, want: bodyOf("hello"), closes: true},
	})
}

func TestKeepAlive(t *testing.T) {
	t.Parallel()
	c := dial(t)
	for i := range 5 {
		body := strings.Repeat("b", i*1000)
		req := fmt.Sprintf("POST /%d HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n%s", i, len(body), body)
		if i%2 == 1 {
			req = fmt.Sprintf("POST /%d HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n%s", i, chunkedBody(body, 700))
		}
		c.send(req, false)
		resp, b := c.response()
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: status %d %q", i, resp.StatusCode, snippet(b))
		}
		want := bodyOf(body)
		want.Target = fmt.Sprintf("/%d", i)
		decodeEcho(t, b).check(t, want)
	}
}

func TestPipelining(t *testing.T) {
	t.Parallel()
	t.Run("answered in order", func(t *testing.T) {
		t.Parallel()
		c := dial(t)
		c.send(cr("GET /1 HTTP/1.1\nHost: a\n\n")+
			cr("POST /2 HTTP/1.1\nHost: a\nContent-Length: 5\n\nhello")+
			cr("POST /3 HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n3\nabc\n0\nX-T: 1\n\n")+
			cr("GET /4 HTTP/1.1\nHost: a\nConnection: close\n\n"), false)
		for i, body := range []string{"", "hello", "abc", ""} {
			resp, b := c.response()
			if resp.StatusCode != 200 {
				t.Fatalf("response %d: status %d %q", i+1, resp.StatusCode, snippet(b))
			}
			want := bodyOf(body)
			want.Target = fmt.Sprintf("/%d", i+1)
			decodeEcho(t, b).check(t, want)
		}
		c.expectClosed()
	})
	t.Run("nothing after a refused request is answered", func(t *testing.T) {
		t.Parallel()
		c := dial(t)
		c.send(cr("GET /1 HTTP/1.1\nHost: a\n\n")+cr("GET /2 HTTP/1.1\nHost: a\nX: 1\n 2\n\n")+cr("GET /3 HTTP/1.1\nHost: a\n\n"), false)
		if resp, b := c.response(); resp.StatusCode != 200 || decodeEcho(t, b).Target != "/1" {
			t.Fatalf("first response %d %q, want 200 for /1", resp.StatusCode, snippet(b))
		}
		if resp, b := c.response(); resp.StatusCode != 400 {
			t.Errorf("second response %d %q, want 400 for the obs-fold", resp.StatusCode, snippet(b))
		}
		c.expectClosed()
	})
}

// TestByteAtATime sends some of the cases above one byte per write: the
// decisions must not depend on how the input is split.
func TestByteAtATime(t *testing.T) {
	t.Parallel()
	pick := map[string]bool{
		"bare CR in a field value":                       true,
		"NUL in a field value":                           true,
		"obs-fold with a space":                          true,
		"lowercase method":                               true,
		"HTTP/2.0":                                       true,
		"and Content-Length after it":                    true,
		"repeated with another value":                    true,
		"one chunk":                                      true,
		"hex sizes in both cases":                        true,
		"extensions with BWS, tokens and quoted strings": true,
		"size not hex":                                   true,
		"data longer than its size":                      true,
	}
	found := 0
	for _, table := range [][]wireCase{lineEndingCases, requestLineCases, versionCases, fieldLineCases,
		contentLengthCases, transferEncodingCases, chunkedCases} {
		for _, wc := range table {
			if !pick[wc.name] {
				continue
			}
			found++
			t.Run(wc.name, func(t *testing.T) {
				t.Parallel()
				runCase(t, wc, true)
			})
		}
	}
	if found != len(pick) {
		t.Fatalf("found %d of the %d picked cases: a name changed", found, len(pick))
	}
}
