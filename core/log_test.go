package core

import (
	"io"
	"net"
	"testing"
	"time"
)

// logTo returns a Logger that sends each record to ch.
func logTo(ch chan Log) func(Log) {
	return func(l Log) {
		select {
		case ch <- l:
		default:
			panic("core test: too many unread log records")
		}
	}
}

func nextLog(t *testing.T, ch chan Log) Log {
	t.Helper()
	select {
	case l := <-ch:
		return l
	case <-time.After(waitLong):
		t.Fatal("no log record")
		return Log{}
	}
}

func TestAccessLog(t *testing.T) {
	eachMode(t, func(t *testing.T, blocking bool) {
		logs := make(chan Log, 16)
		ts := start(t, Config{Logger: logTo(logs)}, blocking, nil)
		c := dial(t, ts.addr)
		c.send("POST /a?b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello")
		must(t, "Respond", ts.next(t).Respond(201, nil, []byte("made it")), nil)
		c.expect(201, "made it")
		l := nextLog(t, logs)
		if l.Kind != LogAccess || l.Method != "POST" || l.Target != "/a?b" || l.Status != 201 ||
			l.Version != 11 || l.BytesIn != 5 || l.BytesOut != 7 || l.Cause != nil ||
			l.Remote != c.LocalAddr().String() || l.Duration <= 0 {
			t.Errorf("log %+v", l)
		}

		bad := dial(t, ts.addr)
		bad.send("GET / HTTP/1.1\r\n\r\n") // no Host
		bad.expect(400, "Bad Request\n")
		if l := nextLog(t, logs); l.Kind != LogAccess || l.Status != 400 || l.Cause != ErrPeer {
			t.Errorf("log of a refused request %+v", l)
		}

		gone := dial(t, ts.addr)
		gone.get("/gone")
		h := ts.next(t)
		gone.Close()
		h.awaitAbort(t, ErrPeer)
		if l := nextLog(t, logs); l.Target != "/gone" || l.Status != 0 || l.Cause != ErrPeer {
			t.Errorf("log of an aborted request %+v", l)
		}
		must(t, "Abort", h.Abort(), nil)
	})
}

func TestAccessLogHTTP2(t *testing.T) {
	t.Parallel()
	logs := make(chan Log, 16)
	ts, client, base := startH2(t, Config{Logger: logTo(logs)}, false, true, respondOK)
	resp, err := client.Get(base + "/h2")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if l := nextLog(t, logs); l.Version != 20 || l.Status != 200 || l.Target != "/h2" || l.BytesOut != 3 {
		t.Errorf("log %+v", l)
	}
	_ = ts
}

func TestErrorLog(t *testing.T) {
	t.Parallel()
	logs := make(chan Log, 16)
	s := NewServer(Config{Logger: logTo(logs)}, &testHost{handle: respondOK}, true)
	if _, err := s.Listen("127.0.0.1:0", ListenOptions{TLS: true}); err != nil {
		t.Fatal(err)
	}
	must(t, "SetSelfSignedCert", s.SetSelfSignedCert(), nil)
	must(t, "Start", s.Start(), nil)
	defer func() { s.Shutdown(0); <-s.Done() }()
	c, err := net.Dial("tcp", s.AddrString(0))
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("GET / HTTP/1.1\r\nHost: h\r\n\r\n")) // not TLS
	if l := nextLog(t, logs); l.Kind != LogError || l.Cause == nil || l.Remote != c.LocalAddr().String() {
		t.Errorf("log %+v", l)
	}
	c.Close()
}
