package core

import (
	"errors"
	"net"
	"sync"
)

// connLimit caps the open connections of a server across its listeners:
// at the cap, Accept waits and new clients queue in the kernel's backlog.
type connLimit struct{ slots chan struct{} }

func newConnLimit(n int) *connLimit { return &connLimit{make(chan struct{}, n)} }

func (l *connLimit) wrap(ln net.Listener) net.Listener {
	return &limitedListener{Listener: ln, limit: l, closed: make(chan struct{})}
}

type limitedListener struct {
	net.Listener
	limit  *connLimit
	closed chan struct{} // Close ends an Accept waiting for a slot
	once   sync.Once
}

func (ln *limitedListener) Accept() (net.Conn, error) {
	select {
	case ln.limit.slots <- struct{}{}:
	case <-ln.closed:
		return nil, net.ErrClosed
	}
	c, err := ln.Listener.Accept()
	if err != nil {
		<-ln.limit.slots
		return nil, err
	}
	return &limitedConn{Conn: c, limit: ln.limit}, nil
}

func (ln *limitedListener) Close() error {
	ln.once.Do(func() { close(ln.closed) })
	return ln.Listener.Close()
}

type limitedConn struct {
	net.Conn
	limit *connLimit
	once  sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { <-c.limit.slots })
	return err
}

// CloseWrite half-closes the connection, which net/http does before it
// closes a connection whose client may still be sending: without it the
// kernel resets the connection and the client can lose the response.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}
