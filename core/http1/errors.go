// Package http1 is porter's own HTTP/1.x wire format: a strict request-head
// parser and a chunked body decoder that follow RFC 9110 and RFC 9112, work
// on caller-owned buffers without allocating, and refuse every framing
// ambiguity a front proxy might read differently.
package http1

import "errors"

// Error is a malformed or over-limit request: the status to answer it
// with (the connection is then closed) and what was wrong.
type Error struct {
	Status int    // 400, 411, 413, 414, 417, 431, 501 or 505
	Reason string // for logs and tests, never sent to the client
}

func (e *Error) Error() string { return e.Reason }

// ErrNeedMore says the input ends before the element does: call again
// with more bytes.
var ErrNeedMore = errors.New("http1: need more input")

func fail(status int, reason string) error { return &Error{status, reason} }
