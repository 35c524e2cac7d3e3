package http1

import "encoding/binary"

// This file is the request-head parser. Decisions where RFC 9110/9112 leave
// room, all in the direction of refusing what two parsers could read
// differently:
//
//   - Line endings are CRLF only, everywhere. A bare LF, a CR not followed by
//     LF, and NUL anywhere in the head are 400.
//   - At most one empty line (CRLF) before the request line is skipped
//     (RFC 9112 §2.2 asks for "at least one"); a second one is 400. The
//     skipped CRLF counts toward MaxHeaderBytes and n, not MaxRequestLine.
//   - Methods are case-sensitive tokens (RFC 9110 §9.1). A method containing
//     a lowercase ASCII letter ("get", "Get") is 501: porter implements no
//     such method. Unknown uppercase tokens pass (extension methods).
//     CONNECT is 501 as soon as the method is read: porter does not tunnel,
//     so authority-form never parses.
//   - The request target is printable ASCII 0x21-0x7E without '#' (a
//     fragment never belongs in a request), and every '%' starts a %HH
//     escape. Accepted forms: origin-form "/..."; absolute-form with scheme
//     http or https (case-insensitive), whose authority must be a valid host
//     without userinfo and lands in Head.Authority (RFC 9112 §3.2.2: it
//     overrides Host, which is still required on 1.1); asterisk-form "*"
//     only with OPTIONS. Anything else is 400.
//   - The version is exactly "HTTP/1.0" or "HTTP/1.1". Another version of
//     the shape HTTP/D or HTTP/D.D is 505; anything else (no version, as in
//     HTTP/0.9, or "http/1.1", "HTTP/1.10") is 400.
//   - Whitespace at the start of a field line (obs-fold, or before the first
//     field) and between a field name and its colon are 400 (RFC 9112 §5.1,
//     §5.2 allow the rejection).
//   - Host: HTTP/1.1 needs exactly one; HTTP/1.0 may omit it, never repeat
//     it. When present it must be uri-host [":" port] with uri-host an
//     IP-literal ("[" hex, ':' and '.' "]") or a non-empty reg-name
//     (unreserved, sub-delims, %HH), and port at most 5 digits (may be empty,
//     as RFC 3986 allows). An empty Host is 400: porter serves only http
//     URIs, whose authority is never empty.
//   - Content-Length is 1*DIGIT with at most 18 digits (so it fits int64):
//     no sign, no inner space, no list, and a second Content-Length field is
//     400 even with an equal value.
//   - Transfer-Encoding on HTTP/1.0 is 400. On 1.1 it is a comma list of
//     tokens; empty elements and parameters are 400 (stricter than the list
//     rule, which tolerates empty elements). "chunked" anywhere but last, or
//     twice, or a second Transfer-Encoding field is 400; a list that does not
//     end in chunked is 400 (RFC 9112 §6.3 MUST, which also covers unknown
//     codings alone); a list ending in chunked after other codings is 501
//     (porter decodes no transfer coding but chunked). Both
//     Transfer-Encoding and Content-Length is 400.
//   - Connection is a list of tokens (empty elements ignored, anything else
//     in it 400); "close" sets Close, and on 1.0 Close is set unless
//     "keep-alive" is listed.
//   - Expect: "100-continue" (case-insensitive) sets Expect100 on 1.1 and is
//     ignored on 1.0 (RFC 9110 §10.1.1); any other value, empty included, is
//     417 Expectation Failed.
//   - A request without Content-Length and Transfer-Encoding has an empty
//     body, whatever its method (RFC 9112 §6.3): no 411.
//
// Errors are found in input order: each decision needs only the bytes up to
// where it is made, so a prefix of a bad head gives ErrNeedMore or the
// error the whole head gives, never another one. Only a missing Host waits
// for the end of the head.

// Limits bound a request head. A field that is zero or negative takes its
// value from DefaultLimits.
type Limits struct {
	MaxRequestLine int // bytes of the request line without CRLF, else 414
	MaxHeaderBytes int // bytes of the whole head incl. request line and final CRLF, else 431
	MaxHeaderCount int // header fields, else 431
}

