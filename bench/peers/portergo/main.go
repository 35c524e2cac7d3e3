// Command portergo is porter's engine hosted in Go, with no C in between:
// the same core.Server that libporter wraps, in callback mode, answering
// as the other peers do (GET / "Hello World\n", POST /echo the body,
// GET /1m 1 MiB of 'x'). Next to porter-callback it shows what the C ABI
// costs. It prints its address and exits on SIGTERM.
// Usage: portergo -addr 127.0.0.1:PORT
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/porter-http/porter/core"
)

var (
	hello     = []byte("Hello World\n")
	big       = bytes.Repeat([]byte{'x'}, 1<<20)
	textPlain = []core.Header{{Name: "Content-Type", Value: "text/plain"}}
	octets    = []core.Header{{Name: "Content-Type", Value: "application/octet-stream"}}
)

// host answers every request in its callback and releases the exchange,
// as a C callback host does with req_respond.
type host struct{}

func (host) Request(x core.Exchange) bool {
	q := x.Request()
	get := q.Method == "GET" || q.Method == "HEAD"
	switch {
	case q.Path == "/" && get:
		x.Respond(200, textPlain, hello)
	case q.Path == "/echo" && q.Method == "POST":
		x.Respond(200, octets, q.Body)
	case q.Path == "/1m" && get:
		x.Respond(200, octets, big)
	default:
		x.Respond(404, textPlain, []byte("Not Found\n"))
	}
	x.Release()
	return true
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	s := core.NewServer(core.Config{}, host{}, true)
	if _, err := s.Listen(*addr, core.ListenOptions{}); err != nil {
		log.Fatal(err)
	}
	if err := s.Start(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.Addr(0).String())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	<-sigs
	s.Shutdown(1e9)
	<-s.Done()
}
