package core

import "time"

// LogKind says what a Log record is about.
type LogKind int

const (
	LogAccess LogKind = iota + 1 // a request porter answered or the host ended
	LogError                     // a failure that belongs to no request
)

// Log is one record of a server's access and error log, for a host that
// set Config.Logger.
type Log struct {
	Kind     LogKind
	Method   string // access: as received; "" when the head did not parse
	Target   string
	Remote   string // the client's address (both kinds, when known)
	Version  int    // access: 10, 11 or 20
	Status   int    // access: the status sent; 0 when none was (the connection or stream was cut)
	BytesIn  int64  // access: request body bytes read
	BytesOut int64  // access: response body bytes the host handed over
	Duration time.Duration
	Cause    error // access: why porter ended it early, or nil; error: what failed
}

// log hands a record to the host's logger, if it has one.
func (s *Server) log(l Log) {
	if s.cfg.Logger != nil {
		s.cfg.Logger(l)
	}
}

// logging reports whether records are wanted, so that their cost (a
// clock read per request) is paid only then.
func (s *Server) logging() bool { return s.cfg.Logger != nil }