// DefaultLimits are nginx-like: an 8 KiB request line, a 64 KiB head and
// Apache's 100 fields.
var DefaultLimits = Limits{MaxRequestLine: 8 << 10, MaxHeaderBytes: 64 << 10, MaxHeaderCount: 100}

func (l Limits) withDefaults() Limits {
	if l.MaxRequestLine <= 0 {
		l.MaxRequestLine = DefaultLimits.MaxRequestLine
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultLimits.MaxHeaderBytes
	}
	if l.MaxHeaderCount <= 0 {
		l.MaxHeaderCount = DefaultLimits.MaxHeaderCount
	}
	return l
}

// Field is one header field line. Both slices alias the parsed buffer;
// Value is without leading and trailing OWS and may be empty.
type Field struct{ Name, Value []byte }

// Head is a parsed request head. Every []byte in it aliases the buffer
// given to Parse: it is valid while that buffer is neither modified nor
// reused, and until the next Parse on the same Head, which overwrites all
// fields and reuses Fields' backing array. A Head is not safe for
// concurrent use; a connection keeps one and parses every request into it.
type Head struct {
	Method []byte // a token, case as received
	Target []byte // the request-target as received

	// Path and Query are Target split at its first '?', '?' excluded;
	// Query is nil without '?'. Neither is percent-decoded. In asterisk-form
	// Path is "*". In absolute-form they come from the part after the
	// authority, and an empty Path there means "/".
	Path, Query []byte

	// Authority is the host[:port] of an absolute-form target, which
	// RFC 9112 §3.2.2 says to use instead of Host; nil in other forms.
	Authority []byte

	Version       int     // 10 or 11
	Fields        []Field // every field in received order, names as received
	Host          []byte  // the Host field value, nil when absent (1.0 only)
	ContentLength int64   // -1 when there is no Content-Length
	Chunked       bool    // Transfer-Encoding: chunked
	Close         bool    // the connection closes after this exchange
	Expect100     bool    // Expect: 100-continue on HTTP/1.1

	hostSeen, teSeen, keepAlive bool
}

// Lookup returns the value of the first field named name, compared
// case-insensitively (ASCII).
func (h *Head) Lookup(name string) ([]byte, bool) {
	for i := range h.Fields {
		if equalFold(h.Fields[i].Name, name) {
			return h.Fields[i].Value, true
		}
	}
	return nil, false
}

