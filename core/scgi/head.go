package scgi

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// This file is the request parser. An SCGI request is a netstring
// "<length>:<headers>," whose headers are NUL-terminated name and value
// pairs, then exactly CONTENT_LENGTH body bytes. Its sender is a web
// server that has parsed the client's HTTP already; porter checks again
// what reaches the request view, by the rules its HTTP/1 parser applies
// to the same element, so that a request reads the same whichever
// protocol brought it. Decisions:
//
//   - The netstring length is 1*DIGIT without a leading zero ("0" alone
//     is allowed) and at most MaxHeaderBytes: 431 as soon as the digits
//     read so far pass it. Anything else before the ':' is 400, and so is
//     a header block that is not followed by ','.
//   - Every name and value ends in NUL inside the block (400 otherwise).
//     Names are non-empty and made of ASCII letters, digits, '_', '-' and
//     '.': CGI meta-variables, HTTP_* header fields, and the variables a
//     server adds by configuration (Apache sends its whole environment,
//     "no-gzip" and "downgrade-1.0" included); any other byte is 400.
//     Names compare exactly, case included, and a repeated name is 400 as
//     the protocol says. More than MaxHeaderCount pairs is 431.
//   - Only the upper-case names below mean something to porter. Any other
//     variable passes unchecked: its value may hold any byte but NUL
//     (Apache's SSL_CLIENT_CERT holds newlines).
//   - CONTENT_LENGTH comes first and is 1*DIGIT with at most 18 digits,
//     so it fits an int64; leading zeros are allowed, as in HTTP/1.
//   - SCGI is required and exactly "1".
//   - REQUEST_METHOD is required and a token. As in HTTP/1, a method with
//     a lowercase letter, and CONNECT, are 501.
//   - REQUEST_URI is required and an origin-form target by HTTP/1's
//     rules: "/" then printable ASCII 0x21-0x7E without '#', every '%'
//     starting a %HH escape. It is the target the client sent, before
//     the server's rewrites (DOCUMENT_URI is after them).
//   - An HTTP_* name is "HTTP_" then 1*[A-Z0-9_], as nginx, Apache and
//     lighttpd build them from field names; any other byte after the
//     prefix is 400 (nginx sends one only with ignore_invalid_headers
//     off). Values of HTTP_* and CONTENT_TYPE are field values: VCHAR,
//     obs-text, SP and HTAB, else 400.
//   - HTTP_HOST, unless empty, is uri-host [":" port] by HTTP/1's rules:
//     an IP-literal or a non-empty reg-name, and at most 5 port digits.
//     Empty or absent means no Host: nginx sends an empty $host for an
//     HTTP/1.0 request without Host to a server without server_name.
//   - SERVER_PROTOCOL "HTTP/1.0" gives Version 10; anything else, absence,
//     "HTTP/2.0" and "HTTP/3.0" included, gives 11: the response on an
//     SCGI connection is framed the same whatever the client spoke, and
//     HTTP/1.1 semantics are the ones porter applies.
//   - HTTPS "on" (any case) sets TLS; any other value leaves it unset.
//     REMOTE_ADDR is printable ASCII and REMOTE_PORT at most 5 digits;
//     both may be empty (nginx on a Unix socket sends "unix:" and "").
//
// Errors are found in input order: each decision needs only the bytes up
// to where it is made, so a prefix of a bad request gives ErrNeedMore or
// the status the whole request gives. Only the required variables wait
// for the end of the block.

// Limits bound a request head. A field that is zero or negative takes its
// value from DefaultLimits.
type Limits struct {
	MaxHeaderBytes int // the netstring length: names and values with their NULs, else 431
	MaxHeaderCount int // name and value pairs, else 431
}

// DefaultLimits allow the 64 KiB of porter's HTTP/1 heads and 200 pairs:
// HTTP/1's 100 header fields plus what a server adds of its own (a few
// dozen for Apache with mod_ssl's StdEnvVars).
var DefaultLimits = Limits{MaxHeaderBytes: 64 << 10, MaxHeaderCount: 200}

func (l Limits) withDefaults() Limits {
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultLimits.MaxHeaderBytes
	}
	if l.MaxHeaderCount <= 0 {
		l.MaxHeaderCount = DefaultLimits.MaxHeaderCount
	}
	return l
}

