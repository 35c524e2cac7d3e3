package core

import "errors"

// Errors returned by Exchange and Server methods. capi maps each to one
// PORTER_E* code; nothing else in porter knows the codes.
var (
	ErrWouldBlock    = errors.New("porter: the call would block")
	ErrAborted       = errors.New("porter: the request was aborted")
	ErrState         = errors.New("porter: the call does not fit the request's state")
	ErrHeader        = errors.New("porter: invalid or reserved response header")
	ErrStatus        = errors.New("porter: status outside 200..999")
	ErrBodyForbidden = errors.New("porter: this status has no body")
	ErrServerClosed  = errors.New("porter: server closed")
	ErrNoCert        = errors.New("porter: a TLS listener needs a certificate")

	// Why porter aborted an exchange (see Exchange.Cause).
	ErrPeer    = errors.New("porter: the client went away or broke the protocol")
	ErrTimeout = errors.New("porter: a deadline passed")
)
