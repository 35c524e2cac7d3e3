// Package wire checks porter's HTTP/1 engine on the wire: it starts the
// built examples/echo program and sends it raw request bytes over TCP on
// loopback, one connection per case.
//
//	make all && go test -count=1 ./tests/wire                  # build/examples/echo
//	go test -count=1 ./tests/wire -echo /path/to/examples/echo  # another build
//
// PORTER_ECHO also names the program. Without -echo or PORTER_ECHO and
// without a build, the tests are skipped; ctest passes -echo, so there a
// missing program fails.
package wire

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Every wait is bounded; none is a timing assertion. The bounds are
// generous for a loaded machine: a response that takes longer is missing.
const (
	responseWait = 15 * time.Second // for a response; past header_timeout_ms (10 s)
	closeWait    = 5 * time.Second  // for the server to close after a response
	startWait    = 10 * time.Second // for the echo to print its address
	stopWait     = 15 * time.Second // for the echo to exit after SIGTERM (its grace is 5 s)
)

var echoFlag = flag.String("echo", "", "path of the built examples/echo (default $PORTER_ECHO, else ../../build/examples/echo)")

// addr is where the echo listens.
var addr string

func TestMain(m *testing.M) {
	flag.Parse()
	// The cases mostly wait on the network, and a failing one waits for a
	// bound; so run many at once unless -parallel says otherwise.
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		flag.Set("test.parallel", "64")
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	path, named := *echoFlag, true
	if path == "" {
		path = os.Getenv("PORTER_ECHO")
	}
	if path == "" {
		path, named = "../../build/examples/echo", false
	}
	if _, err := os.Stat(path); err != nil {
		if !named {
			fmt.Printf("skipping the wire tests: %v (run make all, or pass -echo)\n", err)
			return 0
		}
		fmt.Fprintln(os.Stderr, "wire:", err)
		return 1
	}

	cmd := exec.Command(path, "127.0.0.1:0")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wire: starting the echo:", err)
		return 1
	}
	first := make(chan string, 1)
	go func() {
		r := bufio.NewReader(out)
		line, _ := r.ReadString('\n')
		first <- strings.TrimSpace(line)
		io.Copy(io.Discard, r) // the echo must never block on stdout
	}()
	select {
	case addr = <-first:
	case <-time.After(startWait):
	}
	code := 1
	if _, _, err := net.SplitHostPort(addr); err != nil {
		fmt.Fprintf(os.Stderr, "wire: the echo printed no address first (%q)\n", addr)
	} else {
		code = m.Run()
	}

	cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err = <-exited:
	case <-time.After(stopWait):
		cmd.Process.Kill()
		err = fmt.Errorf("still running %v after SIGTERM: killed (%v)", stopWait, <-exited)
	}
	if err != nil { // a crash during the run shows here too
		fmt.Fprintln(os.Stderr, "wire: the echo did not stop cleanly:", err)
		code = 1
	}
	return code
}

// client is one connection to the echo. Responses are read one after
// another from br, so pipelined responses are never lost.
type client struct {
	t     *testing.T
	conn  *net.TCPConn
	br    *bufio.Reader
	sent  chan struct{} // closed when the last send has finished
	ended string        // how the connection ended while a response was read
}

func dial(t *testing.T) *client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, responseWait)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, conn: conn.(*net.TCPConn), br: bufio.NewReader(conn)}
	t.Cleanup(func() {
		conn.Close() // ends a write the server does not read
		if c.sent != nil {
			<-c.sent
		}
	})
	return c
}

