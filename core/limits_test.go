package core

import (
	"fmt"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	s := NewServer(Config{}, &testHost{}, false)
	if got := s.Config(); !reflect.DeepEqual(got, Defaults()) {
		t.Errorf("zero Config = %+v, want Defaults() %+v", got, Defaults())
	}
	cfg := Config{MaxHeaderCount: 7, MaxBodyBytes: 9, ResponseTimeout: time.Second, StreamBodies: true}
	got := NewServer(cfg, &testHost{}, false).Config()
	if got.MaxHeaderCount != 7 || got.MaxBodyBytes != 9 || got.ResponseTimeout != time.Second || !got.StreamBodies {
		t.Errorf("set fields changed: %+v", got)
	}
	if got.MaxRequestLine != Defaults().MaxRequestLine {
		t.Errorf("unset field not defaulted: %+v", got)
	}
	neg := NewServer(Config{MaxConnections: -1, MaxBodyBytes: -1, IdleTimeout: -time.Second}, &testHost{}, false).Config()
	if neg.MaxConnections != Defaults().MaxConnections || neg.MaxBodyBytes != Defaults().MaxBodyBytes || neg.IdleTimeout != Defaults().IdleTimeout {
		t.Errorf("negative fields not defaulted: %+v", neg)
	}
}

func TestHeadLimits(t *testing.T) {
	cfg := Config{MaxRequestLine: 256, MaxHeaderCount: 10, MaxHeaderBytes: 2048}
	fields := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "X-Field-%d: %d\r\n", i, i)
		}
		return b.String()
	}
	tests := []struct {
		name   string
		raw    string
		status int // 0: served
	}{
		{"request line at the limit", "GET /" + strings.Repeat("a", 256-len("GET / HTTP/1.1")) + " HTTP/1.1\r\nHost: h\r\n\r\n", 0},
		{"request line over", "GET /" + strings.Repeat("a", 300) + " HTTP/1.1\r\nHost: h\r\n\r\n", 414},
		{"fields at the limit", "GET / HTTP/1.1\r\nHost: h\r\n" + fields(9) + "\r\n", 0},
		{"fields over", "GET / HTTP/1.1\r\nHost: h\r\n" + fields(10) + "\r\n", 431},
		{"many fields over", "GET / HTTP/1.1\r\nHost: h\r\n" + fields(50) + "\r\n", 431},
		{"repeated field over", "GET / HTTP/1.1\r\nHost: h\r\n" + strings.Repeat("X-Same: 1\r\n", 10) + "\r\n", 431},
		{"head bytes over", "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + strings.Repeat("b", 2100) + "\r\n\r\n", 431},
	}
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, cfg, blocking, respondOK)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := dial(t, ts.addr)
				c.send(tt.raw)
				resp, _ := c.response("GET")
				if tt.status == 0 {
					if resp.StatusCode != 200 {
						t.Fatalf("status %d, want 200", resp.StatusCode)
					}
					return
				}
				if resp.StatusCode != tt.status {
					t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
				}
				c.expectClosed()
			})
		}
	})
}

func TestMaxConnections(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		ts := start(t, Config{MaxConnections: 2}, blocking, respondOK)
		a, b := dial(t, ts.addr), dial(t, ts.addr)
		for _, c := range []*client{a, b} { // both served and kept alive
			c.get("/ab")
			c.expect(200, "/ab")
		}
		third := dial(t, ts.addr) // waits in the backlog
		third.get("/third")
		third.silent(quiet)
		a.Close()
		third.expect(200, "/third")
		b.get("/b-again")
		b.expect(200, "/b-again")
	})
}

// A listener refused while the server drains: dialing after Done fails.
func TestListenerClosedAfterShutdown(t *testing.T) {
	t.Parallel()
	ts := start(t, Config{}, false, respondOK)
	ts.Shutdown(time.Second)
	select {
	case <-ts.Done():
	case <-time.After(waitLong):
		t.Fatal("not drained")
	}
	if c, err := net.DialTimeout("tcp", ts.addr, waitLong); err == nil {
		c.Close()
		t.Fatal("dial after shutdown succeeded")
	}
}
