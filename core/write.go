package core

import (
	"os"
	"syscall"
	"time"
)

// This file is a connection's write side. Response bytes go out in order
// through c.out: a call that produces them (the host's, or serve's)
// writes them at once when the socket takes them all; what the socket
// cannot take now is written by a blocking caller itself, or else by a
// writer goroutine that lives only until c.out is empty. Every function
// here is called with c.wmu held unless it says otherwise.

// emit appends p to the pending bytes and writes them: all before it
// returns when block is set, else what the socket takes now. Responses
// of a pipelined batch (c.hold) wait for the end of the batch.
func (c *conn) emit(p []byte, block bool) error {
	if c.werr != nil {
		return c.werr
	}
	if c.writing || (c.hold && len(c.out)+len(p) < maxHold) {
		c.out = append(c.out, p...)
		return nil
	}
	if len(c.out)+len(p) == 0 {
		return nil
	}
	n, err := c.tryWrite(c.out, p)
	c.s.stats.bytesOut.Add(int64(n))
	if err != nil {
		c.werr = err
		return err
	}
	// Keep what is left, in order, in c.out.
	if n < len(c.out) {
		c.out = append(c.out[:copy(c.out, c.out[n:])], p...)
	} else {
		c.out = append(c.out[:0], p[n-len(c.out):]...)
	}
	if len(c.out) == 0 {
		return nil
	}
	if !block {
		c.writing = true
		go c.writeLoop()
		return nil
	}
	n, err = c.writeAll(c.out)
	c.s.stats.bytesOut.Add(int64(n))
	c.out = c.out[:0]
	if err != nil {
		c.werr = err
		return err
	}
	// No deadline timer stays armed for a write that is over.
	c.netConn().SetWriteDeadline(time.Time{})
	return nil
}

// pending is how many response bytes wait for the socket.
func (c *conn) pending() int { return len(c.out) + c.inflight }

// tryWrite writes a then b with one system call that does not wait, and
// returns how many bytes the socket took. It writes to the descriptor
// directly, which is safe because writes hold wmu and fail once werr is
// set, and close sets werr under wmu before it closes the descriptor.
func (c *conn) tryWrite(a, b []byte) (int, error) {
	if c.cut.Load() {
		return 0, os.ErrDeadlineExceeded
	}
	if c.fd < 0 {
		return 0, nil
	}
	var iov [2]syscall.Iovec
	k := 0
	for _, p := range [2][]byte{a, b} {
		if len(p) > 0 {
			iov[k].Base = &p[0]
			iov[k].SetLen(len(p))
			k++
		}
	}
	n, e := writevNoWait(uintptr(c.fd), iov[:k])
	switch e {
	case 0:
		return n, nil
	case syscall.EAGAIN:
		return 0, nil
	}
	return 0, e
}

// writePart is how much of a write must reach the client within the
// write timeout: the timeout runs between parts, as nginx's send_timeout
// runs between two writes, so a slow client that keeps reading is not cut
// off in the middle of a large response.
const writePart = 256 << 10

// writeAll writes p, waiting for the socket, part by part under the write
// timeout, until it is written or writes were cut (cutWrites).
func (c *conn) writeAll(p []byte) (int, error) {
	nc := c.netConn()
	written := 0
	for written < len(p) {
		if c.cut.Load() {
			return written, os.ErrDeadlineExceeded
		}
		nc.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
		n, err := nc.Write(p[written:min(len(p), written+writePart)])
		written += n
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// cutWrites ends a write in progress and any that would follow: the
// connection is closing without the rest of its response.
func (c *conn) cutWrites() {
	c.cut.Store(true) // before the deadline: writeAll would set a new one
	c.netConn().SetWriteDeadline(time.Now())
}

// writeLoop writes c.out until it is empty, waiting for the socket as
// long as the write deadline allows. Called without c.wmu.
func (c *conn) writeLoop() {
	c.wmu.Lock()
	for len(c.out) > 0 && c.werr == nil {
		c.out, c.spare = c.spare[:0], c.out
		data := c.spare
		c.inflight = len(data)
		c.wmu.Unlock()
		n, err := c.writeAll(data)
		c.s.stats.bytesOut.Add(int64(n))
		c.wmu.Lock()
		c.inflight = 0
		if err != nil {
			c.werr = err
		}
	}
	c.writing = false
	err := c.werr
	if err == nil {
		c.netConn().SetWriteDeadline(time.Time{}) // as in emit
	}
	c.wmu.Unlock()
	select {
	case c.wdone <- struct{}{}:
	default:
	}
	c.written(err)
}

// written tells the exchange in progress that its pending bytes are out,
// or that writing failed; with no exchange, a failure closes a connection
// its loop holds parked. Called without c.wmu.
func (c *conn) written(err error) {
	c.mu.Lock()
	x := c.x
	if x == nil {
		if err != nil && c.mode == modeParked { // else its server sees werr
			c.leaveLoop()
			go c.close(false)
		}
		c.mu.Unlock()
		return
	}
	x.ref()
	owed := x.owesWrite && err == nil
	if owed {
		x.owesWrite = false
	}
	c.mu.Unlock()
	switch {
	case err != nil:
		x.fail(ioCause(err), 0)
	case owed:
		tell(x.watcher, EventWritable)
	}
	x.unref()
}

// flush writes every pending byte before it returns, ending a pipelined
// batch. Called without c.wmu.
func (c *conn) flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.hold = false
	for c.writing {
		c.wmu.Unlock()
		<-c.wdone
		c.wmu.Lock()
	}
	return c.emit(nil, true)
}
