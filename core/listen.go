package core

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// ListenOptions shape a listener beyond its address. The zero value is
// a plain listener (with SO_REUSEADDR, as Go always sets).
type ListenOptions struct {
	ReusePort bool        // SO_REUSEPORT: other sockets (processes) may bind the same port
	V6Only    bool        // an IPv6 wildcard listener takes no IPv4 clients
	UnixMode  os.FileMode // unix sockets: the file's permission bits (0: as the umask leaves them)
	TLS       bool        // serve HTTPS with the server's certificates (SetCerts)
	SCGI      bool        // serve SCGI (a web server in front) instead of HTTP
}

// unixPrefix marks a unix socket address: "unix:/run/app.sock".
const unixPrefix = "unix:"

// Listen binds a listener now and returns its index; listeners are
// added before Start. addr is "host:port" for TCP or "unix:PATH" for a
// unix domain socket; a stale socket file at PATH (one nobody accepts
// on) is removed first.
func (s *Server) Listen(addr string, opt ListenOptions) (int, error) {
	if err := s.canListen(); err != nil {
		return 0, err
	}
	var ln net.Listener
	var err error
	if path, ok := strings.CutPrefix(addr, unixPrefix); ok {
		ln, err = listenUnix(path, opt.UnixMode)
	} else {
		ln, err = listenTCP(addr, opt)
	}
	if err != nil {
		return 0, err
	}
	return s.addListener(ln, opt)
}

// ListenFD serves a socket that is already listening, such as one
// inherited from systemd or inetd. porter works on a duplicate: the
// caller keeps fd and may close it.
func (s *Server) ListenFD(fd int) (int, error) {
	if err := s.canListen(); err != nil {
		return 0, err
	}
	f, err := dupFile(fd)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return 0, err
	}
	return s.addListener(ln, ListenOptions{})
}

// ServeFD serves a connection the caller accepted itself (like lua-http's
// add_socket), on a duplicate of fd: the caller keeps fd and may close it.
// The server must have started.
func (s *Server) ServeFD(fd int) error {
	s.mu.Lock()
	started, stopping := s.started, s.stopping
	s.mu.Unlock()
	if !started || stopping {
		return ErrState
	}
	f, err := dupFile(fd)
	if err != nil {
		return err
	}
	defer f.Close()
	nc, err := net.FileConn(f)
	if err != nil {
		return err
	}
	if nc.RemoteAddr() == nil {
		nc.Close()
		return errors.New("not a connected socket")
	}
	select {
	case s.slots <- struct{}{}:
	default:
		nc.Close()
		return ErrWouldBlock // at MaxConnections
	}
	s.serveConn(newConn(s, nc))
	return nil
}

func dupFile(fd int) (*os.File, error) {
	if fd < 0 {
		return nil, syscall.EBADF
	}
	nfd, err := syscall.Dup(fd)
	if err != nil {
		return nil, err
	}
	syscall.CloseOnExec(nfd)
	return os.NewFile(uintptr(nfd), "porter"), nil
}

// canListen says whether listeners may still be added: only before
// Start.
func (s *Server) canListen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopping {
		return ErrState
	}
	return nil
}

func (s *Server) addListener(ln net.Listener, opt ListenOptions) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopping {
		ln.Close()
		return 0, ErrState
	}
	if !opt.TLS && !opt.SCGI && !s.cfg.H2C { // its connections go to loops
		// Without a descriptor to duplicate, Go's Accept does it all.
		if raw, err := newRawListener(ln); err == nil {
			ln = raw
		}
	}
	s.listeners = append(s.listeners, ln)
	s.listenOpts = append(s.listenOpts, opt)
	return len(s.listeners) - 1, nil
}

func listenTCP(addr string, opt ListenOptions) (net.Listener, error) {
	lc := net.ListenConfig{
		Control: func(network, address string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				if opt.ReusePort {
					serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1)
				}
				if serr == nil && strings.HasSuffix(network, "6") {
					v6only := 0
					if opt.V6Only {
						v6only = 1
					}
					serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, v6only)
				}
			})
			if err != nil {
				return err
			}
			return serr
		},
	}
	return lc.Listen(context.Background(), "tcp", addr)
}

// soReusePort is SO_REUSEPORT on Linux (the syscall package lacks it).
const soReusePort = 0xf

func listenUnix(path string, mode os.FileMode) (net.Listener, error) {
	if path == "" {
		return nil, errors.New("unix socket: empty path")
	}
	removeStaleSocket(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if mode != 0 {
		if err := os.Chmod(path, mode.Perm()); err != nil {
			ln.Close()
			return nil, err
		}
	}
	return ln, nil
}

// removeStaleSocket removes a socket file left by a process that is gone:
// one that refuses connections. A live socket, or a file of another kind,
// is left for Listen to fail on.
func removeStaleSocket(path string) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode().Type() != os.ModeSocket {
		return
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		os.Remove(path)
	}
}

// AddrString returns the bound address of listener i as a host names it
// again: "host:port", or "unix:PATH"; "" for an unknown index.
func (s *Server) AddrString(i int) string {
	a := s.Addr(i)
	switch {
	case a == nil:
		return ""
	case a.Network() == "unix":
		return unixPrefix + a.String()
	}
	return a.String()
}

// Pause stops accepting connections; clients wait in the kernel's
// backlog, and open connections carry on. Resume starts again.
func (s *Server) Pause() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paused {
		return
	}
	s.paused = true
	s.resumed = make(chan struct{})
	for _, ln := range s.listeners {
		if d, ok := ln.(interface{ SetDeadline(time.Time) error }); ok {
			d.SetDeadline(time.Now()) // a waiting Accept returns
		}
	}
}

// Resume undoes Pause.
func (s *Server) Resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.paused {
		return
	}
	s.paused = false
	for _, ln := range s.listeners {
		if d, ok := ln.(interface{ SetDeadline(time.Time) error }); ok {
			d.SetDeadline(time.Time{})
		}
	}
	close(s.resumed)
}

// waitResumed waits while the server is paused; it returns false once
// the server stops.
func (s *Server) waitResumed() bool {
	s.mu.Lock()
	paused, resumed := s.paused, s.resumed
	s.mu.Unlock()
	if !paused {
		return true
	}
	select {
	case <-resumed:
		return true
	case <-s.stopped:
		return false
	}
}
