package core

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// connLimit caps the open connections of a server across its listeners:
// at the cap, Accept waits and new clients queue in the kernel's backlog.
// It also knows the open connections, for shutdown.
type connLimit struct {
	slots chan struct{}
	mu    sync.Mutex
	conns map[*conn]struct{}
}

func newConnLimit(n int) *connLimit {
	return &connLimit{slots: make(chan struct{}, n), conns: make(map[*conn]struct{})}
}

// closeUnused closes the connections on which no byte has arrived yet.
// net/http would not serve a request that came on one after shutdown
// began, so the client had better learn at once.
func (l *connLimit) closeUnused() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		if !c.used.Load() {
			c.Conn.Close() // net/http's read fails, and it closes c
		}
	}
}

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
	sc := &conn{Conn: c, limit: ln.limit}
	ln.limit.mu.Lock()
	ln.limit.conns[sc] = struct{}{}
	ln.limit.mu.Unlock()
	return sc, nil
}

func (ln *limitedListener) Close() error {
	ln.once.Do(func() { close(ln.closed) })
	return ln.Listener.Close()
}

// lingerTime is how long a closing connection whose client may still be
// sending keeps reading, so that the client reads the response before
// the kernel resets the connection.
const lingerTime = 500 * time.Millisecond

// conn is a served connection: it holds a slot of the connection limit
// until it closes, and it can be ended after the current response.
type conn struct {
	net.Conn
	limit  *connLimit
	used   atomic.Bool // a byte has arrived
	ending atomic.Bool
	closed sync.Once
}

// endAfterResponse makes the connection end once the current response is
// out: reads say io.EOF from now on, so what the client sends next (the
// rest of a body porter did not read) is never taken for a request, and
// Close lingers.
func (c *conn) endAfterResponse() { c.ending.Store(true) }

func (c *conn) Read(p []byte) (int, error) {
	if c.ending.Load() {
		return 0, io.EOF
	}
	n, err := c.Conn.Read(p)
	if n > 0 && !c.used.Load() {
		c.used.Store(true)
	}
	return n, err
}

func (c *conn) Close() error {
	c.closed.Do(func() {
		if c.ending.Load() {
			c.CloseWrite()
			go c.linger()
			return
		}
		c.release()
	})
	return nil
}

// linger reads and drops what the client still sends for a while, then
// closes.
func (c *conn) linger() {
	c.Conn.SetReadDeadline(time.Now().Add(lingerTime))
	io.Copy(io.Discard, c.Conn)
	c.release()
}

func (c *conn) release() {
	c.Conn.Close()
	c.limit.mu.Lock()
	delete(c.limit.conns, c)
	c.limit.mu.Unlock()
	<-c.limit.slots
}

// CloseWrite half-closes the connection, which net/http does before it
// closes a connection whose client may still be sending: without it the
// kernel resets the connection and the client can lose the response.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

type connKey struct{}

// withConn is the server's ConnContext: it lets a request find its
// connection.
func withConn(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// endConnection ends r's connection after the current response.
func endConnection(r *http.Request) {
	if c, ok := r.Context().Value(connKey{}).(*conn); ok {
		c.endAfterResponse()
	}
}
