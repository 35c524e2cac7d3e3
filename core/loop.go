package core

import (
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// This file is porter's event loop. A plain HTTP/1.x connection that
// waits for its next request belongs to a loop instead of a goroutine:
// it holds no goroutine and no buffer, and the loop's runner reads it
// once when an edge-triggered epoll says bytes came. Requests that need
// no waiting are served right there, on the runner: the head and any
// body are buffered, the host's call answers or queues them, and the
// response leaves in one write. An exchange the host holds keeps its
// connection in the loop: the host's call that ends it parks the
// connection, and a loop-mode host's call also serves the pipelined
// requests that follow (serveNext). Everything that would wait (a head
// or body still arriving, a full socket, an abort, a close, the client
// sending more while the host holds its exchange) goes to a goroutine
// running conn.serveHTTP or conn.resume, which parks the connection again
// once it is idle.
//
// Compared with a goroutine per connection this saves, per request, the
// read that finds the socket empty (Go's poller needs one before it
// waits) and a park and wake of the goroutine; per idle connection, its
// goroutine's stack.
//
// Who runs a loop depends on the host. For a callback (blocking) host,
// porter's runners do: one loop per processor, each waited for without
// a thread, its epoll descriptor being itself in Go's poller. A callback
// may keep a runner in it; a watchdog then hands the loop to a new
// runner, so that one slow callback delays only the requests of the
// batch it came with. A loop-mode host has one loop, and its own threads
// run it (Poll) when they ask for events: the request is read, handed
// over and answered on the host's thread, with no switch between
// threads, as in a C event-loop server.

// connMode says who serves a connection of a loop. Guarded by conn.mu.
type connMode uint8

const (
	modeGoroutine connMode = iota // a goroutine serves it; not in the loop
	modeParked                    // idle, in the loop
	modeBusy                      // a runner serves it now
	modeAwaiting                  // in the loop; its exchange is with the host
	modeNext                      // in the loop; the host's call that ended its exchange serves what follows
)

const (
	epollET   = 1 << 31 // syscall.EPOLLET is negative in package syscall
	batchSize = 128

	// stallTick is how long a blocking host may keep a runner in one
	// call, at least, before the watchdog starts another runner.
	stallTick = 2 * time.Millisecond

	// awayTick is how long a loop-mode host may leave its loop unpolled,
	// at least, before porter serves the loop in its place. While nothing
	// happens the stand-in's ticks space out to 32 times that.
	awayTick = 2 * time.Millisecond
)

type loop struct {
	s    *Server
	epfd int

	mu    sync.Mutex                             // guards gen and each change of conns
	conns atomic.Pointer[[]atomic.Pointer[conn]] // by descriptor; events look them up without mu
	gen   uint32                                 // tells a connection from an earlier one on its descriptor

	// A loop that a host's threads run:
	polls   atomic.Uint64 // Poll calls begun
	polling atomic.Int32  // threads in Poll now
	away    time.Duration // awayTick (tests change it before Start)
	standIn sync.WaitGroup
	closed  sync.Once

	// A loop that porter's runners run:
	file     *os.File // epfd, in Go's poller
	rc       syscall.RawConn
	cur      atomic.Pointer[runner] // the runner in charge
	watching atomic.Bool
	wake     chan struct{} // starts the watchdog's ticks
}

// runner is one goroutine serving a loop's events. It is replaced when
// a blocking host keeps it in a call; it then leaves its batch to the
// new runner and ends after that call.
type runner struct {
	l      *loop
	b      *batch
	shared bool                  // b was a replaced runner's: drain it, never refill it
	calls  atomic.Uint64         // odd while in a blocking host's call
	gone   atomic.Bool           // replaced
	fill   func(fd uintptr) bool // r.fillBatch, bound once: a wait allocates nothing
}

func newRunner(l *loop, b *batch, shared bool) *runner {
	r := &runner{l: l, b: b, shared: shared}
	r.fill = r.fillBatch
	return r
}

// batch is what one epoll_wait returned. Runners claim its events one
// at a time, so that a new runner takes over what a stalled one left.
type batch struct {
	ev    [batchSize]syscall.EpollEvent
	n     int32
	next  atomic.Int32
	state atomic.Int32 // batchReady, batchFilling or batchStolen
}

const (
	batchReady   = iota // events may be claimed
	batchFilling        // its runner waits for more
	batchStolen         // a new runner took it over
)

func (b *batch) claim() (syscall.EpollEvent, bool) {
	i := b.next.Add(1) - 1
	if i >= b.n {
		return syscall.EpollEvent{}, false
	}
	return b.ev[i], true
}

// startLoops makes one loop per processor Go runs on, each with its
// runner, for a blocking server. A non-blocking server has the one loop
// its host opened and runs (OpenLoop).
func (s *Server) startLoops() error {
	if !s.blocking {
		if len(s.loops) == 0 {
			return ErrState
		}
		l := s.loops[0]
		l.standIn.Add(1)
		go l.standInForHost()
		return nil
	}
	n := runtime.GOMAXPROCS(0)
	loops := make([]*loop, 0, n)
	for range n {
		l, err := newLoop(s)
		if err == nil {
			err = l.inGoPoller()
		}
		if err != nil {
			for _, l := range loops {
				l.file.Close()
			}
			return err
		}
		loops = append(loops, l)
	}
	s.loops = loops
	for _, l := range loops {
		r := newRunner(l, new(batch), false)
		l.cur.Store(r)
		go r.run()
		go l.watch()
	}
	return nil
}

func newLoop(s *Server) (*loop, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	return &loop{s: s, epfd: epfd}, nil
}

// inGoPoller puts the loop's descriptor in Go's poller, where its
// runners wait for it.
func (l *loop) inGoPoller() (err error) {
	if err := syscall.SetNonblock(l.epfd, true); err != nil {
		syscall.Close(l.epfd)
		return os.NewSyscallError("fcntl", err)
	}
	l.file = os.NewFile(uintptr(l.epfd), "porter-loop")
	l.wake = make(chan struct{}, 1)
	if l.rc, err = l.file.SyscallConn(); err != nil {
		l.file.Close()
	}
	return err
}

// stopLoops ends the runners and watchdogs once no connection is left.
// A host's loop stays open for the threads that may still poll it.
func (s *Server) stopLoops() {
	if s.blocking {
		for _, l := range s.loops {
			l.file.Close()
		}
	}
}

// OpenLoop makes the event loop of a non-blocking server, which the
// host's threads run with Poll, so that a request is read, handed over
// and answered on one thread. wakeFd, unless -1, is a descriptor that
// is readable while events wait for the host (its Queue's): the loop's
// descriptor, which OpenLoop returns, is then readable while either
// has work, and one poll waits for both. Call it before Start, and
// CloseLoop once the server is drained and no thread polls.
func (s *Server) OpenLoop(wakeFd int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.blocking || s.started || len(s.loops) > 0 {
		return -1, ErrState
	}
	l, err := newLoop(s)
	if err != nil {
		return -1, err
	}
	if wakeFd >= 0 {
		// Level-triggered, and with no generation: no connection's event.
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(wakeFd)}
		if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, wakeFd, &ev); err != nil {
			syscall.Close(l.epfd)
			return -1, os.NewSyscallError("epoll_ctl", err)
		}
	}
	l.away = awayTick
	s.loops = []*loop{l}
	return l.epfd, nil
}

