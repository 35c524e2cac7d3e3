package core

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// A connection its loop serves is in that loop's epoll set only: were it
// in Go's poller too, each packet would wake both (socket.go).
func TestLoopConnsStayOutOfGoPoller(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			ts := start(t, Config{}, m.blocking, respondOK)
			c := dial(t, ts.addr)
			c.get("/")
			c.expect(200, "/")
			fd := -1
			ts.mu.Lock()
			for sc := range ts.conns {
				fd = sc.fd
			}
			ts.mu.Unlock()
			if n := epollSetsWatching(t, fd); n != 1 {
				t.Errorf("descriptor %d is in %d epoll sets, want its loop's alone", fd, n)
			}
		})
	}
}

// epollSetsWatching counts the process's epoll sets that watch fd.
func epollSetsWatching(t *testing.T, fd int) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fdinfo")
	if err != nil {
		t.Skip("no /proc:", err)
	}
	n := 0
	for _, e := range ents {
		data, err := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[0] == "tfd:" && f[1] == strconv.Itoa(fd) {
				n++
				break
			}
		}
	}
	return n
}

// An idle keep-alive connection belongs to its loop: no goroutine each.
func TestLoopIdleConnsHoldNoGoroutine(t *testing.T) {
	for _, m := range modes { // one at a time: goroutines are counted
		ts := start(t, Config{}, m.blocking, respondOK)
		const n = 50
		clients := make([]*client, n)
		for i := range clients {
			clients[i] = dial(t, ts.addr)
			clients[i].get("/warm")
			clients[i].expect(200, "/warm")
		}
		// Stats count the connections; goroutines must not follow them.
		base := runtime.NumGoroutine()
		for i := range clients {
			clients[i].get("/again")
			clients[i].expect(200, "/again")
		}
		if got := runtime.NumGoroutine(); got > base+n/5 {
			t.Fatalf("%s: %d goroutines with %d idle connections, %d before their second requests", m.name, got, n, base)
		}
		if got := ts.Stats().Connections; got != n {
			t.Fatalf("%s: %d connections open, want %d", m.name, got, n)
		}
		for _, c := range clients {
			c.Close()
		}
	}
}

// A callback that blocks holds up only its own request: the watchdog
// gives the loop to a new runner.
func TestLoopBlockedCallbackStallsNoOtherConnection(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	ts := start(t, Config{}, true, func(h *held) bool {
		if h.Req.Path == "/block" {
			<-release
		}
		return respondOK(h)
	})
	blocked := dial(t, ts.addr)
	blocked.get("/block")
	time.Sleep(10 * stallTick) // the runner is in the callback now
	// One more connection than there are loops: one shares the blocked
	// runner's loop.
	for range len(ts.loops) + 1 {
		c := dial(t, ts.addr)
		c.get("/fast")
		c.expect(200, "/fast")
	}
	if ts.Stats().LoopStalls == 0 {
		t.Fatal("no runner was replaced")
	}
	release <- struct{}{}
	blocked.expect(200, "/block")
}

// A pipelined batch whose last head is cut short gets the responses
// before it: the client may wait for them before it sends the rest.
func TestLoopHeldResponsesFlushBeforeAPartialHead(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		handle := respondOK
		if !blocking {
			handle = nil // the test answers from its own goroutine
		}
		ts := start(t, Config{}, blocking, handle)
		c := dial(t, ts.addr)
		c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHo")
		if !blocking {
			for range 2 {
				respondOK(ts.next(t))
			}
		}
		c.expect(200, "/a")
		c.expect(200, "/b")
		c.send("st: x\r\n\r\n")
		if !blocking {
			respondOK(ts.next(t))
		}
		c.expect(200, "/c")
	})
}

// A parked connection that idles past IdleTimeout is closed, and one
// that never sends a request past HeaderTimeout.
func TestLoopParkedTimeouts(t *testing.T) {
	ts := start(t, Config{IdleTimeout: 50 * time.Millisecond, HeaderTimeout: 50 * time.Millisecond}, true, respondOK)
	idle := dial(t, ts.addr)
	idle.get("/x")
	idle.expect(200, "/x")
	idle.expectClosed()
	silent := dial(t, ts.addr)
	silent.expectClosed()
}

// Requests that need waiting (a head in pieces, a body still to come)
// leave the loop for a goroutine and come back to it after.
func TestLoopRequestsThatWaitComeBack(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{}, blocking, func(h *held) bool {
			body := h.readBody(t, 1<<20)
			return respondOKBody(h, string(body))
		})
		c := dial(t, ts.addr)
		for i := range 3 {
			c.send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab")
			time.Sleep(time.Millisecond)
			c.send("cde")
			c.expect(200, "abcde")
			c.send("GET /g HTTP/1.1\r\n")
			time.Sleep(time.Millisecond)
			c.send("Host: x\r\n\r\n")
			c.expect(200, "")
			if i == 0 {
				c.send(strings.Repeat("GET /q HTTP/1.1\r\nHost: x\r\n\r\n", 3))
				for range 3 {
					c.expect(200, "")
				}
			}
		}
	})
}