// Parse parses one request head at the start of buf. It returns the head's
// length in bytes (the body, if any, starts at buf[n:]), ErrNeedMore when
// buf holds a proper prefix of a head that is still within the limits, or
// an *Error. After an error h holds partial results. Parse keeps no state
// between calls: after ErrNeedMore, call it again with the same bytes plus
// more. It does not allocate once h.Fields has grown to its size, except
// for the *Error it returns.
func (h *Head) Parse(buf []byte, lim Limits) (n int, err error) {
	lim = lim.withDefaults()
	fields := h.Fields[:0]
	*h = Head{Fields: fields, ContentLength: -1}

	// Scan only as far as the head may reach: needing the byte at index
	// MaxHeaderBytes proves the head too long (see more).
	w := buf
	if len(w) > lim.MaxHeaderBytes {
		w = w[:lim.MaxHeaderBytes]
	}
	more := func() error {
		if len(w) >= lim.MaxHeaderBytes {
			return fail(431, "http1: request head too large")
		}
		return ErrNeedMore
	}

	p := 0
	if len(w) > 0 && w[0] == '\r' { // one leading empty line
		if len(w) < 2 {
			return 0, more()
		}
		if w[1] != '\n' {
			return 0, fail(400, "http1: bare CR")
		}
		p = 2
	}

	// Request line. lineEnd is where its CR must be at the latest.
	lineEnd := p + lim.MaxRequestLine
	end := min(len(w), lineEnd)
	// atEnd explains why a scan of the request line stopped at end.
	atEnd := func(i int) error {
		if i == len(w) {
			return more()
		}
		if w[i] == '\r' {
			return fail(400, "http1: malformed request line")
		}
		return fail(414, "http1: request line too long")
	}

	i := p
	for i < end && tchar[w[i]] {
		i++
	}
	if i == end {
		return 0, atEnd(i)
	}
	if w[i] != ' ' || i == p {
		return 0, byteErr(w[i], "http1: malformed method")
	}
	h.Method = w[p:i]
	for _, c := range h.Method {
		if 'a' <= c && c <= 'z' {
			return 0, fail(501, "http1: method not implemented (methods are case-sensitive)")
		}
	}
	if string(h.Method) == "CONNECT" {
		return 0, fail(501, "http1: CONNECT not implemented")
	}

	p = i + 1
	i = skipTarget(w, p, end)
	if i == end {
		return 0, atEnd(i)
	}
	if w[i] != ' ' {
		if w[i] == '\r' {
			return 0, fail(400, "http1: request line without HTTP version")
		}
		return 0, byteErr(w[i], "http1: invalid byte in request target")
	}
	if i == p {
		return 0, fail(400, "http1: empty request target")
	}
	h.Target = w[p:i]
	if err := h.splitTarget(); err != nil {
		return 0, err
	}

	p = i + 1
	i = p
	for i < end && w[i] > ' ' && w[i] < 0x7f {
		i++
	}
	switch {
	case i == len(w):
		return 0, more()
	case w[i] != '\r':
		if i == lineEnd {
			return 0, fail(414, "http1: request line too long")
		}
		return 0, byteErr(w[i], "http1: malformed HTTP version")
	case i+1 == len(w):
		return 0, more()
	case w[i+1] != '\n':
		return 0, fail(400, "http1: bare CR")
	}
	switch v := w[p:i]; string(v) {
	case "HTTP/1.1":
		h.Version = 11
	case "HTTP/1.0":
		h.Version = 10
	default:
		if len(v) >= 6 && string(v[:5]) == "HTTP/" && isDigit(v[5]) &&
			(len(v) == 6 || len(v) == 8 && v[6] == '.' && isDigit(v[7])) {
			return 0, fail(505, "http1: HTTP version not supported")
		}
		return 0, fail(400, "http1: malformed HTTP version")
	}
	p = i + 2

	// Field lines, up to the empty line.
	for {
		if p == len(w) {
			return 0, more()
		}
		switch w[p] {
		case '\r':
			if p+1 == len(w) {
				return 0, more()
			}
			if w[p+1] != '\n' {
				return 0, fail(400, "http1: bare CR")
			}
			return h.finish(p + 2)
		case ' ', '\t':
			return 0, fail(400, "http1: obsolete line folding or whitespace before a field line")
		}
		if len(h.Fields) == lim.MaxHeaderCount {
			return 0, fail(431, "http1: too many header fields")
		}
		i = p
		for i < len(w) && tchar[w[i]] {
			i++
		}
		if i == len(w) {
			return 0, more()
		}
		if w[i] != ':' {
			return 0, byteErr(w[i], "http1: malformed header field name")
		}
		if i == p {
			return 0, fail(400, "http1: empty header field name")
		}
		name := w[p:i]
		i++
		for i < len(w) && (w[i] == ' ' || w[i] == '\t') {
			i++
		}
		vs := i
		i = skipValue(w, i)
		switch {
		case i == len(w):
			return 0, more()
		case w[i] != '\r':
			return 0, byteErr(w[i], "http1: invalid byte in header field value")
		case i+1 == len(w):
			return 0, more()
		case w[i+1] != '\n':
			return 0, fail(400, "http1: bare CR")
		}
		ve := i
		for ve > vs && (w[ve-1] == ' ' || w[ve-1] == '\t') {
			ve--
		}
		value := w[vs:ve]
		h.Fields = append(h.Fields, Field{name, value})
		if err := h.field(name, value); err != nil {
			return 0, err
		}
		p = i + 2
	}
}

