package core

import (
	"unsafe"

	"github.com/porter-http/porter/core/http1"
)

// newRequest builds the request view of a parsed head. Every string of
// the view slices the exchange's copy of the head (at), so the view
// outlives the connection's read buffer: a host may hold it until it
// releases the exchange while the connection reads on. The header list
// goes into fields when it fits.
func newRequest(h *http1.Head, at headView, remote string, fields []Header) Request {
	headers := fields[:0]
	for _, f := range h.Fields {
		headers = append(headers, Header{at.str(f.Name), at.str(f.Value)})
	}
	host := h.Host
	if h.Authority != nil { // RFC 9112 §3.2.2: the absolute form's authority wins
		host = h.Authority
	}
	length := max(h.ContentLength, 0) // no Content-Length: no body
	if h.Chunked {
		length = -1
	}
	path := at.str(h.Path)
	if path == "" {
		path = "/" // an absolute-form target without a path
	}
	return Request{
		Method:        at.str(h.Method),
		Target:        at.str(h.Target),
		Path:          path,
		Query:         at.str(h.Query),
		Host:          at.str(host),
		Remote:        remote,
		Version:       h.Version,
		Headers:       headers,
		ContentLength: length,
	}
}

// headView maps slices of a head as parsed (raw) onto strings of its
// copy: the same bytes, which stay put until the exchange is recycled.
type headView struct{ copy, raw []byte }

func (v headView) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	off := uintptr(unsafe.Pointer(unsafe.SliceData(b))) - uintptr(unsafe.Pointer(unsafe.SliceData(v.raw)))
	return unsafe.String(&v.copy[off], len(b))
}

// isToken reports whether s is an RFC 9110 token: a valid field name.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenChar[s[i]] {
			return false
		}
	}
	return true
}

// isFieldValue reports whether s holds no control byte but tab.
func isFieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

var tokenChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return
}()
