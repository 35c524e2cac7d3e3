package core

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

type nopWatcher struct{}

func (nopWatcher) Event(EventKind) {}

var hello = []byte("Hello, world!\n")

// inlineHost answers every request in Request, as a callback host does.
type inlineHost struct{}

func (inlineHost) Request(x Exchange) bool {
	x.Watch(nopWatcher{})
	x.Respond(200, textPlain, hello)
	x.Release()
	return true
}

var textPlain = []Header{{"Content-Type", "text/plain"}}

// loopHost queues requests for a loop goroutine that answers them in
// batches, as a loop-mode host does.
type loopHost struct{ q *Queue[Exchange] }

func (h loopHost) Request(x Exchange) bool {
	x.Watch(nopWatcher{})
	return h.q.TryPush(x)
}

func (h loopHost) loop() {
	batch := make([]Exchange, 64)
	for {
		n, err := h.q.Pop(batch, -1)
		if err != nil {
			return
		}
		for _, x := range batch[:n] {
			x.Respond(200, textPlain, hello)
			x.Release()
		}
	}
}

// helloServer starts a server that answers every request with hello, as
// a callback or loop-mode host that allocates nothing of its own.
func helloServer(tb testing.TB, blocking bool) *Server {
	var host Host = inlineHost{}
	var q *Queue[Exchange]
	if !blocking {
		var err error
		if q, err = NewQueue[Exchange](1024); err != nil {
			tb.Fatal(err)
		}
		host = loopHost{q}
	}
	s := NewServer(Config{}, host, blocking)
	if q != nil {
		if _, err := s.OpenLoop(q.Fd()); err != nil {
			tb.Fatal(err)
		}
		q.PollWith(s.Poll)
		go loopHost{q}.loop()
	}
	if _, err := s.Listen("127.0.0.1:0", ListenOptions{}); err != nil {
		tb.Fatal(err)
	}
	if err := s.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		s.Shutdown(0)
		<-s.Done()
		if q != nil {
			q.Close() // ends the loop goroutine
			s.CloseLoop()
			q.Free()
		}
	})
	return s
}

// BenchmarkHello measures one keep-alive GET and its "hello world"
// response through a loopback server, one request at a time.
func BenchmarkHello(b *testing.B) {
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			s := helloServer(b, m.blocking)
			c, err := net.Dial("tcp", s.Addr(0).String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(time.Minute))
			r := bufio.NewReader(c)
			req := []byte("GET /hello HTTP/1.1\r\nHost: bench\r\n\r\n")
			get := &http.Request{Method: "GET"}

			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := c.Write(req); err != nil {
					b.Fatal(err)
				}
				resp, err := http.ReadResponse(r, get)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 || n != int64(len(hello)) {
					b.Fatalf("%d, %d bytes, %v", resp.StatusCode, n, err)
				}
			}
		})
	}
}