// Var is one SCGI header: a CGI meta-variable such as REQUEST_METHOD, a
// request header field as HTTP_*, or a variable of the server's own. Both
// slices alias the parsed buffer; Value may be empty.
type Var struct{ Name, Value []byte }

// Head is a parsed SCGI request head. Every []byte in it aliases the
// buffer given to Parse: it is valid while that buffer is neither
// modified nor reused, and until the next Parse on the same Head, which
// overwrites all fields and reuses Vars' backing array. A Head is not
// safe for concurrent use.
type Head struct {
	Vars []Var // every variable in received order, CONTENT_LENGTH first

	Method []byte // REQUEST_METHOD, a token
	Target []byte // REQUEST_URI, as the client sent it

	// Path and Query are Target split at its first '?', '?' excluded;
	// Query is nil without '?'. Neither is percent-decoded.
	Path, Query []byte

	Host          []byte // HTTP_HOST, nil when absent or empty
	Version       int    // 10 or 11, from SERVER_PROTOCOL
	ContentLength int64  // CONTENT_LENGTH: the body follows, exactly this long
	TLS           bool   // HTTPS=on: the client reached the server over TLS

	// RemoteAddr and RemotePort are REMOTE_ADDR and REMOTE_PORT, nil
	// when absent; AppendRemote joins them.
	RemoteAddr, RemotePort []byte

	keys     []uint64 // nameKey of each of Vars' names, to find a repeat fast
	scgiSeen bool
}

// Lookup returns the value of the variable named name (compared exactly,
// as variable names are).
func (h *Head) Lookup(name string) ([]byte, bool) {
	for _, v := range h.Vars {
		if string(v.Name) == name {
			return v.Value, true
		}
	}
	return nil, false
}

// Parse parses one request head at the start of buf. It returns the
// head's length in bytes, netstring included (the body starts at buf[n:]
// and is h.ContentLength bytes long), ErrNeedMore when buf holds a proper
// prefix of a head that is still within the limits, or an *Error. After
// an error h holds partial results. Parse keeps no state between calls:
// after ErrNeedMore, call it again with the same bytes plus more. It does
// not allocate once h.Vars has grown to its size, except for the *Error
// it returns.
func (h *Head) Parse(buf []byte, lim Limits) (n int, err error) {
	lim = lim.withDefaults()
	*h = Head{Vars: h.Vars[:0], keys: h.keys[:0], Version: 11}

	// The netstring length.
	size, i := 0, 0
	for ; i < len(buf) && isDigit(buf[i]); i++ {
		if i == 1 && buf[0] == '0' {
			return 0, fail(400, "scgi: netstring length with a leading zero")
		}
		d := int(buf[i] - '0')
		if size > lim.MaxHeaderBytes/10 || size*10+d > lim.MaxHeaderBytes {
			return 0, fail(431, "scgi: headers too large")
		}
		size = size*10 + d
	}
	switch {
	case i == len(buf):
		return 0, ErrNeedMore
	case buf[i] != ':':
		return 0, byteErr(buf[i], "scgi: malformed netstring length")
	case i == 0:
		return 0, fail(400, "scgi: netstring without a length")
	}

	// The name and value pairs, in w: the block as far as buf holds it.
	end := i + 1 + size
	w := buf[:min(len(buf), end)]
	// cut explains why a scan stopped at the end of w.
	cut := func(reason string) error {
		if len(w) == end {
			return fail(400, reason)
		}
		return ErrNeedMore
	}
	for p := i + 1; p < end; {
		if len(h.Vars) == lim.MaxHeaderCount {
			return 0, fail(431, "scgi: too many headers")
		}
		q := p
		for q < len(w) && nameChar[w[q]] {
			q++
		}
		switch {
		case q == len(w):
			return 0, cut("scgi: header name not NUL-terminated in the netstring")
		case w[q] != 0:
			return 0, byteErr(w[q], "scgi: invalid byte in header name")
		case q == p:
			return 0, fail(400, "scgi: empty header name")
		}
		name := w[p:q]
		if err := h.checkName(name); err != nil {
			return 0, err
		}
		p = q + 1
		q = bytes.IndexByte(w[p:], 0)
		if q < 0 {
			return 0, cut("scgi: header value not NUL-terminated in the netstring")
		}
		value := w[p : p+q]
		h.Vars = append(h.Vars, Var{name, value})
		if err := h.variable(name, value); err != nil {
			return 0, err
		}
		p += q + 1
	}

	switch {
	case len(buf) == end:
		return 0, ErrNeedMore
	case buf[end] != ',':
		return 0, fail(400, "scgi: netstring not terminated by ','")
	case len(h.Vars) == 0:
		return 0, fail(400, "scgi: missing CONTENT_LENGTH")
	case !h.scgiSeen:
		return 0, fail(400, "scgi: missing SCGI=1")
	case h.Method == nil:
		return 0, fail(400, "scgi: missing REQUEST_METHOD")
	case h.Target == nil:
		return 0, fail(400, "scgi: missing REQUEST_URI")
	}
	return end + 1, nil
}

