package core

import (
	"net/http"
	"strconv"
)

// framing is how a response body is delimited on the wire.
type framing uint8

const (
	framedNone    framing = iota // no body: HEAD, 204, 304
	framedLength                 // Content-Length
	framedChunked                // Transfer-Encoding: chunked (HTTP/1.1)
	framedClose                  // until the connection closes (HTTP/1.0, length unknown)
)

// bodyless reports whether a response to method with status never has a
// body (RFC 9110 §6.4.1).
func bodyless(method string, status int) bool {
	return method == "HEAD" || status == http.StatusNoContent ||
		status == http.StatusNotModified || status < 200
}

// appendHead appends a response head. length is the exact body length
// or -1; keepAlive says whether the connection stays open after it.
// Host header fields named Date or Connection replace porter's own.
func appendHead(b []byte, status int, header []Header, f framing, length int64, version int, keepAlive bool) []byte {
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(status)...)
	b = append(b, "\r\n"...)
	ownDate, ownConnection := false, false
	for _, h := range header {
		switch {
		case fieldIs(h.Name, "Date"):
			ownDate = true
		case fieldIs(h.Name, "Connection"):
			ownConnection = true
		}
		b = append(b, h.Name...)
		b = append(b, ": "...)
		b = append(b, h.Value...)
		b = append(b, "\r\n"...)
	}
	if !ownDate {
		b = append(b, "Date: "...)
		b = append(b, httpDate()...)
		b = append(b, "\r\n"...)
	}
	switch f {
	case framedLength:
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, length, 10)
		b = append(b, "\r\n"...)
	case framedChunked:
		b = append(b, "Transfer-Encoding: chunked\r\n"...)
	}
	switch {
	case ownConnection:
	case !keepAlive:
		b = append(b, "Connection: close\r\n"...)
	case version == 10:
		b = append(b, "Connection: keep-alive\r\n"...)
	}
	return append(b, "\r\n"...)
}

// appendChunk appends p as one chunk of a chunked body.
func appendChunk(b, p []byte) []byte {
	b = strconv.AppendUint(b, uint64(len(p)), 16)
	b = append(b, "\r\n"...)
	b = append(b, p...)
	return append(b, "\r\n"...)
}

const lastChunk = "0\r\n\r\n"

// appendReject appends porter's own answer to a request it refuses: a
// short text body, and the connection closes after it.
func appendReject(b []byte, status int) []byte {
	text := http.StatusText(status) + "\n"
	b = appendHead(b, status, []Header{{"Content-Type", "text/plain; charset=utf-8"}},
		framedLength, int64(len(text)), 11, false)
	return append(b, text...)
}
