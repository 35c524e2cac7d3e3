package core

import "sync/atomic"

// Stats are a server's counters since it was made.
type Stats struct {
	Connections  int64 // open now
	Accepted     int64 // connections accepted (or handed over with ServeFD)
	Requests     int64 // requests handed to the host
	BytesIn      int64 // read from clients
	BytesOut     int64 // written to clients
	AcceptErrors int64 // failed accepts (out of descriptors, most likely)
	TLSErrors    int64 // failed or timed-out TLS handshakes
	LoopStalls   int64 // callbacks that held an event loop a tick or more (loop.go)
	HostAway     int64 // times porter served a loop-mode host's loop in its place (loop.go)

	// Requests porter refused before the host saw them, by reason.
	RejectedMalformed   int64 // 400: broken framing, bad bytes, bad Host
	RejectedTooLarge    int64 // 413, 414, 431: over a limit
	RejectedTimeout     int64 // 408: the head or body came too slowly
	RejectedUnsupported int64 // 417, 501, 505: an expectation, method or version porter does not serve
	RejectedOverloaded  int64 // 503: the host's queue was full, or shutdown
}

// stats are the live counters behind Stats.
type stats struct {
	accepted, closed, requests         atomic.Int64
	bytesIn, bytesOut, acceptErrors    atomic.Int64
	malformed, tooLarge, timeout       atomic.Int64
	unsupported, overloaded, tlsErrors atomic.Int64
	loopStalls, hostAway               atomic.Int64
}

// rejected counts a refused request by its status.
func (st *stats) rejected(status int) {
	switch status {
	case 413, 414, 431:
		st.tooLarge.Add(1)
	case 408:
		st.timeout.Add(1)
	case 417, 501, 505:
		st.unsupported.Add(1)
	case 503:
		st.overloaded.Add(1)
	default:
		st.malformed.Add(1)
	}
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	st := &s.stats
	accepted := st.accepted.Load()
	return Stats{
		Connections:         accepted - st.closed.Load(),
		Accepted:            accepted,
		Requests:            st.requests.Load(),
		BytesIn:             st.bytesIn.Load(),
		BytesOut:            st.bytesOut.Load(),
		AcceptErrors:        st.acceptErrors.Load(),
		TLSErrors:           st.tlsErrors.Load(),
		LoopStalls:          st.loopStalls.Load(),
		HostAway:            st.hostAway.Load(),
		RejectedMalformed:   st.malformed.Load(),
		RejectedTooLarge:    st.tooLarge.Load(),
		RejectedTimeout:     st.timeout.Load(),
		RejectedUnsupported: st.unsupported.Load(),
		RejectedOverloaded:  st.overloaded.Load(),
	}
}
