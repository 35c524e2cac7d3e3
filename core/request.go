package core

import (
	"unsafe"

	"github.com/porter-http/porter/core/http1"
)

// newRequest builds the request view of a parsed head. The head's bytes
// are copied once into one string that every field of the view slices,
// so the view outlives the connection's read buffer: a host may hold it
// until the exchange ends while the connection reads on. The header list
// goes into fields when it fits.
func newRequest(h *http1.Head, raw []byte, remote string, fields []Header) Request {
	at := substrings(raw)
	headers := fields[:0]
	for _, f := range h.Fields {
		headers = append(headers, Header{at(f.Name), at(f.Value)})
	}
	host := h.Host
	if h.Authority != nil { // RFC 9112 §3.2.2: the absolute form's authority wins
		host = h.Authority
	}
	length := max(h.ContentLength, 0) // no Content-Length: no body
	if h.Chunked {
		length = -1
	}
	path := at(h.Path)
	if path == "" {
		path = "/" // an absolute-form target without a path
	}
	return Request{
		Method:        at(h.Method),
		Target:        at(h.Target),
		Path:          path,
		Query:         at(h.Query),
		Host:          at(host),
		Remote:        remote,
		Version:       h.Version,
		Headers:       headers,
		ContentLength: length,
	}
}

// substrings copies raw into one string and returns the function that
// maps a slice of raw onto the same bytes of that string.
func substrings(raw []byte) func(b []byte) string {
	all := string(raw)
	base := uintptr(unsafe.Pointer(unsafe.SliceData(raw)))
	return func(b []byte) string {
		if len(b) == 0 {
			return ""
		}
		off := int(uintptr(unsafe.Pointer(unsafe.SliceData(b))) - base)
		return all[off : off+len(b)]
	}
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
