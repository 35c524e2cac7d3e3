package core

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Host is the application side of a server: capi's callback or loop
// dispatcher, or a Go test.
type Host interface {
	// Request takes a new exchange, on the connection's goroutine. It
	// returns false when the host cannot take more work: porter answers
	// 503. A host that returns true owns the exchange until it ends it.
	Request(x *Exchange) bool
}

// Server serves HTTP on its listeners and hands every request to its
// host as an Exchange.
//
// Lifetime: NewServer, Listen (any number), Start, Shutdown; Done is
// closed once every exchange has ended and every connection is closed.
type Server struct {
	cfg      Config
	host     Host
	blocking bool
	hs       *http.Server

	mu        sync.Mutex
	listeners []net.Listener
	limit     *connLimit
	started   bool
	stopping  bool
	killAt    time.Time   // the shutdown deadline
	killTimer *time.Timer // closes kill at killAt

	kill     chan struct{} // closed at the shutdown deadline: abort what is left
	killOnce sync.Once
	done     chan struct{} // closed when drained
	active   sync.WaitGroup
}

// NewServer makes a server. In blocking mode (callback hosts) the host's
// calls on an exchange do their own I/O and may block.
func NewServer(cfg Config, host Host, blocking bool) *Server {
	s := &Server{
		cfg:      cfg.withDefaults(),
		host:     host,
		blocking: blocking,
		kill:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	s.hs = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.HeaderTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		ConnContext:       withConn,
		ErrorLog:          quietLog,
	}
	s.hs.SetKeepAlivesEnabled(true)
	return s
}

// Config returns the server's configuration, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Listen binds a TCP listener on addr ("host:port") now and returns its
// index.
func (s *Server) Listen(addr string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopping {
		return 0, ErrState
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return 0, err
	}
	s.listeners = append(s.listeners, ln)
	return len(s.listeners) - 1, nil
}

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
	s.started = true
	s.limit = newConnLimit(s.cfg.MaxConnections)
	for i, ln := range s.listeners {
		s.listeners[i] = s.limit.wrap(ln) // so that closing it ends a waiting Accept
		go s.hs.Serve(s.listeners[i])
	}
	return nil
}

// Shutdown stops accepting and returns at once. Exchanges in flight may
// finish within grace; then porter aborts what is left. Calling it again
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
	for _, ln := range s.listeners { // refuse new clients from now on
		ln.Close()
	}
	if !s.started {
		s.abortAll()
		close(s.done)
		return
	}
	s.limit.closeUnused()
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

func (s *Server) abortAll() {
	s.killOnce.Do(func() { close(s.kill) })
}

// drain waits for the connections to end, forcing them at the deadline.
func (s *Server) drain() {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-s.kill:
		case <-ctx.Done():
		}
		cancel()
	}()
	if s.hs.Shutdown(ctx) != nil {
		s.hs.Close()
	}
	cancel()
	s.active.Wait()
	s.mu.Lock()
	s.killTimer.Stop()
	s.mu.Unlock()
	s.abortAll()
	close(s.done)
}

// Done is closed when the server has shut down and drained.
func (s *Server) Done() <-chan struct{} { return s.done }

// ServeHTTP is the net/http front end: it checks the request against the
// limits, buffers the body when configured to, and runs the exchange.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.active.Add(1)
	defer s.active.Done()
	if status := s.check(r); status != 0 {
		reject(w, r, status)
		return
	}
	rc := http.NewResponseController(w)
	x := &Exchange{
		Req:      readRequest(r),
		s:        s,
		w:        w,
		r:        r,
		rc:       rc,
		blocking: s.blocking,
		wake:     make(chan struct{}, 1),
		room:     make(chan struct{}, 1),
		length:   -1,
	}
	if s.cfg.StreamBodies {
		rc.EnableFullDuplex()
	} else if status := x.bufferBody(); status != 0 {
		reject(w, r, status)
		return
	}
	if s.killed() {
		panic(http.ErrAbortHandler)
	}
	x.timer = time.AfterFunc(s.cfg.ResponseTimeout, x.expire)
	defer x.timer.Stop()
	if !s.host.Request(x) {
		reject(w, r, http.StatusServiceUnavailable)
		return
	}
	x.run()
}

// killed reports whether the shutdown deadline has passed.
func (s *Server) killed() bool {
	select {
	case <-s.kill:
		return true
	default:
		return false
	}
}

// check applies the limits on the request head; it returns the status to
// refuse the request with, or 0.
func (s *Server) check(r *http.Request) int {
	line := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto)
	if line > s.cfg.MaxRequestLine {
		return http.StatusRequestURITooLong
	}
	fields, size := 1, line+2+len("Host: ")+len(r.Host)+2+2
	for name, values := range r.Header {
		fields += len(values)
		for _, v := range values {
			size += len(name) + 2 + len(v) + 2
		}
	}
	if fields > s.cfg.MaxHeaderCount || size > s.cfg.MaxHeaderBytes {
		return http.StatusRequestHeaderFieldsTooLarge
	}
	if !s.cfg.StreamBodies && r.ContentLength > s.cfg.MaxBodyBytes {
		return http.StatusRequestEntityTooLarge
	}
	return 0
}

// bufferBody reads the whole body into Req.Body; it returns the status to
// refuse the request with, or 0.
func (x *Exchange) bufferBody() int {
	if x.r.ContentLength == 0 {
		return 0
	}
	// Grow with what arrives rather than trusting the declared length:
	// a client declaring 8 MiB must send it before porter holds it.
	limit := x.s.cfg.MaxBodyBytes
	x.rc.SetReadDeadline(time.Now().Add(x.s.cfg.BodyTimeout))
	body, err := io.ReadAll(io.LimitReader(x.r.Body, limit+1))
	if err != nil {
		return bodyError(err)
	}
	if int64(len(body)) > limit {
		return http.StatusRequestEntityTooLarge
	}
	x.rc.SetReadDeadline(time.Time{})
	x.Req.Body = body
	return 0
}

func bodyError(err error) int {
	if ioCause(err) == ErrTimeout {
		return http.StatusRequestTimeout
	}
	return http.StatusBadRequest
}

// reject answers status with a short text body and ends the connection;
// whatever body the client sent or still sends is not read.
func reject(w http.ResponseWriter, r *http.Request, status int) {
	endConnection(r)
	h := w.Header()
	h.Set("Connection", "close")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, http.StatusText(status)+"\n")
}