// send writes b in the background, after any earlier send, so that a
// server that answers before it has read everything (a refused head, a
// body over the limit) is seen answering rather than deadlocking the
// test. Write errors are the server closing: the response tells the
// rest. When slow, b goes one byte per write with a pause between, so
// the server likely reads it in one-byte pieces. The client never
// half-closes: the server must close on its own.
func (c *client) send(b string, slow bool) {
	prev, done := c.sent, make(chan struct{})
	c.sent = done
	go func() {
		defer close(done)
		if prev != nil {
			<-prev
		}
		if !slow {
			io.WriteString(c.conn, b)
			return
		}
		for i := range len(b) {
			if _, err := c.conn.Write([]byte{b[i]}); err != nil {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
}

// response reads the next response and its body. A body cut short by
// the server closing is an error (the client lost part of the response),
// and the connection counts as closed.
func (c *client) response() (*http.Response, []byte) {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(responseWait))
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.t.Fatalf("no response: %s", how(err))
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Errorf("response %d: body cut short: %s", resp.StatusCode, how(err))
		c.ended = how(err)
	}
	return resp, body
}

// expectClosed checks that the server closes the connection after the
// response just read, sending nothing more; a reset counts as closed.
func (c *client) expectClosed() {
	c.t.Helper()
	if c.ended != "" {
		c.t.Logf("connection closed during the response: %s", c.ended)
		return
	}
	c.conn.SetReadDeadline(time.Now().Add(closeWait))
	if _, err := c.br.ReadByte(); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			c.t.Errorf("connection still open %v after the response", closeWait)
		} else {
			c.t.Logf("connection closed: %s", how(err))
		}
		return
	}
	c.br.UnreadByte()
	c.conn.SetReadDeadline(time.Now().Add(time.Second))
	more, _ := c.br.Peek(200) // what there is, up to 200 bytes
	c.t.Errorf("server sent more after the response: %q", more)
}

// expectOpen checks that the connection is still usable: another request
// on it is answered.
func (c *client) expectOpen() {
	c.t.Helper()
	c.send("GET /again HTTP/1.1\r\nHost: a\r\n\r\n", false)
	resp, body := c.response()
	if resp.StatusCode != 200 {
		c.t.Fatalf("keep-alive: second request got %d %q", resp.StatusCode, snippet(body))
	}
	if e := decodeEcho(c.t, body); e.Target != "/again" {
		c.t.Errorf("keep-alive: second request answered as %q", e.Target)
	}
}

// how names the way a read ended.
func how(err error) string {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "EOF (FIN)"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset (RST)"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "nothing within the deadline"
	}
	return err.Error()
}

// echo is the echo's JSON description of a request.
type echo struct {
	Method, Target, Path, Query, Version string
	Headers                              [][2]string
	BodyLength                           int    `json:"body_length"`
	BodySHA256                           string `json:"body_sha256"`
}

func decodeEcho(t *testing.T, body []byte) echo {
	t.Helper()
	var e echo
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("echo JSON: %v in %q", err, snippet(body))
	}
	return e
}

// check compares e with want: its non-empty strings, and the body when
// want.BodySHA256 is set.
func (e echo) check(t *testing.T, want echo) {
	t.Helper()
	for _, f := range []struct{ name, got, want string }{
		{"method", e.Method, want.Method},
		{"target", e.Target, want.Target},
		{"path", e.Path, want.Path},
		{"query", e.Query, want.Query},
		{"version", e.Version, want.Version},
	} {
		if f.want != "" && f.got != f.want {
			t.Errorf("%s = %q, want %q", f.name, f.got, f.want)
		}
	}
	if want.BodySHA256 != "" && (e.BodyLength != want.BodyLength || e.BodySHA256 != want.BodySHA256) {
		t.Errorf("body: %d bytes, sha256 %s; want %d bytes, sha256 %s",
			e.BodyLength, e.BodySHA256, want.BodyLength, want.BodySHA256)
	}
}

// header returns the value of the first header named name, any case.
func (e echo) header(name string) (string, bool) {
	for _, h := range e.Headers {
		if strings.EqualFold(h[0], name) {
			return h[1], true
		}
	}
	return "", false
}

// bodyOf is an echo that only states a body.
func bodyOf(b string) echo {
	sum := sha256.Sum256([]byte(b))
	return echo{BodyLength: len(b), BodySHA256: hex.EncodeToString(sum[:])}
}

func snippet(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}
