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
	x.Respond(200, []Header{{"Content-Type", "text/plain"}}, hello)
	return true
}

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
			x.Respond(200, []Header{{"Content-Type", "text/plain"}}, hello)
		}
	}
}

// BenchmarkHello measures one keep-alive GET and its "hello world"
// response through a loopback server, one request at a time.
func BenchmarkHello(b *testing.B) {
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			var host Host = inlineHost{}
			if !m.blocking {
				q, err := NewQueue[Exchange](1024)
				if err != nil {
					b.Fatal(err)
				}
				defer q.Free()
				host = loopHost{q}
			}
			s := NewServer(Config{}, host, m.blocking)
			if lh, ok := host.(loopHost); ok {
				if _, err := s.OpenLoop(lh.q.Fd()); err != nil {
					b.Fatal(err)
				}
				defer s.CloseLoop()
				defer lh.q.Close() // ends lh.loop
				lh.q.PollWith(s.Poll)
				go lh.loop()
			}
			if _, err := s.Listen("127.0.0.1:0", ListenOptions{}); err != nil {
				b.Fatal(err)
			}
			if err := s.Start(); err != nil {
				b.Fatal(err)
			}
			defer func() {
				s.Shutdown(0)
				<-s.Done()
			}()
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
