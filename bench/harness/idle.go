package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// idleResult is what openIdle reports.
type idleResult struct {
	Opened int   // connections that got their response and stayed open
	Errors int64 // connections that failed to connect, send or read
	First  error // the first error, for the report
}

const (
	idleDialers      = 64               // concurrent connection openers
	idleConnDeadline = 10 * time.Second // per connection: dial, write, read
	idleOpenTimeout  = 60 * time.Second // for all connections together
)

var idleRequest = []byte("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")

// openIdle opens n keep-alive connections to addr, sends one GET / on
// each and reads the whole response, and returns the connections still
// open for the caller to close. Every wait is bounded.
func openIdle(addr string, n int) ([]net.Conn, idleResult) {
	var (
		mu    sync.Mutex
		conns = make([]net.Conn, 0, n)
		res   idleResult
		errs  atomic.Int64
		next  atomic.Int64
		wg    sync.WaitGroup
	)
	stopAt := time.Now().Add(idleOpenTimeout)
	fail := func(err error) {
		errs.Add(1)
		mu.Lock()
		if res.First == nil {
			res.First = err
		}
		mu.Unlock()
	}
	for w := 0; w < idleDialers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if time.Now().After(stopAt) {
					fail(fmt.Errorf("gave up after %v", idleOpenTimeout))
					continue
				}
				c, err := openOne(addr)
				if err != nil {
					fail(err)
					continue
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.Opened = len(conns)
	res.Errors = errs.Load()
	return conns, res
}

// openOne dials addr, does one request and leaves the connection idle.
func openOne(addr string) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, idleConnDeadline)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(idleConnDeadline))
	if _, err := c.Write(idleRequest); err != nil {
		c.Close()
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || string(body) != helloBody || resp.Close {
		c.Close()
		if err == nil {
			err = fmt.Errorf("answered %d %q (close=%v)", resp.StatusCode, body, resp.Close)
		}
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

// stillOpen counts the connections the server has not closed: a
// non-blocking peek that would block means the connection is alive and
// idle; end of file or an error means it is gone.
func stillOpen(conns []net.Conn) int {
	alive := 0
	buf := make([]byte, 1)
	for _, c := range conns {
		tc, ok := c.(*net.TCPConn)
		if !ok {
			continue
		}
		rc, err := tc.SyscallConn()
		if err != nil {
			continue
		}
		rc.Control(func(fd uintptr) {
			_, _, err := syscall.Recvfrom(int(fd), buf, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			if err == syscall.EAGAIN {
				alive++
			}
		})
	}
	return alive
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

// raiseNoFile raises the soft open-file limit to the hard limit.
func raiseNoFile() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	return lim.Cur, nil
}
