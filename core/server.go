package core

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/porter-http/porter/core/http1"
	"github.com/porter-http/porter/core/scgi"
)

// Host is the application side of a server: capi's callback or loop
// dispatcher, or a Go test.
type Host interface {
	// Request takes a new exchange, on the connection's goroutine. It
	// returns false when the host cannot take more work: porter answers
	// 503. A host that returns true owns the exchange until it ends it.
	Request(x Exchange) bool
}

// Server serves HTTP/1.x on its listeners and hands every request to its
// host as an Exchange.
//
// Lifetime: NewServer, Listen (any number), Start, Shutdown; Done is
// closed once every exchange has ended and every connection is closed.
type Server struct {
	cfg        Config
	limits     http1.Limits
	scgiLimits scgi.Limits
	host       Host
	blocking   bool

	certs atomic.Pointer[certSet] // for TLS listeners

	mu         sync.Mutex
	listeners  []net.Listener
	listenOpts []ListenOptions // of each listener
	conns      map[*conn]struct{}
	started    bool
	stopping   bool
	killAt     time.Time   // the shutdown deadline
	killTimer  *time.Timer // closes kill at killAt
	paused     bool
	resumed    chan struct{} // closed by Resume

	slots    chan struct{} // one per open connection, up to MaxConnections
	stopped  chan struct{} // closed when shutdown begins: accept loops end
	kill     chan struct{} // closed at the shutdown deadline: abort what is left
	killOnce sync.Once
	done     chan struct{} // closed when drained
	active   sync.WaitGroup
	stats    stats
	h2       *h2Front // nil unless some listener may carry HTTP/2
	loops    []*loop  // serve plain connections between requests
	loopTurn atomic.Uint32
}

// NewServer makes a server. In blocking mode (callback hosts) the host's
// calls on an exchange do their own I/O and may block.
func NewServer(cfg Config, host Host, blocking bool) *Server {
	cfg = cfg.withDefaults()
	return &Server{
		cfg: cfg,
		limits: http1.Limits{
			MaxRequestLine: cfg.MaxRequestLine,
			MaxHeaderBytes: cfg.MaxHeaderBytes,
			MaxHeaderCount: cfg.MaxHeaderCount,
		},
		scgiLimits: scgi.Limits{
			MaxHeaderBytes: cfg.MaxHeaderBytes,
			MaxHeaderCount: cfg.MaxHeaderCount + 64, // the CGI variables come on top of the fields
		},
		host:     host,
		blocking: blocking,
		conns:    make(map[*conn]struct{}),
		slots:    make(chan struct{}, cfg.MaxConnections),
		stopped:  make(chan struct{}),
		kill:     make(chan struct{}),
		done:     make(chan struct{}),
	}
}

// Config returns the server's configuration, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Addr returns the bound address of listener i, or nil.
func (s *Server) Addr(i int) net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i < 0 || i >= len(s.listeners) {
		return nil
	}
	return s.listeners[i].Addr()
}

// Start serves every listener in the background.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopping || len(s.listeners) == 0 {
		return ErrState
	}
	var tlsConfig *tls.Config
	for _, opt := range s.listenOpts {
		if opt.TLS && tlsConfig == nil {
			if set := s.certs.Load(); set == nil || len(set.certs) == 0 {
				return ErrNoCert
			}
			tlsConfig = s.tlsConfig()
		}
	}
	if err := s.startLoops(); err != nil {
		return err
	}
	s.started = true
	keepDate(+1)
	if (tlsConfig != nil && !s.cfg.DisableHTTP2) || s.cfg.H2C {
		s.h2 = newH2Front(s)
	}
	for i, ln := range s.listeners {
		var config *tls.Config
		if s.listenOpts[i].TLS {
			config = tlsConfig
		}
		s.active.Add(1)
		go s.accept(ln, config, s.listenOpts[i].SCGI)
	}
	go s.sweep()
	return nil
}

// sweep enforces the response deadline of every exchange and the idle
// timeout of every parked connection, a few times per timeout (at most
// once a second): cheaper than a timer each, at the price of acting up
// to a quarter timeout late.
func (s *Server) sweep() {
	shortest := min(s.cfg.ResponseTimeout, s.cfg.IdleTimeout, s.cfg.HeaderTimeout)
	every := min(max(shortest/4, 5*time.Millisecond), time.Second)
	tick := time.NewTicker(every)
	defer tick.Stop()
	var conns []*conn
	for {
		select {
		case <-tick.C:
			now := monoNow()
			s.mu.Lock()
			for c := range s.conns {
				conns = append(conns, c)
			}
			s.mu.Unlock()
			for i, c := range conns {
				c.expire(now)
				conns[i] = nil
			}
			conns = conns[:0]
		case <-s.done:
			return
		}
	}
}