// checkName applies the rules that need only a new variable's name.
func (h *Head) checkName(name []byte) error {
	if len(h.Vars) == 0 && string(name) != "CONTENT_LENGTH" {
		return fail(400, "scgi: first header is not CONTENT_LENGTH")
	}
	key := nameKey(name)
	for i, k := range h.keys {
		if k == key && string(h.Vars[i].Name) == string(name) {
			return fail(400, "scgi: repeated header name")
		}
	}
	if isHTTP(name) {
		if len(name) == len("HTTP_") {
			return fail(400, "scgi: empty HTTP_ header name")
		}
		for _, c := range name[len("HTTP_"):] {
			if !httpNameChar[c] {
				return fail(400, "scgi: HTTP_ header name not made of A-Z, 0-9 and '_'")
			}
		}
	}
	h.keys = append(h.keys, key)
	return nil
}

// nameKey is a cheap fingerprint of a name: its length and its first
// and last eight bytes, which tell apart the names servers send, alike
// at the start (HTTP_, SERVER_) or at the end (_ADDR, _PORT). Names with
// the same key are compared in full.
func nameKey(b []byte) uint64 {
	if len(b) < 8 {
		var k uint64
		for _, c := range b {
			k = k<<8 | uint64(c)
		}
		return k<<8 | uint64(len(b))
	}
	first := binary.LittleEndian.Uint64(b)
	last := binary.LittleEndian.Uint64(b[len(b)-8:])
	return first ^ bits.RotateLeft64(last, 29) ^ uint64(len(b))
}

// variable applies the meaning of one name and value pair.
func (h *Head) variable(name, v []byte) error {
	switch string(name) {
	case "CONTENT_LENGTH":
		if len(v) == 0 || len(v) > 18 {
			return fail(400, "scgi: invalid CONTENT_LENGTH")
		}
		for _, c := range v {
			if !isDigit(c) {
				return fail(400, "scgi: invalid CONTENT_LENGTH")
			}
			h.ContentLength = h.ContentLength*10 + int64(c-'0')
		}
	case "SCGI":
		if string(v) != "1" {
			return fail(400, "scgi: SCGI is not 1")
		}
		h.scgiSeen = true
	case "REQUEST_METHOD":
		if !isToken(v) {
			return fail(400, "scgi: malformed REQUEST_METHOD")
		}
		for _, c := range v {
			if 'a' <= c && c <= 'z' {
				return fail(501, "scgi: method not implemented (methods are case-sensitive)")
			}
		}
		if string(v) == "CONNECT" {
			return fail(501, "scgi: CONNECT not implemented")
		}
		h.Method = v
	case "REQUEST_URI":
		if err := checkTarget(v); err != nil {
			return err
		}
		h.Target = v
		if q := bytes.IndexByte(v, '?'); q >= 0 {
			h.Path, h.Query = v[:q], v[q+1:]
		} else {
			h.Path = v
		}
	case "SERVER_PROTOCOL":
		if string(v) == "HTTP/1.0" {
			h.Version = 10
		}
	case "HTTP_HOST":
		if len(v) == 0 {
			break
		}
		if !validHost(v) {
			return fail(400, "scgi: invalid HTTP_HOST")
		}
		h.Host = v
	case "HTTPS":
		h.TLS = len(v) == 2 && v[0]|0x20 == 'o' && v[1]|0x20 == 'n'
	case "REMOTE_ADDR":
		for _, c := range v {
			if c <= ' ' || c >= 0x7f {
				return fail(400, "scgi: invalid REMOTE_ADDR")
			}
		}
		h.RemoteAddr = v
	case "REMOTE_PORT":
		if len(v) > 5 {
			return fail(400, "scgi: invalid REMOTE_PORT")
		}
		for _, c := range v {
			if !isDigit(c) {
				return fail(400, "scgi: invalid REMOTE_PORT")
			}
		}
		h.RemotePort = v
	case "CONTENT_TYPE":
		return checkValue(v)
	default:
		if isHTTP(name) {
			return checkValue(v)
		}
	}
	return nil
}

