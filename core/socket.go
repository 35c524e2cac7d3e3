package core

import (
	"errors"
	"net"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// A plain connection is accepted as a bare descriptor (rawListener) and
// kept out of Go's poller while its loop serves it: registered in both,
// every packet it gets would wake two epoll sets, and Go's poller would
// report events nobody waits for. It gets a socket in Go's poller (a
// net.Conn over an *os.File) only when a goroutine must wait on it
// (conn.polled), and keeps that socket until it closes. Connections
// that start on a goroutine (TLS, SCGI, h2c, ServeFD) have their
// socket from the start.

// socket is a connection as the goroutines that wait on it use it.
type socket struct {
	nc  net.Conn
	raw syscall.RawConn // for reads that hold no buffer; nil without (TLS)
}

func newSocket(nc net.Conn) *socket {
	p := &socket{nc: nc}
	if sc, ok := nc.(syscall.Conn); ok {
		p.raw, _ = sc.SyscallConn()
	}
	return p
}

// closedSocket stands for the socket of a connection that closed before
// it needed one: a late deadline or read on it fails, as on a closed
// net.Conn, and never touches a descriptor number that may be reused.
var closedSocket = func() *socket {
	nc, peer := net.Pipe()
	nc.Close()
	peer.Close()
	return &socket{nc: nc}
}()

// polled returns the connection's socket, making it the first time.
func (c *conn) polled() *socket {
	if p := c.sock.Load(); p != nil {
		return p
	}
	c.sockMu.Lock()
	defer c.sockMu.Unlock()
	if p := c.sock.Load(); p != nil {
		return p
	}
	if c.closed {
		return closedSocket
	}
	// The descriptor is non-blocking, so the file goes into Go's poller.
	p := newSocket(fileConn{os.NewFile(uintptr(c.fd), "porter-conn"), c.raddr})
	c.sock.Store(p)
	return p
}

// netConn is the connection for a goroutine that may wait on it.
func (c *conn) netConn() net.Conn { return c.polled().nc }

// closeSocket closes the descriptor, through its socket when it has one.
func (c *conn) closeSocket() {
	c.sockMu.Lock()
	done := c.closed
	c.closed = true
	p := c.sock.Load()
	c.sockMu.Unlock()
	switch {
	case done:
	case p != nil:
		p.nc.Close()
	default:
		syscall.Close(c.fd)
	}
}

// fileConn is a descriptor accepted raw, as a net.Conn.
type fileConn struct {
	*os.File
	remote net.Addr
}

func (f fileConn) RemoteAddr() net.Addr { return f.remote }

func (f fileConn) LocalAddr() net.Addr {
	var sa syscall.Sockaddr
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { sa, _ = syscall.Getsockname(int(fd)) })
	}
	return sockaddrAddr(sa)
}

// CloseWrite shuts the sending side, as (*net.TCPConn).CloseWrite does.
func (f fileConn) CloseWrite() error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.Shutdown(int(fd), syscall.SHUT_WR) }); err != nil {
		return err
	}
	return os.NewSyscallError("shutdown", serr)
}

// rawListener is a plain HTTP listener whose connections are accepted as
// bare descriptors. A net.Listener's RawConn cannot wait, so it waits on
// a duplicate of the listening descriptor as an *os.File, in Go's poller;
// deadlines (Pause) and Close apply to both.
type rawListener struct {
	net.Listener
	f      *os.File
	rc     syscall.RawConn
	closed atomic.Bool
}

func newRawListener(ln net.Listener) (*rawListener, error) {
	fl, ok := ln.(interface{ File() (*os.File, error) })
	if !ok {
		return nil, errors.New("porter: listener has no descriptor")
	}
	f, err := fl.File()
	if err != nil {
		return nil, err
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &rawListener{Listener: ln, f: f, rc: rc}, nil
}

func (l *rawListener) SetDeadline(t time.Time) error { return l.f.SetDeadline(t) }

func (l *rawListener) Close() error {
	l.closed.Store(true)
	l.f.Close()
	return l.Listener.Close()
}

// accept takes the next connection as a bare descriptor, non-blocking,
// waiting and failing as Accept does (deadlines, net.ErrClosed). A TCP
// connection gets the options Go's Accept sets: no Nagle delay, and
// keep-alive probes after 15 s.
func (l *rawListener) accept() (int, syscall.Sockaddr, error) {
	var (
		fd   int
		sa   syscall.Sockaddr
		aerr error
	)
	err := l.rc.Read(func(lfd uintptr) bool {
		for {
			fd, sa, aerr = syscall.Accept4(int(lfd), syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
			if aerr != syscall.ECONNABORTED && aerr != syscall.EINTR {
				return aerr != syscall.EAGAIN
			}
		}
	})
	switch {
	case err != nil && l.closed.Load():
		return -1, nil, net.ErrClosed // the file's own error for it is not exported
	case err != nil:
		return -1, nil, err
	case aerr != nil:
		return -1, nil, os.NewSyscallError("accept4", aerr)
	}
	switch sa.(type) {
	case *syscall.SockaddrInet4, *syscall.SockaddrInet6:
		setTCPOptions(fd)
	}
	return fd, sa, nil
}

// setTCPOptions sets what Go's Accept sets on a TCP connection.
func setTCPOptions(fd int) {
	const keepAlive = 15 // seconds, Go's default
	syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, 1)
	syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE, keepAlive)
	syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL, keepAlive)
	syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT, 9)
}

// sockaddrAddr is sa as the net.Addr a net.Conn would report.
func sockaddrAddr(sa syscall.Sockaddr) net.Addr {
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return &net.TCPAddr{IP: append(net.IP(nil), sa.Addr[:]...), Port: sa.Port}
	case *syscall.SockaddrInet6:
		a := &net.TCPAddr{IP: append(net.IP(nil), sa.Addr[:]...), Port: sa.Port}
		if sa.ZoneId != 0 {
			a.Zone = strconv.FormatUint(uint64(sa.ZoneId), 10)
		}
		return a
	case *syscall.SockaddrUnix:
		return &net.UnixAddr{Name: sa.Name, Net: "unix"}
	}
	return nil
}
