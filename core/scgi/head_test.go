package scgi

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// ns is the netstring of name and value pairs: an SCGI request head.
func ns(pairs ...string) string {
	var b strings.Builder
	for _, s := range pairs {
		b.WriteString(s)
		b.WriteByte(0)
	}
	return strconv.Itoa(b.Len()) + ":" + b.String() + ","
}

// std is a head with the required variables, a GET of "/", then pairs.
func std(pairs ...string) string {
	return ns(append([]string{"CONTENT_LENGTH", "0", "SCGI", "1", "REQUEST_METHOD", "GET", "REQUEST_URI", "/"}, pairs...)...)
}

// uri is a head with the required variables and the given REQUEST_URI.
func uri(target string) string {
	return ns("CONTENT_LENGTH", "0", "SCGI", "1", "REQUEST_METHOD", "GET", "REQUEST_URI", target)
}

// method is a head with the required variables and the given REQUEST_METHOD.
func method(m string) string {
	return ns("CONTENT_LENGTH", "0", "SCGI", "1", "REQUEST_METHOD", m, "REQUEST_URI", "/")
}

// length is a head with the required variables and the given CONTENT_LENGTH.
func length(cl string) string {
	return ns("CONTENT_LENGTH", cl, "SCGI", "1", "REQUEST_METHOD", "POST", "REQUEST_URI", "/")
}

// nginxGET is what nginx 1.27 with the stock scgi_params sends for a
// browser's GET over TLS: CONTENT_LENGTH first, the params in the file's
// order, then every request header but Host (which a param sets) as
// HTTP_*.
var nginxGET = ns(
	"CONTENT_LENGTH", "0",
	"REQUEST_METHOD", "GET",
	"REQUEST_URI", "/static/app.js?v=20240101",
	"QUERY_STRING", "v=20240101",
	"CONTENT_TYPE", "",
	"DOCUMENT_URI", "/static/app.js",
	"DOCUMENT_ROOT", "/srv/www/html",
	"SCGI", "1",
	"SERVER_PROTOCOL", "HTTP/1.1",
	"REQUEST_SCHEME", "https",
	"HTTPS", "on",
	"REMOTE_ADDR", "203.0.113.7",
	"REMOTE_PORT", "51234",
	"SERVER_PORT", "443",
	"SERVER_NAME", "www.example.com",
	"HTTP_HOST", "www.example.com",
	"HTTP_USER_AGENT", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
	"HTTP_ACCEPT", "*/*",
	"HTTP_ACCEPT_LANGUAGE", "en-US,en;q=0.5",
	"HTTP_ACCEPT_ENCODING", "gzip, deflate, br, zstd",
	"HTTP_REFERER", "https://www.example.com/",
	"HTTP_CONNECTION", "keep-alive",
	"HTTP_COOKIE", "session=abcdef0123456789; theme=dark",
	"HTTP_SEC_FETCH_DEST", "script",
	"HTTP_SEC_FETCH_MODE", "no-cors",
	"HTTP_SEC_FETCH_SITE", "same-origin",
)

// nginxPOST is a form POST over plain HTTP from an IPv6 client, with a
// fastcgi_params-style set of extra params. nginx passes the client's
// Content-Type and Content-Length on as HTTP_* too.
var nginxPOST = ns(
	"CONTENT_LENGTH", "27",
	"REQUEST_METHOD", "POST",
	"REQUEST_URI", "/login?next=%2Fhome",
	"QUERY_STRING", "next=%2Fhome",
	"CONTENT_TYPE", "application/x-www-form-urlencoded",
	"DOCUMENT_URI", "/login",
	"DOCUMENT_ROOT", "/srv/www/html",
	"SCGI", "1",
	"SERVER_PROTOCOL", "HTTP/1.1",
	"REQUEST_SCHEME", "http",
	"GATEWAY_INTERFACE", "CGI/1.1",
	"SERVER_SOFTWARE", "nginx/1.27.4",
	"REMOTE_ADDR", "2001:db8::7",
	"REMOTE_PORT", "40112",
	"SERVER_ADDR", "2001:db8::1",
	"SERVER_PORT", "8080",
	"SERVER_NAME", "example.com",
	"HTTP_HOST", "example.com:8080",
	"HTTP_USER_AGENT", "curl/8.5.0",
	"HTTP_ACCEPT", "*/*",
	"HTTP_CONTENT_TYPE", "application/x-www-form-urlencoded",
	"HTTP_CONTENT_LENGTH", "27",
	"HTTP_X_FORWARDED_FOR", "198.51.100.2, 203.0.113.9",
) + "user=alice&password=secret"