// splitTarget checks h.Target's form against the method and sets Path,
// Query and Authority.
func (h *Head) splitTarget() error {
	t := h.Target
	for i := 0; i < len(t); i++ {
		if t[i] == '%' && (i+2 >= len(t) || !isHex(t[i+1]) || !isHex(t[i+2])) {
			return fail(400, "http1: malformed percent-encoding in request target")
		}
	}
	switch {
	case t[0] == '/':
	case len(t) == 1 && t[0] == '*':
		if string(h.Method) != "OPTIONS" {
			return fail(400, "http1: asterisk-form target without OPTIONS")
		}
		h.Path = t
		return nil
	case hasPrefixFold(t, "http://") || hasPrefixFold(t, "https://"):
		t = t[3+indexByte(t, ':'):]
		a := 0
		for a < len(t) && t[a] != '/' && t[a] != '?' {
			a++
		}
		if !validHost(t[:a]) {
			return fail(400, "http1: invalid authority in absolute-form target")
		}
		h.Authority = t[:a]
		t = t[a:]
	default:
		return fail(400, "http1: malformed request target")
	}
	if q := indexByte(t, '?'); q >= 0 {
		h.Path, h.Query = t[:q], t[q+1:]
	} else {
		h.Path = t
	}
	return nil
}

// field applies the framing and connection semantics of one field line.
func (h *Head) field(name, v []byte) error {
	switch len(name) {
	case 4:
		if !equalFold(name, "host") {
			return nil
		}
		if h.hostSeen {
			return fail(400, "http1: repeated Host")
		}
		h.hostSeen = true
		if !validHost(v) {
			return fail(400, "http1: invalid Host")
		}
		h.Host = v
	case 14:
		if !equalFold(name, "content-length") {
			return nil
		}
		if h.ContentLength >= 0 {
			return fail(400, "http1: repeated Content-Length")
		}
		if h.teSeen {
			return fail(400, "http1: both Transfer-Encoding and Content-Length")
		}
		if len(v) == 0 || len(v) > 18 {
			return fail(400, "http1: invalid Content-Length")
		}
		var n int64
		for _, c := range v {
			if !isDigit(c) {
				return fail(400, "http1: invalid Content-Length")
			}
			n = n*10 + int64(c-'0')
		}
		h.ContentLength = n
	case 17:
		if !equalFold(name, "transfer-encoding") {
			return nil
		}
		if h.Version == 10 {
			return fail(400, "http1: Transfer-Encoding on HTTP/1.0")
		}
		if h.teSeen {
			return fail(400, "http1: repeated Transfer-Encoding")
		}
		h.teSeen = true
		if h.ContentLength >= 0 {
			return fail(400, "http1: both Transfer-Encoding and Content-Length")
		}
		return h.transferEncoding(v)
	case 10:
		if !equalFold(name, "connection") {
			return nil
		}
		for comma := true; comma; {
			var e []byte
			e, v, comma = nextElement(v)
			switch {
			case len(e) == 0:
			case !isToken(e):
				return fail(400, "http1: malformed Connection")
			case equalFold(e, "close"):
				h.Close = true
			case equalFold(e, "keep-alive"):
				h.keepAlive = true
			}
		}
	case 6:
		if !equalFold(name, "expect") {
			return nil
		}
		if !equalFold(v, "100-continue") {
			return fail(417, "http1: unsupported expectation")
		}
		h.Expect100 = h.Version == 11
	}
	return nil
}

func (h *Head) transferEncoding(v []byte) error {
	codings, chunked := 0, false
	for comma := true; comma; {
		var e []byte
		e, v, comma = nextElement(v)
		if len(e) == 0 || !isToken(e) {
			return fail(400, "http1: malformed Transfer-Encoding")
		}
		if chunked {
			return fail(400, "http1: chunked is not the final transfer coding")
		}
		codings++
		chunked = equalFold(e, "chunked")
	}
	switch {
	case !chunked:
		return fail(400, "http1: chunked is not the final transfer coding")
	case codings > 1:
		return fail(501, "http1: transfer coding not implemented")
	}
	h.Chunked = true
	return nil
}

func (h *Head) finish(n int) (int, error) {
	if h.Version == 11 && !h.hostSeen {
		return 0, fail(400, "http1: missing Host")
	}
	if h.Version == 10 && !h.keepAlive {
		h.Close = true
	}
	return n, nil
}

// nextElement splits a comma list: the first element without OWS, the
// rest after its comma, and whether there was a comma (so a trailing empty
// element is still seen).
func nextElement(v []byte) (e, rest []byte, comma bool) {
	c := indexByte(v, ',')
	if c < 0 {
		return trimOWS(v), nil, false
	}
	return trimOWS(v[:c]), v[c+1:], true
}

