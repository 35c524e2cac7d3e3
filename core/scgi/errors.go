// Package scgi is porter's SCGI wire format (python.ca/scgi/protocol.txt),
// for serving behind a web server that speaks SCGI to its backends (nginx
// scgi_pass, Apache mod_proxy_scgi, lighttpd mod_scgi): a strict request
// parser that works on caller-owned buffers without allocating, the
// mapping from CGI variables to the request view porter builds for
// HTTP/1, and the CGI-style response head.
//
// One connection carries one request: the server sends the headers and
// the body, porter answers with a response head and the raw body, then
// closes the connection.
package scgi

import "errors"

// Error is a malformed or over-limit request: the status to answer it
// with (the connection is then closed) and what was wrong.
type Error struct {
	Status int    // 400, 431 or 501
	Reason string // for logs and tests, never sent to the client
}

func (e *Error) Error() string { return e.Reason }

// ErrNeedMore says the input ends before the request head does: call
// again with more bytes.
var ErrNeedMore = errors.New("scgi: need more input")

func fail(status int, reason string) error { return &Error{status, reason} }