// accept serves one listener until shutdown, with TLS when config is
// set, speaking SCGI instead of HTTP when scgi is. At MaxConnections it stops
// accepting, so that new clients wait in the kernel's backlog; when the
// process runs out of descriptors it backs off and tries again.
func (s *Server) accept(ln net.Listener, config *tls.Config, scgi bool) {
	defer s.active.Done()
	backoff := time.Duration(0)
	for s.waitResumed() {
		select {
		case s.slots <- struct{}{}:
		case <-s.stopped:
			return
		}
		c, err := s.acceptConn(ln, config)
		if err != nil {
			<-s.slots
			var ne net.Error
			switch {
			case errors.Is(err, net.ErrClosed):
				return
			case errors.As(err, &ne) && ne.Timeout():
				continue // Pause stopped the wait
			}
			// Out of descriptors, most likely: back off and try again.
			s.stats.acceptErrors.Add(1)
			s.log(Log{Kind: LogError, Cause: err})
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			select {
			case <-time.After(backoff):
			case <-s.stopped:
				return
			}
			continue
		}
		backoff = 0
		// An Accept that the socket readied just as Pause set the
		// deadline still succeeds: that client waits here instead.
		if !s.waitResumed() {
			c.closeSocket()
			<-s.slots
			return
		}
		c.scgi = scgi
		s.serveConn(c)
	}
}

// acceptConn takes the listener's next connection: as a bare descriptor
// from a rawListener, else through ln, with TLS when config is set.
func (s *Server) acceptConn(ln net.Listener, config *tls.Config) (*conn, error) {
	if raw, ok := ln.(*rawListener); ok {
		fd, sa, err := raw.accept()
		if err != nil {
			return nil, err
		}
		return newRawConn(s, fd, sa), nil
	}
	nc, err := ln.Accept()
	if err != nil {
		return nil, err
	}
	if config != nil {
		nc = tls.Server(nc, config) // the handshake is the connection's first read
	}
	return newConn(s, nc), nil
}

// serveConn serves a connection that holds a slot.
func (s *Server) serveConn(c *conn) {
	c.useLoop(s.nextLoop()) // not for TLS (no descriptor) or SCGI
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		c.closeSocket()
		<-s.slots
		return
	}
	s.conns[c] = struct{}{}
	s.active.Add(1)
	s.mu.Unlock()
	s.stats.accepted.Add(1)
	if c.loop != nil && !s.cfg.H2C { // nothing to sniff: the loop waits for the first request
		if !c.park(true) {
			c.close(false)
		}
		return
	}
	go c.serve()
}

// connClosed forgets a closed connection and frees its slot.
func (s *Server) connClosed(c *conn) {
	s.stats.closed.Add(1)
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	<-s.slots
	s.active.Done()
}

// Shutdown stops accepting and returns at once. Exchanges in flight may
// finish within grace, and connections close after their current
// exchange; at the deadline porter aborts what is left. Calling it again
// can only bring the deadline closer.
func (s *Server) Shutdown(grace time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at := time.Now().Add(grace)
	if s.stopping {
		if at.Before(s.killAt) {
			s.killAt = at
			s.killTimer.Reset(grace)
		}
		return
	}
	s.stopping = true
	s.killAt = at
	s.killTimer = time.AfterFunc(grace, s.abortAll)
	close(s.stopped)
	for _, ln := range s.listeners { // refuse new clients from now on
		ln.Close()
	}
	if !s.started {
		s.killOnce.Do(func() { close(s.kill) })
		close(s.done)
		return
	}
	for c := range s.conns {
		c.shutdown()
	}
	if s.h2 != nil {
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-s.kill; cancel() }()
		go s.h2.shutdown(ctx)
	}
	go s.drain()
}

// Stop begins a shutdown with no grace, unless one is under way.
func (s *Server) Stop() {
	s.mu.Lock()
	stopping := s.stopping
	s.mu.Unlock()
	if !stopping {
		s.Shutdown(0)
	}
}

// abortAll ends every connection at the shutdown deadline.
func (s *Server) abortAll() {
	first := false
	s.killOnce.Do(func() { close(s.kill); first = true })
	if !first {
		return
	}
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
}

// drain waits for the accept loops and connections to end.
func (s *Server) drain() {
	s.active.Wait()
	s.mu.Lock()
	s.killTimer.Stop()
	s.mu.Unlock()
	s.killOnce.Do(func() { close(s.kill) })
	s.stopLoops()
	keepDate(-1)
	close(s.done)
}

// Done is closed when the server has shut down and drained.
func (s *Server) Done() <-chan struct{} { return s.done }

// killed reports whether the shutdown deadline has passed.
func (s *Server) killed() bool {
	select {
	case <-s.kill:
		return true
	default:
		return false
	}
}
