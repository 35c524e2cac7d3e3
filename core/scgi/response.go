package scgi

import "strconv"

// Field is one response header field. Any struct type made of the same
// two strings, Name then Value, converts to it, so AppendResponseHead
// takes a caller's own field list as it is.
type Field struct{ Name, Value string }

// AppendResponseHead appends a CGI response head (RFC 3875 §6.3) to dst:
// "Status: 200 OK", the fields in order, and the empty line, each line
// ending in CRLF. status is a three-digit code. Fields named Status (any
// case) are left out: status is the one status, and servers read a
// second one differently.
//
// Names and values are written as given, so the caller checks them. The
// body follows the head raw and ends when the connection closes: fields
// must not include Transfer-Encoding, and a Content-Length, when given,
// must be exact. AppendResponseHead does not allocate when dst has room.
func AppendResponseHead[F ~struct{ Name, Value string }](dst []byte, status int, reason string, fields []F) []byte {
	dst = append(dst, "Status: "...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, ' ')
	dst = append(dst, reason...)
	dst = append(dst, "\r\n"...)
	for _, f := range fields {
		f := Field(f)
		if isStatus(f.Name) {
			continue
		}
		dst = append(dst, f.Name...)
		dst = append(dst, ": "...)
		dst = append(dst, f.Value...)
		dst = append(dst, "\r\n"...)
	}
	return append(dst, "\r\n"...)
}

func isStatus(name string) bool {
	const s = "status"
	if len(name) != len(s) {
		return false
	}
	for i := range len(s) {
		if name[i]|0x20 != s[i] {
			return false
		}
	}
	return true
}