// apacheGET is the shape mod_proxy_scgi sends: CONTENT_LENGTH and SCGI
// first, then Apache's environment, lowercase and dotted names from
// SetEnvIf and a multi-line certificate included.
var apacheGET = ns(
	"CONTENT_LENGTH", "0",
	"SCGI", "1",
	"HTTPS", "on",
	"SSL_CLIENT_CERT", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
	"nokeepalive", "1",
	"downgrade-1.0", "1",
	"force-response-1.0", "1",
	"HTTP_HOST", "intra.example",
	"HTTP_USER_AGENT", "Mozilla/4.0 (compatible; MSIE 6.0)",
	"PATH", "/usr/local/bin:/usr/bin:/bin",
	"SERVER_SIGNATURE", "<address>Apache Server at intra.example Port 443</address>\n",
	"SERVER_SOFTWARE", "Apache",
	"SERVER_NAME", "intra.example",
	"SERVER_ADDR", "10.0.0.1",
	"SERVER_PORT", "443",
	"REMOTE_ADDR", "10.0.0.9",
	"DOCUMENT_ROOT", "/var/www",
	"REQUEST_SCHEME", "https",
	"SERVER_ADMIN", "webmaster@localhost",
	"REMOTE_PORT", "60000",
	"SERVER_PROTOCOL", "HTTP/1.0",
	"REQUEST_METHOD", "GET",
	"QUERY_STRING", "",
	"REQUEST_URI", "/app/",
	"SCRIPT_NAME", "/app",
	"PATH_INFO", "/",
)

// headView is a Head as comparable strings.
type headView struct {
	Method, Target, Path, Query, Host, Remote string
	Version                                   int
	ContentLength                             int64
	TLS                                       bool
}

func view(h *Head) headView {
	return headView{
		string(h.Method), string(h.Target), string(h.Path), string(h.Query), string(h.Host), string(h.AppendRemote(nil)),
		h.Version, h.ContentLength, h.TLS,
	}
}

type headCase struct {
	name   string
	raw    string
	status int       // 0: accepted
	reason string    // the error's text after "scgi: ", for rejected rows
	want   *headView // for accepted rows, when set
}

// get is the view of a GET of target, path and query with the defaults.
func get(target, path, query string) *headView {
	return &headView{Method: "GET", Target: target, Path: path, Query: query, Version: 11}
}