// validHost reports whether b is uri-host [":" port], see the top of the file.
func validHost(b []byte) bool {
	i := 0
	if len(b) > 0 && b[0] == '[' {
		i = 1
		for i < len(b) && (isHex(b[i]) || b[i] == ':' || b[i] == '.') {
			i++
		}
		if i == 1 || i == len(b) || b[i] != ']' {
			return false
		}
		i++
	} else {
		for i < len(b) && b[i] != ':' {
			switch {
			case b[i] == '%':
				if i+2 >= len(b) || !isHex(b[i+1]) || !isHex(b[i+2]) {
					return false
				}
				i += 3
			case hostChar[b[i]]:
				i++
			default:
				return false
			}
		}
		if i == 0 {
			return false
		}
	}
	if i == len(b) {
		return true
	}
	if b[i] != ':' || len(b)-i-1 > 5 {
		return false
	}
	for _, c := range b[i+1:] {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// skipValue returns the index of the first byte of w from i on that is
// not a field-value byte, or len(w). Values make up most of a head, so it
// checks 8 bytes at a time while all are plainly valid (0x20 up, not DEL),
// then goes on byte by byte.
func skipValue(w []byte, i int) int {
	for ; i+8 <= len(w); i += 8 {
		x := binary.LittleEndian.Uint64(w[i:])
		if hasBelow(x, 0x20) || hasByte(x, 0x7f) {
			break
		}
	}
	for i < len(w) && valueChar[w[i]] {
		i++
	}
	return i
}

// skipTarget is skipValue for request-target bytes, up to end.
func skipTarget(w []byte, i, end int) int {
	for ; i+8 <= end; i += 8 {
		x := binary.LittleEndian.Uint64(w[i:])
		if hasBelow(x, 0x21) || x&highBits != 0 || hasByte(x, 0x7f) || hasByte(x, '#') {
			break
		}
	}
	for i < end && targetChar[w[i]] {
		i++
	}
	return i
}

const (
	lowBits  = 0x0101010101010101
	highBits = 0x8080808080808080
)

// hasBelow reports whether a byte of x is less than n (n <= 0x80). A
// borrow starts only at such a byte, so a byte flagged wrongly always
// follows one flagged rightly: the answer is exact.
func hasBelow(x uint64, n byte) bool { return (x-lowBits*uint64(n))&^x&highBits != 0 }

// hasByte reports whether a byte of x is c.
func hasByte(x uint64, c byte) bool { return hasBelow(x^(lowBits*uint64(c)), 1) }

// byteErr names the byte that stopped a scan when it breaks a rule of its
// own, else reports what.
func byteErr(c byte, what string) error {
	switch c {
	case '\n':
		return fail(400, "http1: bare LF")
	case 0:
		return fail(400, "http1: NUL byte")
	}
	return fail(400, what)
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func isToken(b []byte) bool {
	for _, c := range b {
		if !tchar[c] {
			return false
		}
	}
	return len(b) > 0
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFold reports whether b equals s ignoring ASCII case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

func hasPrefixFold(b []byte, s string) bool { return len(b) >= len(s) && equalFold(b[:len(s)], s) }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || 'a' <= lower(c) && lower(c) <= 'f' }

// Byte classes.
var (
	tchar      [256]bool // RFC 9110 §5.6.2 token characters
	valueChar  [256]bool // field-value bytes: VCHAR, obs-text, SP, HTAB
	targetChar [256]bool // request-target bytes: 0x21-0x7E except '#'
	hostChar   [256]bool // reg-name bytes but '%': unreserved and sub-delims
)

func init() {
	for c := 0; c < 256; c++ {
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		tchar[c] = alnum || c < 0x80 && indexByte([]byte("!#$%&'*+-.^_`|~"), byte(c)) >= 0
		valueChar[c] = c > 0x20 && c != 0x7f || c == ' ' || c == '\t'
		targetChar[c] = c > 0x20 && c < 0x7f && c != '#'
		hostChar[c] = alnum || c < 0x80 && indexByte([]byte("-._~!$&'()*+,;="), byte(c)) >= 0
	}
}
