package core

import (
	"net"
	"sync"
)

// connLimit caps the open connections of a server across its listeners:
// at the cap, Accept waits and new clients queue in the kernel's backlog.
type connLimit struct{ slots chan struct{} }

func newConnLimit(n int) *connLimit { return &connLimit{make(chan struct{}, n)} }

func (l *connLimit) wrap(ln net.Listener) net.Listener { return &limitedListener{ln, l} }

type limitedListener struct {
	net.Listener
	limit *connLimit
}

func (ln *limitedListener) Accept() (net.Conn, error) {
	ln.limit.slots <- struct{}{}
	c, err := ln.Listener.Accept()
	if err != nil {
		<-ln.limit.slots
		return nil, err
	}
	return &limitedConn{Conn: c, limit: ln.limit}, nil
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