var headCases = []headCase{
	// accepted
	{"minimal", std(), 0, "", get("/", "/", "")},
	{"spec example", ns("CONTENT_LENGTH", "27", "SCGI", "1", "REQUEST_METHOD", "POST", "REQUEST_URI", "/deepthought") + "What is the answer to life?", 0, "",
		&headView{Method: "POST", Target: "/deepthought", Path: "/deepthought", Version: 11, ContentLength: 27}},
	{"query", uri("/p/q?x=1&y=%2F"), 0, "", get("/p/q?x=1&y=%2F", "/p/q", "x=1&y=%2F")},
	{"empty query", uri("/p?"), 0, "", get("/p?", "/p", "")},
	{"second question mark", uri("/p?a?b"), 0, "", get("/p?a?b", "/p", "a?b")},
	{"odd target bytes", uri("/a|b{c}^`\\\"<>[]@!$&'()*+,;=:~"), 0, "", nil},
	{"SCGI last", ns("CONTENT_LENGTH", "0", "REQUEST_METHOD", "GET", "REQUEST_URI", "/", "SCGI", "1"), 0, "", get("/", "/", "")},
	{"content length", length("5") + "hello", 0, "",
		&headView{Method: "POST", Target: "/", Path: "/", Version: 11, ContentLength: 5}},
	{"content length zeros", length("007") + "1234567", 0, "",
		&headView{Method: "POST", Target: "/", Path: "/", Version: 11, ContentLength: 7}},
	{"content length 18 digits", length("999999999999999999"), 0, "",
		&headView{Method: "POST", Target: "/", Path: "/", Version: 11, ContentLength: 999999999999999999}},
	{"extension method", method("PURGE"), 0, "", &headView{Method: "PURGE", Target: "/", Path: "/", Version: 11}},
	{"method with punctuation", method("M-SEARCH"), 0, "", nil},
	{"HTTP/1.0", std("SERVER_PROTOCOL", "HTTP/1.0"), 0, "", &headView{Method: "GET", Target: "/", Path: "/", Version: 10}},
	{"HTTP/2.0 is 11", std("SERVER_PROTOCOL", "HTTP/2.0"), 0, "", get("/", "/", "")},
	{"odd protocol is 11", std("SERVER_PROTOCOL", "http/1.0"), 0, "", get("/", "/", "")},
	{"host", std("HTTP_HOST", "example.com"), 0, "", &headView{Method: "GET", Target: "/", Path: "/", Host: "example.com", Version: 11}},
	{"host IPv6 port", std("HTTP_HOST", "[2001:db8::1]:8080"), 0, "", nil},
	{"host empty port", std("HTTP_HOST", "a:"), 0, "", nil},
	{"host pct and subdelims", std("HTTP_HOST", "a%2Db!$&'()*+,;=~_.-"), 0, "", nil},
	{"host empty", std("HTTP_HOST", ""), 0, "", get("/", "/", "")},
	{"https on", std("HTTPS", "on"), 0, "", &headView{Method: "GET", Target: "/", Path: "/", Version: 11, TLS: true}},
	{"https ON", std("HTTPS", "ON"), 0, "", &headView{Method: "GET", Target: "/", Path: "/", Version: 11, TLS: true}},
	{"https off", std("HTTPS", "off"), 0, "", get("/", "/", "")},
	{"https 1", std("HTTPS", "1"), 0, "", get("/", "/", "")},
	{"remote IPv4", std("REMOTE_ADDR", "192.0.2.1", "REMOTE_PORT", "8080"), 0, "",
		&headView{Method: "GET", Target: "/", Path: "/", Version: 11, Remote: "192.0.2.1:8080"}},
	{"remote IPv6", std("REMOTE_PORT", "443", "REMOTE_ADDR", "::1"), 0, "",
		&headView{Method: "GET", Target: "/", Path: "/", Version: 11, Remote: "[::1]:443"}},
	{"remote unix socket", std("REMOTE_ADDR", "unix:", "REMOTE_PORT", ""), 0, "",
		&headView{Method: "GET", Target: "/", Path: "/", Version: 11, Remote: "unix:"}},
	{"empty values", std("DOCUMENT_ROOT", "", "HTTP_X_EMPTY", "", "CONTENT_TYPE", ""), 0, "", nil},
	{"opaque bytes", std("X", "\x01\xff\r\n\t \x7f"), 0, "", nil},
	{"server names", std("no-gzip", "1", "downgrade-1.0", "1", "lower_case", "x", "9LIVES", "x"), 0, "", nil},
	{"lowercase http_ is opaque", std("http_host", "a b", "http_x", "\x01"), 0, "", get("/", "/", "")},
	{"header value bytes", std("HTTP_X", "caf\xc3\xa9 \t\xff", "CONTENT_TYPE", "text/plain; charset=\"utf-8\""), 0, "", nil},
	{"header name shapes", std("HTTP_X__Y", "1", "HTTP__X", "2", "HTTP_X_", "3", "HTTP_1", "4"), 0, "", nil},
	{"nginx GET", nginxGET, 0, "", &headView{Method: "GET", Target: "/static/app.js?v=20240101", Path: "/static/app.js", Query: "v=20240101",
		Host: "www.example.com", Remote: "203.0.113.7:51234", Version: 11, TLS: true}},
	{"nginx POST", nginxPOST, 0, "", &headView{Method: "POST", Target: "/login?next=%2Fhome", Path: "/login", Query: "next=%2Fhome",
		Host: "example.com:8080", Remote: "[2001:db8::7]:40112", Version: 11, ContentLength: 27}},
	{"apache GET", apacheGET, 0, "", &headView{Method: "GET", Target: "/app/", Path: "/app/",
		Host: "intra.example", Remote: "10.0.0.9:60000", Version: 10, TLS: true}},

	// the netstring
	{"no length", ":" + std()[strings.IndexByte(std(), ':')+1:], 400, "netstring without a length", nil},
	{"leading zero", "0" + std(), 400, "netstring length with a leading zero", nil},
	{"zero length", "0:,", 400, "missing CONTENT_LENGTH", nil},
	{"zero length, more", "00:,", 400, "netstring length with a leading zero", nil},
	{"sign", "+" + std(), 400, "malformed netstring length", nil},
	{"space before colon", strings.Replace(std(), ":", " :", 1), 400, "malformed netstring length", nil},
	{"space before length", " " + std(), 400, "malformed netstring length", nil},
	{"hex length", "0x10:", 400, "malformed netstring length", nil},
	{"NUL in length", "1\x00:", 400, "NUL byte", nil},
	{"HTTP request", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed netstring length", nil},
	{"huge length", "99999999999999999999999:", 431, "headers too large", nil},
	{"length over default limit", "65537:", 431, "headers too large", nil},
	{"wrong terminator", strings.TrimSuffix(std(), ",") + ";", 400, "netstring not terminated by ','", nil},
	{"length one short", shorter(std(), 1), 400, "header value not NUL-terminated in the netstring", nil},
	{"length one long", shorter(std(), -1) + "x", 400, "invalid byte in header name", nil},
	{"length two long", shorter(std(), -2) + "xx", 400, "invalid byte in header name", nil},

	// names
	{"empty name", std("", "x"), 400, "empty header name", nil},
	{"name with space", std("X Y", "1"), 400, "invalid byte in header name", nil},
	{"name with equals", std("X=Y", "1"), 400, "invalid byte in header name", nil},
	{"name with colon", std("X:Y", "1"), 400, "invalid byte in header name", nil},
	{"name with slash", std("X/Y", "1"), 400, "invalid byte in header name", nil},
	{"name with CTL", std("X\x01", "1"), 400, "invalid byte in header name", nil},
	{"name with high byte", std("X\xc3\xa9", "1"), 400, "invalid byte in header name", nil},
	{"name with newline", std("X\nY", "1"), 400, "invalid byte in header name", nil},
	{"repeated name", std("FOO", "1", "FOO", "2"), 400, "repeated header name", nil},
	{"repeated name, same value", std("FOO", "1", "FOO", "1"), 400, "repeated header name", nil},
	{"repeated HTTP_HOST", std("HTTP_HOST", "a", "HTTP_HOST", "a"), 400, "repeated header name", nil},
	{"repeated SCGI", std("SCGI", "1"), 400, "repeated header name", nil},
	{"repeated CONTENT_LENGTH", std("CONTENT_LENGTH", "0"), 400, "repeated header name", nil},
	{"repeated REQUEST_URI", std("REQUEST_URI", "/x"), 400, "repeated header name", nil},
	{"CONTENT_LENGTH second", ns("SCGI", "1", "CONTENT_LENGTH", "0", "REQUEST_METHOD", "GET", "REQUEST_URI", "/"), 400, "first header is not CONTENT_LENGTH", nil},
	{"CONTENT_LENGTH lowercase", ns("content_length", "0", "SCGI", "1", "REQUEST_METHOD", "GET", "REQUEST_URI", "/"), 400, "first header is not CONTENT_LENGTH", nil},
	{"bare HTTP_", std("HTTP_", "x"), 400, "empty HTTP_ header name", nil},
	{"HTTP_ lowercase", std("HTTP_x_foo", "1"), 400, "HTTP_ header name not made of A-Z, 0-9 and '_'", nil},
	{"HTTP_ dash", std("HTTP_X-FOO", "1"), 400, "HTTP_ header name not made of A-Z, 0-9 and '_'", nil},
	{"HTTP_ dot", std("HTTP_X.Y", "1"), 400, "HTTP_ header name not made of A-Z, 0-9 and '_'", nil},
	{"name cut by the length", shorter(std("NAME", "v"), 4), 400, "header name not NUL-terminated in the netstring", nil},
	{"value cut by the length", shorter(std("NAME", "value"), 3), 400, "header value not NUL-terminated in the netstring", nil},

	// CONTENT_LENGTH
	{"CL empty", length(""), 400, "invalid CONTENT_LENGTH", nil},
	{"CL plus", length("+5"), 400, "invalid CONTENT_LENGTH", nil},
	{"CL minus", length("-1"), 400, "invalid CONTENT_LENGTH", nil},
	{"CL space", length(" 5"), 400, "invalid CONTENT_LENGTH", nil},
	{"CL trailing space", length("5 "), 400, "invalid CONTENT_LENGTH", nil},
	{"CL hex", length("0x5"), 400, "invalid CONTENT_LENGTH", nil},
	{"CL list", length("5,5"), 400, "invalid CONTENT_LENGTH", nil},
	{"CL 19 digits", length("1000000000000000000"), 400, "invalid CONTENT_LENGTH", nil},
	{"CL missing", ns("SCGI", "1", "REQUEST_METHOD", "GET", "REQUEST_URI", "/"), 400, "first header is not CONTENT_LENGTH", nil},

	// SCGI
	{"SCGI missing", ns("CONTENT_LENGTH", "0", "REQUEST_METHOD", "GET", "REQUEST_URI", "/"), 400, "missing SCGI=1", nil},
	{"SCGI 0", ns("CONTENT_LENGTH", "0", "SCGI", "0", "REQUEST_METHOD", "GET", "REQUEST_URI", "/"), 400, "SCGI is not 1", nil},
	{"SCGI 2", ns("CONTENT_LENGTH", "0", "SCGI", "2", "REQUEST_METHOD", "GET", "REQUEST_URI", "/"), 400, "SCGI is not 1", nil},
	{"SCGI empty", ns("CONTENT_LENGTH", "0", "SCGI", "", "REQUEST_METHOD", "GET", "REQUEST_URI", "/"), 400, "SCGI is not 1", nil},
	{"SCGI 01", ns("CONTENT_LENGTH", "0", "SCGI", "01", "REQUEST_METHOD", "GET", "REQUEST_URI", "/"), 400, "SCGI is not 1", nil},
	{"SCGI 1 space", ns("CONTENT_LENGTH", "0", "SCGI", "1 ", "REQUEST_METHOD", "GET", "REQUEST_URI", "/"), 400, "SCGI is not 1", nil},

	// REQUEST_METHOD
	{"method missing", ns("CONTENT_LENGTH", "0", "SCGI", "1", "REQUEST_URI", "/"), 400, "missing REQUEST_METHOD", nil},
	{"method empty", method(""), 400, "malformed REQUEST_METHOD", nil},
	{"method with space", method("GE T"), 400, "malformed REQUEST_METHOD", nil},
	{"method with tab", method("GET\t"), 400, "malformed REQUEST_METHOD", nil},
	{"method non-token", method("GE(T"), 400, "malformed REQUEST_METHOD", nil},
	{"method high byte", method("G\xc3\x89T"), 400, "malformed REQUEST_METHOD", nil},
	{"lowercase method", method("get"), 501, "method not implemented (methods are case-sensitive)", nil},
	{"mixed-case method", method("Get"), 501, "method not implemented (methods are case-sensitive)", nil},
	{"CONNECT", method("CONNECT"), 501, "CONNECT not implemented", nil},

	// REQUEST_URI
	{"target missing", ns("CONTENT_LENGTH", "0", "SCGI", "1", "REQUEST_METHOD", "GET"), 400, "missing REQUEST_URI", nil},
	{"target empty", uri(""), 400, "REQUEST_URI is not an origin-form target", nil},
	{"target asterisk", uri("*"), 400, "REQUEST_URI is not an origin-form target", nil},
	{"target absolute", uri("http://example.com/"), 400, "REQUEST_URI is not an origin-form target", nil},
	{"target relative", uri("a/b"), 400, "REQUEST_URI is not an origin-form target", nil},
	{"target space", uri("/a b"), 400, "invalid byte in REQUEST_URI", nil},
	{"target fragment", uri("/a#b"), 400, "invalid byte in REQUEST_URI", nil},
	{"target bad percent", uri("/a%zz"), 400, "malformed percent-encoding in REQUEST_URI", nil},
	{"target short percent", uri("/a%2"), 400, "malformed percent-encoding in REQUEST_URI", nil},
	{"target high byte", uri("/caf\xc3\xa9"), 400, "invalid byte in REQUEST_URI", nil},
	{"target DEL", uri("/\x7f"), 400, "invalid byte in REQUEST_URI", nil},
	{"target CTL", uri("/\x01"), 400, "invalid byte in REQUEST_URI", nil},
	{"target CRLF", uri("/\r\nX: y"), 400, "invalid byte in REQUEST_URI", nil},

	// HTTP_HOST
	{"host SP", std("HTTP_HOST", "a b"), 400, "invalid HTTP_HOST", nil},
	{"host userinfo", std("HTTP_HOST", "u@a"), 400, "invalid HTTP_HOST", nil},
	{"host slash", std("HTTP_HOST", "a/b"), 400, "invalid HTTP_HOST", nil},
	{"host list", std("HTTP_HOST", "a, b"), 400, "invalid HTTP_HOST", nil},
	{"host bad port", std("HTTP_HOST", "a:8x"), 400, "invalid HTTP_HOST", nil},
	{"host long port", std("HTTP_HOST", "a:123456"), 400, "invalid HTTP_HOST", nil},
	{"host two colons", std("HTTP_HOST", "a:1:2"), 400, "invalid HTTP_HOST", nil},
	{"host bad IPv6", std("HTTP_HOST", "[::1"), 400, "invalid HTTP_HOST", nil},
	{"host empty IPv6", std("HTTP_HOST", "[]"), 400, "invalid HTTP_HOST", nil},
	{"host IPv6 junk", std("HTTP_HOST", "[::1]x"), 400, "invalid HTTP_HOST", nil},
	{"host IPv6 letters", std("HTTP_HOST", "[::g]"), 400, "invalid HTTP_HOST", nil},
	{"host only port", std("HTTP_HOST", ":80"), 400, "invalid HTTP_HOST", nil},
	{"host bad percent", std("HTTP_HOST", "a%zz"), 400, "invalid HTTP_HOST", nil},

	// header values
	{"HTTP_ value CTL", std("HTTP_X", "a\x01b"), 400, "invalid byte in header value", nil},
	{"HTTP_ value DEL", std("HTTP_X", "a\x7fb"), 400, "invalid byte in header value", nil},
	{"HTTP_ value CR", std("HTTP_X", "a\rb"), 400, "invalid byte in header value", nil},
	{"HTTP_ value LF", std("HTTP_X", "a\nb"), 400, "invalid byte in header value", nil},
	{"HTTP_ value CRLF injection", std("HTTP_X", "a\r\nSet-Cookie: x"), 400, "invalid byte in header value", nil},
	{"CONTENT_TYPE CTL", std("CONTENT_TYPE", "text/plain\x0b"), 400, "invalid byte in header value", nil},

	// remote address
	{"REMOTE_ADDR space", std("REMOTE_ADDR", "1.2.3.4 "), 400, "invalid REMOTE_ADDR", nil},
	{"REMOTE_ADDR newline", std("REMOTE_ADDR", "1.2.3.4\n"), 400, "invalid REMOTE_ADDR", nil},
	{"REMOTE_PORT long", std("REMOTE_PORT", "123456"), 400, "invalid REMOTE_PORT", nil},
	{"REMOTE_PORT letters", std("REMOTE_PORT", "80a"), 400, "invalid REMOTE_PORT", nil},
	{"REMOTE_PORT minus", std("REMOTE_PORT", "-1"), 400, "invalid REMOTE_PORT", nil},
}

// shorter returns the head with its netstring length d less (more when d
// is negative) than its block.
func shorter(head string, d int) string {
	i := strings.IndexByte(head, ':')
	size, _ := strconv.Atoi(head[:i])
	return strconv.Itoa(size-d) + head[i:]
}

// headLen is the length of the head at the start of raw: its netstring.
func headLen(raw string) int {
	i := strings.IndexByte(raw, ':')
	size, _ := strconv.Atoi(raw[:i])
	return i + 1 + size + 1
}

func statusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

func TestParse(t *testing.T) {
	for _, c := range headCases {
		t.Run(c.name, func(t *testing.T) {
			var h Head
			n, err := h.Parse([]byte(c.raw), Limits{})
			if c.status != 0 {
				if got := statusOf(err); got != c.status || err.Error() != "scgi: "+c.reason {
					t.Fatalf("got n=%d err=%v (status %d), want status %d %q", n, err, got, c.status, c.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want accepted", err)
			}
			if want := headLen(c.raw); n != want {
				t.Fatalf("n = %d, want %d", n, want)
			}
			if c.want != nil {
				if got := view(&h); got != *c.want {
					t.Fatalf("got  %+v\nwant %+v", got, *c.want)
				}
			}
		})
	}
}

func TestParseVars(t *testing.T) {
	var h Head
	raw := []byte(apacheGET)
	if _, err := h.Parse(raw, Limits{}); err != nil {
		t.Fatal(err)
	}
	if len(h.Vars) != 26 {
		t.Fatalf("%d vars, want 26", len(h.Vars))
	}
	if v := h.Vars[3]; string(v.Name) != "SSL_CLIENT_CERT" || !strings.Contains(string(v.Value), "\nMIIB\n") {
		t.Errorf("var 3 = %q=%q", v.Name, v.Value)
	}
	if v, ok := h.Lookup("downgrade-1.0"); !ok || string(v) != "1" {
		t.Errorf("Lookup(downgrade-1.0) = %q %v", v, ok)
	}
	if v, ok := h.Lookup("QUERY_STRING"); !ok || v == nil || len(v) != 0 {
		t.Errorf("Lookup(QUERY_STRING) = %q %v", v, ok)
	}
	if _, ok := h.Lookup("path"); ok {
		t.Error("Lookup is case-insensitive")
	}
	if h.Query != nil {
		t.Errorf("Query = %q, want nil without '?'", h.Query)
	}
	// Fields alias the buffer.
	if &h.Method[0] != &raw[strings.Index(apacheGET, "GET\x00")] {
		t.Error("Method does not alias the buffer")
	}
}

func TestParseReuse(t *testing.T) {
	var h Head
	if _, err := h.Parse([]byte(nginxGET), Limits{}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Parse([]byte(length("3")+"abc"), Limits{}); err != nil {
		t.Fatal(err)
	}
	want := headView{Method: "POST", Target: "/", Path: "/", Version: 11, ContentLength: 3}
	if got := view(&h); got != want || len(h.Vars) != 4 || h.RemoteAddr != nil || h.Host != nil {
		t.Fatalf("got %+v with %d vars", got, len(h.Vars))
	}
}

func TestParseLimits(t *testing.T) {
	lim := Limits{MaxHeaderBytes: 256, MaxHeaderCount: 6}
	pad := func(size int) string { // a head whose block is size bytes
		fixed := len(std("P", "")) - len("48:,")
		return std("P", strings.Repeat("x", size-fixed))
	}
	vars := func(n int) string { // a head of n pairs
		var pairs []string
		for i := range n - 4 {
			pairs = append(pairs, "V"+strconv.Itoa(i), "")
		}
		return std(pairs...)
	}
	for _, c := range []struct {
		name   string
		raw    string
		status int // -1: ErrNeedMore
	}{
		{"block at limit", pad(256), 0},
		{"block over limit", pad(257), 431},
		{"block at limit, body follows", pad(256) + "xyz", 0},
		{"length at limit, no colon yet", "256", -1},
		{"length over limit, no colon yet", "257", 431},
		{"length digits over limit", "2560", 431},
		{"length one digit", "2", -1},
		{"block at limit, no comma yet", strings.TrimSuffix(pad(256), ","), -1},
		{"pairs at limit", vars(6), 0},
		{"pairs over limit", vars(7), 431},
		{"pairs over limit, no more bytes yet", vars(7)[:strings.Index(vars(7), "V2\x00")], 431},
	} {
		t.Run(c.name, func(t *testing.T) {
			var h Head
			n, err := h.Parse([]byte(c.raw), lim)
			switch c.status {
			case -1:
				if err != ErrNeedMore {
					t.Fatalf("got %d %v, want ErrNeedMore", n, err)
				}
			case 0:
				if err != nil || n != headLen(c.raw) {
					t.Fatalf("got %d %v, want %d", n, err, headLen(c.raw))
				}
			default:
				if statusOf(err) != c.status {
					t.Fatalf("got %d %v, want %d", n, err, c.status)
				}
			}
		})
	}
	if !strings.HasPrefix(pad(256), "256:") || !strings.HasPrefix(pad(257), "257:") {
		t.Fatal("bad test helper")
	}
	// The smallest limits.
	var h Head
	if _, err := h.Parse([]byte("2:"), Limits{MaxHeaderBytes: 1}); statusOf(err) != 431 {
		t.Errorf("length 2 over a limit of 1: %v", err)
	}
	if _, err := h.Parse([]byte(std("X", "")), Limits{MaxHeaderCount: 4}); statusOf(err) != 431 {
		t.Errorf("5 pairs over a limit of 4: %v", err)
	}
}

// TestParsePrefixes feeds every prefix, as a connection that reads one
// byte at a time does (Parse keeps no state, so a prefix is any split of
// the input): an accepted head needs more until it is complete and then
// parses as in one read; a rejected one needs more or fails with the
// status of the whole input.
func TestParsePrefixes(t *testing.T) {
	for _, c := range headCases {
		t.Run(c.name, func(t *testing.T) {
			var h Head
			n0, err0 := h.Parse([]byte(c.raw), Limits{})
			v0 := view(&h)
			vars0 := len(h.Vars)
			for k := 0; k <= len(c.raw); k++ {
				b := []byte(c.raw[:k]) // exact-size copy: reads past k would show
				n, err := h.Parse(b, Limits{})
				switch {
				case err0 == nil && k < n0:
					if err != ErrNeedMore {
						t.Fatalf("prefix %d: got %d %v, want ErrNeedMore", k, n, err)
					}
				case err0 == nil:
					if err != nil || n != n0 || view(&h) != v0 || len(h.Vars) != vars0 {
						t.Fatalf("prefix %d: got %d %v %+v, want %d %+v", k, n, err, view(&h), n0, v0)
					}
				case err != ErrNeedMore && statusOf(err) != statusOf(err0):
					t.Fatalf("prefix %d: got %d %v, whole input gives %v", k, n, err, err0)
				}
			}
		})
	}
}

// TestParseByteAtATime reads a request the way a connection does, one
// byte per read into a growing buffer, and parses after each read.
func TestParseByteAtATime(t *testing.T) {
	for _, c := range headCases {
		var whole, h Head
		n0, err0 := whole.Parse([]byte(c.raw), Limits{})
		var buf []byte
		n, err := 0, ErrNeedMore
		for i := 0; err == ErrNeedMore && i < len(c.raw); i++ {
			buf = append(buf, c.raw[i])
			n, err = h.Parse(buf, Limits{})
		}
		if n != n0 || statusOf(err) != statusOf(err0) || (err == nil) != (err0 == nil) {
			t.Errorf("%s: byte at a time %d %v, whole %d %v", c.name, n, err, n0, err0)
			continue
		}
		if err == nil && (view(&h) != view(&whole) || len(h.Vars) != len(whole.Vars)) {
			t.Errorf("%s: byte at a time %+v, whole %+v", c.name, view(&h), view(&whole))
		}
	}
}

func TestParseAllocs(t *testing.T) {
	for _, raw := range []string{nginxGET, nginxPOST, apacheGET} {
		var h Head
		b := []byte(raw)
		if _, err := h.Parse(b, Limits{}); err != nil {
			t.Fatal(err)
		}
		if a := testing.AllocsPerRun(100, func() { h.Parse(b, Limits{}) }); a != 0 {
			t.Errorf("%v allocations per Parse, want 0", a)
		}
		out := make([]byte, 0, 4096)
		if a := testing.AllocsPerRun(100, func() {
			out = out[:0]
			for name, value := range h.Headers() {
				out = AppendHeaderName(out, name)
				out = append(out, value...)
			}
			out = h.AppendRemote(out)
			out = AppendResponseHead(out, 200, "OK", []Field{{"Content-Type", "text/plain"}})
		}); a != 0 {
			t.Errorf("%v allocations per mapping, want 0", a)
		}
	}
}