// CloseLoop closes the descriptor of the loop OpenLoop made. It waits
// until the server is drained; no thread may poll after it.
func (s *Server) CloseLoop() {
	if s.blocking || len(s.loops) == 0 {
		return
	}
	<-s.done
	l := s.loops[0]
	l.standIn.Wait()
	l.closed.Do(func() { syscall.Close(l.epfd) })
}

// Poll runs the loop OpenLoop made on the calling thread: it waits up
// to timeout (negative: no limit) for the edges of its connections, takes
// up to most of them, and serves every request they bring that needs no
// waiting. The host finds those requests, and any other event, in its
// queue. Several threads may poll at once.
func (s *Server) Poll(timeout time.Duration, most int) {
	if s.blocking || len(s.loops) == 0 {
		return
	}
	l := s.loops[0]
	l.polls.Add(1)
	l.polling.Add(1)
	var buf [batchSize]syscall.EpollEvent
	ev := buf[:min(max(most, 1), batchSize)]
	n := epollNoWait(l.epfd, ev)
	if n == 0 && timeout != 0 {
		ms := -1
		if timeout > 0 {
			ms = int((timeout + time.Millisecond - 1) / time.Millisecond)
		}
		n, _ = syscall.EpollWait(l.epfd, ev, ms) // -1 on EINTR: the caller polls again
	}
	l.polling.Add(-1)
	l.serve(ev[:max(n, 0)])
}