// checkTarget checks an origin-form request target, see the top of the
// file.
func checkTarget(t []byte) error {
	if len(t) == 0 || t[0] != '/' {
		return fail(400, "scgi: REQUEST_URI is not an origin-form target")
	}
	for i, c := range t {
		switch {
		case !targetChar[c]:
			return fail(400, "scgi: invalid byte in REQUEST_URI")
		case c == '%' && (i+2 >= len(t) || !isHex(t[i+1]) || !isHex(t[i+2])):
			return fail(400, "scgi: malformed percent-encoding in REQUEST_URI")
		}
	}
	return nil
}

// checkValue checks the value of a variable that becomes a header field.
func checkValue(v []byte) error {
	for _, c := range v {
		if !valueChar[c] {
			return fail(400, "scgi: invalid byte in header value")
		}
	}
	return nil
}

// validHost reports whether b is uri-host [":" port], see the top of the
// file.
func validHost(b []byte) bool {
	host, port := b, []byte(nil)
	if len(b) > 0 && b[0] == '[' {
		end := bytes.IndexByte(b, ']')
		if end < 2 {
			return false
		}
		for _, c := range b[1:end] {
			if !isHex(c) && c != ':' && c != '.' {
				return false
			}
		}
		host, port = nil, b[end+1:]
		if len(port) > 0 {
			if port[0] != ':' {
				return false
			}
			port = port[1:]
		}
	} else {
		if c := bytes.IndexByte(b, ':'); c >= 0 {
			host, port = b[:c], b[c+1:]
		}
		if len(host) == 0 {
			return false
		}
		for i := 0; i < len(host); i++ {
			switch {
			case host[i] == '%':
				if i+2 >= len(host) || !isHex(host[i+1]) || !isHex(host[i+2]) {
					return false
				}
				i += 2
			case !hostChar[host[i]]:
				return false
			}
		}
	}
	if len(port) > 5 {
		return false
	}
	for _, c := range port {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// byteErr names the byte that stopped a scan when it is a NUL, else
// reports what.
func byteErr(c byte, what string) error {
	if c == 0 {
		return fail(400, "scgi: NUL byte")
	}
	return fail(400, what)
}

// isHTTP reports whether a variable name has the prefix of a header's.
func isHTTP(name []byte) bool { return len(name) >= 5 && string(name[:5]) == "HTTP_" }

func isToken(b []byte) bool {
	for _, c := range b {
		if !tchar[c] {
			return false
		}
	}
	return len(b) > 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || 'a' <= c|0x20 && c|0x20 <= 'f' }

// Byte classes.
var (
	nameChar     [256]bool // variable names: ASCII letters, digits, '_', '-', '.'
	httpNameChar [256]bool // after "HTTP_": A-Z, 0-9, '_'
	tchar        [256]bool // RFC 9110 §5.6.2 token characters
	valueChar    [256]bool // field-value bytes: VCHAR, obs-text, SP, HTAB
	targetChar   [256]bool // request-target bytes: 0x21-0x7E except '#'
	hostChar     [256]bool // reg-name bytes but '%': unreserved and sub-delims
)

func init() {
	for i := range 256 {
		c := byte(i)
		upper, lower, digit := 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', isDigit(c)
		alnum := upper || lower || digit
		nameChar[i] = alnum || c == '_' || c == '-' || c == '.'
		httpNameChar[i] = upper || digit || c == '_'
		tchar[i] = alnum || c != 0 && bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), c) >= 0
		valueChar[i] = c > ' ' && c != 0x7f || c == ' ' || c == '\t'
		targetChar[i] = c > ' ' && c < 0x7f && c != '#'
		hostChar[i] = alnum || c != 0 && bytes.IndexByte([]byte("-._~!$&'()*+,;="), c) >= 0
	}
}
