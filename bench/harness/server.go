package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

const (
	helloBody    = "Hello World\n"
	startTimeout = 10 * time.Second
	stopGrace    = 3 * time.Second
)

// server is one running instance of a peer, in its own process group
// pinned to CPU 0.
type server struct {
	peer Peer
	addr string // 127.0.0.1:port
	dir  string // fresh temporary directory for {dir}
	cmd  *exec.Cmd
	out  *tailBuffer // last bytes of stdout and stderr
	done chan struct{}
	err  error // from Wait, valid once done is closed
}

// freePort asks the kernel for a free loopback port and releases it.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startServer starts p with taskset -c 0 and waits until it answers
// GET / with 200 and "Hello World\n".
func startServer(p Peer, outDir, peersDir string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "porter-bench-"+p.Name+"-")
	if err != nil {
		return nil, err
	}
	command := expand(p.Command, map[string]string{
		"out": outDir, "port": strconv.Itoa(port), "dir": dir, "peers": peersDir,
	})
	s := &server{peer: p, addr: "127.0.0.1:" + strconv.Itoa(port), dir: dir,
		out: &tailBuffer{max: 4096}, done: make(chan struct{})}
	// The shell raises its open-file limit to the hard limit (10,000 idle
	// connections need it) and then becomes the server.
	s.cmd = exec.Command("taskset", "-c", "0", "sh", "-c",
		`ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec `+command)
	s.cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	s.cmd.Dir = dir
	s.cmd.Stdout = s.out
	s.cmd.Stderr = s.out
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s.cmd.WaitDelay = time.Second // workers may hold the output pipes
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	go func() { s.err = s.cmd.Wait(); close(s.done) }()
	if err := s.waitReady(); err != nil {
		s.stop()
		return nil, fmt.Errorf("%s did not start: %v\ncommand: %s\noutput:\n%s", p.Name, err, command, s.out.String())
	}
	return s, nil
}

// pgid is the server's process group (the pid of the first process).
func (s *server) pgid() int { return s.cmd.Process.Pid }

// waitReady polls the server until GET / answers correctly, it exits, or
// startTimeout passes.
func (s *server) waitReady() error {
	client := &http.Client{Timeout: time.Second,
		Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(startTimeout)
	last := errors.New("no answer")
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("exited: %v", s.err)
		default:
		}
		if err := checkHello(client, "http://"+s.addr+"/"); err == nil {
			return nil
		} else {
			last = err
		}
		time.Sleep(25 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %v: %v", startTimeout, last)
}

// checkHello fetches url and wants 200 with exactly helloBody.
func checkHello(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 || string(body) != helloBody {
		return fmt.Errorf("GET / answered %d %q, want 200 %q", resp.StatusCode, body, helloBody)
	}
	return nil
}

// stop sends SIGTERM to the group, then SIGKILL after stopGrace, and
// removes the temporary directory. Processes left in the group after
// the first one exits (workers) are killed too.
func (s *server) stop() {
	pg := s.pgid()
	syscall.Kill(-pg, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(stopGrace):
		syscall.Kill(-pg, syscall.SIGKILL)
		select {
		case <-s.done:
		case <-time.After(stopGrace):
		}
	}
	// Workers that outlived their master.
	ctx, cancel := context.WithTimeout(context.Background(), stopGrace)
	defer cancel()
	for len(groupPIDs(pg)) > 0 && ctx.Err() == nil {
		syscall.Kill(-pg, syscall.SIGKILL)
		time.Sleep(20 * time.Millisecond)
	}
	os.RemoveAll(s.dir)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.buf))
}