// serve serves events of a host's loop on the calling thread; it
// returns how many were of connections (the rest: the queue's).
func (l *loop) serve(events []syscall.EpollEvent) int {
	if len(events) == 0 {
		return 0
	}
	served := 0
	now := monoNow()
	for i := range events {
		if c := l.lookup(&events[i]); c != nil {
			c.event(nil, events[i].Events, now)
			served++
		}
	}
	return served
}

// standInForHost serves a host's loop while no host thread has polled
// it for a tick: requests are then still read and queued, refused when
// the queue is full or malformed, and clients that leave are noticed,
// while the host is busy or does not pull at all. The ticks space out
// while the host waits in Poll or nothing comes.
func (l *loop) standInForHost() {
	defer l.standIn.Done()
	tick := l.away
	t := time.NewTimer(tick)
	defer t.Stop()
	last := l.polls.Load()
	var ev [batchSize]syscall.EpollEvent
	for {
		select {
		case <-t.C:
		case <-l.s.done:
			return
		}
		polls := l.polls.Load()
		busy := polls != last
		if !busy && l.polling.Load() == 0 {
			served := 0
			for n := batchSize; n == batchSize; {
				n = epollNoWait(l.epfd, ev[:])
				served += l.serve(ev[:n])
				busy = busy || n > 0
			}
			if served > 0 {
				l.s.stats.hostAway.Add(1)
			}
		}
		last = polls
		if tick = min(tick*2, 32*l.away); busy {
			tick = l.away
		}
		t.Reset(tick)
	}
}

// nextLoop picks the loop of a new connection, in turn.
func (s *Server) nextLoop() *loop {
	if len(s.loops) == 0 {
		return nil
	}
	return s.loops[s.loopTurn.Add(1)%uint32(len(s.loops))]
}

// add puts a connection in the loop, which then reports its edges. Called
// with c.mu, so that no event finds it half added.
func (l *loop) add(c *conn) error {
	l.mu.Lock()
	conns := l.table(c.fd)
	l.gen++
	gen := l.gen
	c.gen.Store(gen)
	conns[c.fd].Store(c)
	l.mu.Unlock()
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | epollET, Fd: int32(c.fd), Pad: int32(gen)}
	if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, c.fd, &ev); err != nil {
		l.forget(c)
		return os.NewSyscallError("epoll_ctl", err)
	}
	c.inLoop = true
	return nil
}

// remove takes a connection out of the loop. Called with c.mu.
func (l *loop) remove(c *conn) {
	if !c.inLoop {
		return
	}
	c.inLoop = false
	syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, c.fd, nil)
	l.forget(c)
}

func (l *loop) forget(c *conn) {
	l.mu.Lock()
	l.table(c.fd)[c.fd].CompareAndSwap(c, nil)
	l.mu.Unlock()
}