func respondOKBody(h *held, body string) bool {
	if err := h.Respond(200, nil, []byte(body)); err != nil {
		panic(err)
	}
	return true
}

// A client that shuts its side after its request gets the response, and
// the connection closes then, not at the idle timeout. (In loop mode the
// end may come while the host holds the exchange: an abort, as before.)
func TestLoopHalfClosedClientGetsResponseThenClose(t *testing.T) {
	ts := start(t, Config{IdleTimeout: time.Minute}, true, respondOK)
	c := dial(t, ts.addr)
	c.get("/first") // parked after this one
	c.expect(200, "/first")
	c.send("GET /last HTTP/1.1\r\nHost: x\r\n\r\n")
	c.Conn.(*net.TCPConn).CloseWrite()
	c.expect(200, "/last")
	c.expectClosed()
}

// A loop-mode host's thread that polls reads, parses and answers its
// requests itself: no other thread takes part.
func TestLoopHostThreadServesItsRequests(t *testing.T) {
	addr, others := pollerServer(t, respondOK, nil)
	for range 3 {
		c := dial(t, addr)
		for range 5 {
			c.get("/x")
			c.expect(200, "/x")
		}
		c.Close()
	}
	if n := others.Load(); n > 0 {
		t.Fatalf("%d of 15 requests reached the host on another thread", n)
	}
}

// A loop-mode host that answers after its poll, as a C event loop does,
// gets the pipelined requests that follow on its thread too: the call
// that answers one request serves the next, with no goroutine between.
func TestLoopHostThreadServesPipelinedRequests(t *testing.T) {
	var mu sync.Mutex
	var waiting []*held
	hold := func(h *held) bool {
		mu.Lock()
		waiting = append(waiting, h)
		mu.Unlock()
		return true
	}
	answer := func() {
		mu.Lock()
		now := waiting
		waiting = nil
		mu.Unlock()
		for _, h := range now {
			respondOK(h)
		}
	}
	addr, others := pollerServer(t, hold, answer)
	c := dial(t, addr)
	defer c.Close()
	const n = 5
	var batch strings.Builder
	for i := range n {
		fmt.Fprintf(&batch, "GET /p%d HTTP/1.1\r\nHost: porter.test\r\n\r\n", i)
	}
	for range 3 {
		c.send(batch.String())
		for i := range n {
			c.expect(200, fmt.Sprintf("/p%d", i))
		}
	}
	if n := others.Load(); n > 0 {
		t.Fatalf("%d of 15 pipelined requests reached the host on another thread", n)
	}
}

// pollerServer starts a loop-mode server whose loop one host thread alone
// runs (no stand-in): a goroutine locked to its OS thread that polls and
// then runs afterPoll, unless nil. handle is the host's; others counts
// the requests that reached it on another thread.
func pollerServer(t *testing.T, handle func(*held) bool, afterPoll func()) (addr string, others *atomic.Int32) {
	var pollerTid atomic.Int32
	others = new(atomic.Int32)
	host := &testHost{handle: func(h *held) bool {
		if int32(syscall.Gettid()) != pollerTid.Load() {
			others.Add(1)
		}
		return handle(h)
	}}
	s := NewServer(Config{}, host, false)
	if _, err := s.Listen("127.0.0.1:0", ListenOptions{}); err != nil {
		t.Fatal(err)
	}
	stop := hostLoop(t, s, func() func() {
		runtime.LockOSThread()
		pollerTid.Store(int32(syscall.Gettid()))
		return afterPoll
	})
	s.loops[0].away = time.Hour
	must(t, "Start", s.Start(), nil)
	t.Cleanup(func() {
		s.Shutdown(0)
		<-s.Done()
		stop()
	})
	return s.Addr(0).String(), others
}

// While no host thread polls, porter serves the host's loop in its
// place: malformed requests are refused and good ones queued.
func TestLoopStandInServesWhileTheHostIsAway(t *testing.T) {
	host := &testHost{reqs: make(chan *held, 4)}
	s := NewServer(Config{}, host, false)
	if _, err := s.Listen("127.0.0.1:0", ListenOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenLoop(-1); err != nil {
		t.Fatal(err)
	}
	must(t, "Start", s.Start(), nil)
	defer func() {
		s.Shutdown(0)
		<-s.Done()
		s.CloseLoop()
	}()
	ts := &testServer{s, host, s.Addr(0).String()}
	defer func() {
		if s.Stats().HostAway == 0 {
			t.Errorf("Stats.HostAway = 0 after the stand-in served")
		}
	}()
	bad := dial(t, ts.addr)
	bad.send("GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n")
	bad.expect(400, "Bad Request\n")
	bad.expectClosed()
	c := dial(t, ts.addr)
	for range 2 { // the first parks at accept, the second after a request
		c.get("/q")
		respondOK(ts.next(t))
		c.expect(200, "/q")
	}
}
