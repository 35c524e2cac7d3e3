package core

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// serveOn starts a server that answers 200 with the path on each address (with
// opt) and returns it; Cleanup drains it.
func serveOn(t *testing.T, opt ListenOptions, addrs ...string) *Server {
	t.Helper()
	s := NewServer(Config{}, &testHost{handle: respondOK}, false)
	for _, a := range addrs {
		if _, err := s.Listen(a, opt); err != nil {
			t.Fatalf("Listen %s: %v", a, err)
		}
	}
	run(t, s)
	return s
}

// getOK sends a GET on a new connection to network/addr and expects 200.
func getOK(t *testing.T, network, addr string) {
	t.Helper()
	nc, err := net.DialTimeout(network, addr, waitLong)
	if err != nil {
		t.Fatalf("dial %s %s: %v", network, addr, err)
	}
	c := clientOf(t, nc)
	c.get("/")
	c.expect(200, "/")
}

func TestUnixListener(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "porter.sock")
	// A socket file left by a process that is gone.
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()

	s := serveOn(t, ListenOptions{UnixMode: 0o600}, "unix:"+path)
	if got := s.AddrString(0); got != "unix:"+path {
		t.Errorf("AddrString = %q", got)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	getOK(t, "unix", path)

	// A socket that is alive is not taken over.
	other := NewServer(Config{}, &testHost{}, false)
	if _, err := other.Listen("unix:"+path, ListenOptions{}); err == nil {
		t.Error("Listen took over a live socket")
	}
	other.Stop()
}

func TestIPv6Listener(t *testing.T) {
	t.Parallel()
	probe, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback:", err)
	}
	probe.Close()
	s := serveOn(t, ListenOptions{}, "[::1]:0")
	getOK(t, "tcp", s.AddrString(0))
}

func TestV6Only(t *testing.T) {
	t.Parallel()
	probe, err := net.Listen("tcp", "[::]:0")
	if err != nil {
		t.Skip("no IPv6:", err)
	}
	probe.Close()
	for _, v6only := range []bool{false, true} {
		s := serveOn(t, ListenOptions{V6Only: v6only}, "[::]:0")
		_, port, _ := net.SplitHostPort(s.AddrString(0))
		nc, err := net.DialTimeout("tcp", "127.0.0.1:"+port, waitLong)
		if v6only && err == nil {
			nc.Close()
			t.Error("an IPv4 client reached a V6Only listener")
		}
		if !v6only {
			if err != nil {
				t.Fatalf("IPv4 client of a dual-stack listener: %v", err)
			}
			c := clientOf(t, nc)
			c.get("/")
			c.expect(200, "/")
		}
	}
}

func TestReusePort(t *testing.T) {
	t.Parallel()
	a := serveOn(t, ListenOptions{ReusePort: true}, "127.0.0.1:0")
	addr := a.AddrString(0)
	b := serveOn(t, ListenOptions{ReusePort: true}, addr)
	if b.AddrString(0) != addr {
		t.Fatalf("second listener on %s, want %s", b.AddrString(0), addr)
	}
	getOK(t, "tcp", addr)
	c := NewServer(Config{}, &testHost{}, false)
	defer c.Stop()
	if _, err := c.Listen(addr, ListenOptions{}); err == nil {
		t.Error("a listener without ReusePort shared the port")
	}
}

func TestListenFD(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	ln.Close()
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(Config{}, &testHost{handle: respondOK}, true)
	_, err = s.ListenFD(int(f.Fd()))
	f.Close() // porter keeps its own duplicate
	must(t, "ListenFD", err, nil)
	must(t, "Start", s.Start(), nil)
	defer func() { s.Shutdown(0); <-s.Done() }()
	getOK(t, "tcp", s.AddrString(0))
	if _, err := s.ListenFD(-1); err == nil {
		t.Error("ListenFD(-1) succeeded")
	}
}

func TestServeFD(t *testing.T) {
	t.Parallel()
	s := serveOn(t, ListenOptions{}, "127.0.0.1:0")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client := dial(t, ln.Addr().String())
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	f, _ := nc.(*net.TCPConn).File()
	nc.Close()
	must(t, "ServeFD", s.ServeFD(int(f.Fd())), nil)
	f.Close()
	client.get("/")
	client.expect(200, "/")

	unstarted := NewServer(Config{}, &testHost{}, false)
	defer unstarted.Stop()
	must(t, "ServeFD before Start", unstarted.ServeFD(0), ErrState)
}

func TestPauseResume(t *testing.T) {
	t.Parallel()
	s := serveOn(t, ListenOptions{}, "127.0.0.1:0")
	addr := s.AddrString(0)
	open := dial(t, addr)
	open.get("/")
	open.expect(200, "/")

	s.Pause()
	s.Pause()                // again: harmless
	waiting := dial(t, addr) // the kernel's backlog takes it
	waiting.get("/")
	waiting.silent(quiet)
	open.get("/") // open connections carry on
	open.expect(200, "/")

	s.Resume()
	waiting.expect(200, "/")
	s.Resume() // again: harmless
	getOK(t, "tcp", addr)
}

func TestStats(t *testing.T) {
	t.Parallel()
	s := serveOn(t, ListenOptions{}, "127.0.0.1:0")
	addr := s.AddrString(0)
	c := dial(t, addr)
	for range 3 {
		c.get("/")
		c.expect(200, "/")
	}
	bad := dial(t, addr)
	bad.send("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
	bad.expect(400, "Bad Request\n")
	bad.expectClosed()
	big := dial(t, addr)
	big.send("GET /" + strings.Repeat("a", 9000) + " HTTP/1.1\r\nHost: a\r\n\r\n")
	big.expect(414, "Request URI Too Long\n")

	var st Stats
	for deadline := time.Now().Add(waitLong); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if st = s.Stats(); st.Connections == 1 { // the lingering closes are over
			break
		}
	}
	want := Stats{Connections: 1, Accepted: 3, Requests: 3, RejectedMalformed: 1, RejectedTooLarge: 1}
	got := st
	got.BytesIn, got.BytesOut = 0, 0
	if got != want {
		t.Errorf("Stats = %+v, want %+v (bytes aside)", st, want)
	}
	if st.BytesIn < 3*int64(len("GET / HTTP/1.1\r\nHost: porter.test\r\n\r\n")) || st.BytesOut < 3*100 {
		t.Errorf("bytes in %d, out %d: too few", st.BytesIn, st.BytesOut)
	}
}

// emfileListener fails its first Accepts as a process out of descriptors
// does, then accepts for real.
type emfileListener struct {
	net.Listener
	failures int
}

func (l *emfileListener) Accept() (net.Conn, error) {
	if l.failures > 0 {
		l.failures--
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

func TestAcceptBacksOffAndRecovers(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(Config{}, &testHost{handle: respondOK}, true)
	if _, err := s.addListener(&emfileListener{ln, 3}, ListenOptions{}); err != nil {
		t.Fatal(err)
	}
	must(t, "Start", s.Start(), nil)
	defer func() { s.Shutdown(0); <-s.Done() }()
	getOK(t, "tcp", ln.Addr().String()) // served once the errors pass
	if n := s.Stats().AcceptErrors; n != 3 {
		t.Errorf("AcceptErrors = %d, want 3", n)
	}
}