// table returns the loop's connections, grown to hold descriptor fd.
// Called with mu.
func (l *loop) table(fd int) []atomic.Pointer[conn] {
	var conns []atomic.Pointer[conn]
	if p := l.conns.Load(); p != nil {
		conns = *p
	}
	if fd < len(conns) {
		return conns
	}
	grown := make([]atomic.Pointer[conn], max(fd+1, 2*len(conns)))
	for i := range conns {
		grown[i].Store(conns[i].Load())
	}
	l.conns.Store(&grown)
	return grown
}

// lookup finds the connection of an event; an event of a connection that
// left meanwhile finds nothing. The event came after add published the
// connection, so the table it loads holds it.
func (l *loop) lookup(ev *syscall.EpollEvent) *conn {
	conns := l.conns.Load()
	if conns == nil || int(ev.Fd) >= len(*conns) {
		return nil
	}
	c := (*conns)[ev.Fd].Load()
	if c == nil || c.gen.Load() != uint32(ev.Pad) {
		return nil
	}
	return c
}

// run serves the loop's events until the loop closes or the watchdog
// replaces the runner.
func (r *runner) run() {
	l := r.l
	for {
		now := monoNow() // the batch's: its events came together
		for {
			ev, ok := r.b.claim()
			if !ok {
				break
			}
			if c := l.lookup(&ev); c != nil {
				c.event(r, ev.Events, now)
			}
			if r.gone.Load() {
				return
			}
		}
		if r.shared {
			r.b, r.shared = new(batch), false
		}
		if !r.wait() {
			return
		}
	}
}

// wait refills the runner's batch, parking in Go's poller until an edge
// comes; it reports false once the loop is closed or the batch was
// taken over by a new runner.
func (r *runner) wait() bool {
	b := r.b
	if !b.state.CompareAndSwap(batchReady, batchFilling) {
		return false
	}
	err := r.l.rc.Read(r.fill)
	b.next.Store(0)
	b.state.Store(batchReady)
	return err == nil
}

// fillBatch takes what epoll has into the batch; false: nothing yet.
func (r *runner) fillBatch(epfd uintptr) bool {
	n := epollNoWait(int(epfd), r.b.ev[:])
	r.b.n = int32(n)
	return n > 0
}

