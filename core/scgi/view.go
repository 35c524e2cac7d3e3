package scgi

import (
	"bytes"
	"iter"
)

// This file maps a parsed head onto the request view porter builds for
// HTTP/1. Method, Target, Path, Query, Host, Version, ContentLength and
// TLS are Head's fields already; the header fields and the remote address
// need the helpers below.

// Headers iterates, in received order, over the variables that carry the
// request's HTTP header fields, yielding each one's name and value; turn
// the name into the field name with AppendHeaderName. They are:
//
//   - CONTENT_LENGTH unless it is zero, and CONTENT_TYPE unless it is
//     empty: CGI moves these two fields out of HTTP_* (RFC 3875 §4.1.2,
//     §4.1.3), and a server sends both even for a request without a body.
//   - Every HTTP_* variable but three that nginx passes on as the client
//     sent them: HTTP_CONTENT_LENGTH and HTTP_TRANSFER_ENCODING, since
//     the body that follows is CONTENT_LENGTH bytes whatever the client's
//     framing was, and HTTP_CONTENT_TYPE, since CONTENT_TYPE says it. An
//     empty HTTP_HOST is left out too, as Host is.
func (h *Head) Headers() iter.Seq2[[]byte, []byte] {
	return func(yield func(name, value []byte) bool) {
		for _, v := range h.Vars {
			if h.isHeader(v) && !yield(v.Name, v.Value) {
				return
			}
		}
	}
}

func (h *Head) isHeader(v Var) bool {
	switch string(v.Name) {
	case "CONTENT_LENGTH":
		return h.ContentLength > 0
	case "CONTENT_TYPE", "HTTP_HOST":
		return len(v.Value) > 0
	case "HTTP_CONTENT_LENGTH", "HTTP_TRANSFER_ENCODING", "HTTP_CONTENT_TYPE":
		return false
	}
	return isHTTP(v.Name)
}

// AppendHeaderName appends to dst the HTTP field name that the variable
// name stands for: without "HTTP_", '_' turned into '-', each word's
// first letter upper case and the others lower case. HTTP_X_FORWARDED_FOR
// gives X-Forwarded-For, CONTENT_TYPE Content-Type. The case a client
// used is lost on the way (field names compare case-insensitively). It
// does not allocate when dst has room.
func AppendHeaderName(dst, name []byte) []byte {
	if isHTTP(name) {
		name = name[len("HTTP_"):]
	}
	first := true
	for _, c := range name {
		switch {
		case c == '_':
			c = '-'
			first = true
		case first:
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			first = false
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// AppendRemote appends the client's address to dst: "ip:port", with the
// IP in brackets when it holds a ':' (IPv6), or REMOTE_ADDR alone when
// there is no REMOTE_PORT (nginx on a Unix socket sends "unix:").
func (h *Head) AppendRemote(dst []byte) []byte {
	if len(h.RemotePort) == 0 {
		return append(dst, h.RemoteAddr...)
	}
	if bytes.IndexByte(h.RemoteAddr, ':') >= 0 {
		dst = append(dst, '[')
		dst = append(dst, h.RemoteAddr...)
		dst = append(dst, ']')
	} else {
		dst = append(dst, h.RemoteAddr...)
	}
	dst = append(dst, ':')
	return append(dst, h.RemotePort...)
}