// enter and exit mark a blocking host's call, for the watchdog.
func (r *runner) enter() {
	r.calls.Add(1)
	l := r.l
	if !l.watching.Load() && l.watching.CompareAndSwap(false, true) {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

func (r *runner) exit() { r.calls.Add(1) }

// watch replaces a runner that a blocking host keeps in one call for a
// whole tick. It ticks only while callbacks run, and ends with the loop.
func (l *loop) watch() {
	for {
		select {
		case <-l.wake:
		case <-l.s.done:
			return
		}
		tick := time.NewTicker(stallTick)
		r := l.cur.Load()
		last := r.calls.Load()
		for quiet := 0; quiet < 100; {
			select {
			case <-tick.C:
			case <-l.s.done:
				tick.Stop()
				return
			}
			if cur := l.cur.Load(); cur != r {
				r, last = cur, cur.calls.Load()
				continue
			}
			n := r.calls.Load()
			switch {
			case n == last && n&1 == 1:
				r = l.replace(r)
				n = 0
				quiet = 0
			case n == last:
				quiet++
			default:
				quiet = 0
			}
			last = n
		}
		tick.Stop()
		l.watching.Store(false)
		// A call that began as the ticks stopped found the watchdog
		// still watching: look once more.
		if l.cur.Load().calls.Load()&1 == 1 && l.watching.CompareAndSwap(false, true) {
			select {
			case l.wake <- struct{}{}:
			default:
			}
		}
	}
}

// replace starts a new runner in place of a stalled one, taking over
// the events left in its batch.
func (l *loop) replace(old *runner) *runner {
	if !old.b.state.CompareAndSwap(batchReady, batchStolen) {
		return old // it waits for events: not stalled after all
	}
	r := newRunner(l, old.b, true)
	old.gone.Store(true)
	l.cur.Store(r)
	l.s.stats.loopStalls.Add(1)
	go r.run()
	return r
}

// event serves an edge of a connection of the loop, on runner r or (nil)
// on a host's thread; now is when the edge's batch came.
func (c *conn) event(r *runner, events uint32, now time.Duration) {
	c.mu.Lock()
	switch c.mode {
	case modeParked:
		c.mode = modeBusy
		c.readable = true
		// The client shut its side: after what it sent comes the end,
		// which the edge of those bytes already announced.
		c.hup = events&(syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0
		c.mu.Unlock()
		c.serveReady(r, now)
	case modeBusy, modeNext: // another thread serves it: it looks again when done
		c.missed = true
		c.mu.Unlock()
	case modeAwaiting: // the client sends more, or leaves, while the host works
		x := c.x
		c.leaveLoop()
		c.mu.Unlock()
		go c.resume(x)
	default:
		c.mu.Unlock()
	}
}

// serveReady serves, on a runner or a host's thread, the requests the
// connection has ready and that need no waiting, as having come at now.
// It leaves the connection parked, with the host, closed, or with a
// goroutine.
func (c *conn) serveReady(r *runner, now time.Duration) {
	cfg := &c.s.cfg
	for {
		if c.r == c.w {
			if !c.readable && c.parkReady() {
				return
			}
			n, err := c.readNow()
			if err != nil {
				c.closeReady()
				return
			}
			if n == 0 {
				continue
			}
		}
		n, status, more := c.parse(c.buf[c.r:c.w])
		h := &c.head
		ready := !more && status == 0 && !h.Chunked && !h.Expect100 && !c.busyWriting() &&
			(h.ContentLength <= 0 || !cfg.StreamBodies && h.ContentLength <= int64(c.w-c.r-n))
		if !ready {
			c.handOff(func() { c.serveHTTP(false) })
			return
		}
		x := c.newExchange(n)
		c.fresh = false
		if c.s.blocking {
			r.enter()
		}
		status = c.dispatch(x, now)
		if c.s.blocking {
			r.exit()
		}
		if status != 0 {
			c.handOff(func() {
				c.reject(status)
				c.close(true)
			})
			return
		}
		c.mu.Lock()
		switch x.state {
		case stateEnded:
			c.x = nil
			c.mu.Unlock()
			more := c.finishReady(x)
			x.unref()
			if !more {
				return
			}
		case stateAborted:
			c.leaveLoop()
			c.mu.Unlock()
			go c.resume(x)
			return
		default: // with the host: its end goes on (conn.signal)
			c.mode = modeAwaiting
			c.mu.Unlock()
			return
		}
	}
}

// finishReady is finish for a loop's thread (a runner or a host's): it
// does what needs no waiting and hands the rest to a goroutine. It
// reports whether the connection may carry another request there.
func (c *conn) finishReady(x *exchange) bool {
	cutRead := x.stopReading()
	c.mu.Lock()
	closing := c.closing
	c.mu.Unlock()
	if cutRead || x.cut || !x.keepAlive || c.eof || closing {
		c.handOff(func() { c.close(!c.gone) })
		return false
	}
	if c.r == c.w { // the end of a pipelined batch
		c.wmu.Lock()
		c.hold = false
		err := c.emit(nil, false)
		c.wmu.Unlock()
		if err != nil {
			c.closeReady()
			return false
		}
	}
	return true
}

// parkReady parks the connection when no edge came while a loop served
// it, and reports whether it did.
func (c *conn) parkReady() bool {
	c.releaseBuf()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.missed {
		c.missed = false
		c.readable = true
		return false
	}
	if c.closing {
		c.leaveLoop()
		go c.close(false)
		return true
	}
	c.mode = modeParked // idle since its last request, which dispatch noted
	return true
}

// closeReady closes a connection a loop serves, on a goroutine if
// response bytes still wait for the socket.
func (c *conn) closeReady() {
	if c.busyWriting() {
		c.handOff(func() { c.close(false) })
		return
	}
	c.mu.Lock()
	c.leaveLoop()
	c.mu.Unlock()
	c.close(false)
}

// busyWriting reports whether a writer goroutine waits for the socket.
func (c *conn) busyWriting() bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writing
}

// handOff takes the connection out of its loop and runs then on a
// goroutine: what a loop must not wait for.
func (c *conn) handOff(then func()) {
	c.mu.Lock()
	c.leaveLoop()
	c.mu.Unlock()
	go then()
}

// resume serves an exchange the host holds, on a goroutine, then the
// connection's next requests.
func (c *conn) resume(x *exchange) {
	more := c.await(x)
	x.unref()
	if more {
		c.serveHTTP(false)
		return
	}
	c.close(!c.gone)
}

// leaveLoop takes the connection out of its loop for a goroutine. Called
// with mu.
func (c *conn) leaveLoop() {
	c.mode = modeGoroutine
	if c.loop != nil {
		c.loop.remove(c)
	}
}

// park gives a connection that waits for a request, with nothing
// buffered, to its loop; it reports false when the connection should
// close instead.
func (c *conn) park(first bool) bool {
	c.releaseBuf()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	c.mode = modeParked
	c.fresh = first
	c.idleSince = monoNow()
	if err := c.loop.add(c); err != nil {
		c.mode = modeGoroutine
		c.s.log(Log{Kind: LogError, Remote: c.remote, Cause: err})
		return false
	}
	return true
}

// parkAfter parks the connection when the host ends its exchange with
// nothing else to do, on the host's own call. A loop-mode host's call
// also serves the pipelined requests that follow (serveNext), as its
// Poll would. Otherwise a goroutine sees the exchange through. Called
// with mu, from signal.
func (c *conn) parkAfter(x *exchange) {
	// A blocking host's call must not run the next request's callback.
	next := c.r < c.w
	if x.state == stateEnded && x.keepAlive && !x.cut && x.bodyRead && !c.eof && !c.hup && !c.closing && !(next && c.s.blocking) {
		c.x = nil
		x.unref() // the host's call holds its own reference: not recycled here
		c.fresh = false
		if next {
			c.mode = modeNext
			return
		}
		c.releaseBuf()
		c.mode = modeParked
		c.idleSince = monoNow()
		return
	}
	c.leaveLoop()
	go c.resume(x)
}

// serveNext serves, on the host's call that just ended an exchange and
// once that call let go of the connection's locks, the pipelined
// requests parkAfter left for it.
func (c *conn) serveNext() {
	c.mu.Lock()
	if c.mode != modeNext {
		c.mu.Unlock()
		return
	}
	c.mode = modeBusy
	c.mu.Unlock()
	c.serveReady(nil, monoNow())
}

// expireParked closes a parked connection that waited longer than the
// idle timeout (the header timeout before its first request). Called
// with mu.
func (c *conn) expireParked(now time.Duration) {
	wait := c.s.cfg.IdleTimeout
	if c.fresh {
		wait = c.s.cfg.HeaderTimeout
	}
	if now-c.idleSince < wait {
		return
	}
	c.leaveLoop()
	go c.close(false)
}

// readNow reads what the socket holds without waiting: 0 bytes and no
// error when it holds none. A read that fills the buffer leaves the
// connection readable: edges come only for new bytes.
func (c *conn) readNow() (int, error) {
	c.r, c.w = 0, 0
	c.getBuf()
	space := c.buf[c.w:]
	n, e := readNoWait(c.fd, space)
	switch {
	case e == syscall.EAGAIN:
		c.readable = false
		return 0, nil
	case e != 0:
		c.gone = true
		return 0, e
	case n == 0:
		c.gone = true
		return 0, io.EOF
	}
	c.readable = n == len(space) || c.hup
	c.w += n
	c.s.stats.bytesIn.Add(int64(n))
	return n, nil
}
