// Command fasthttp is the valyala/fasthttp peer of the benchmark: GET /
// answers "Hello World\n" as text/plain, POST /echo returns the request
// body, and GET /1m returns 1 MiB of 'x'. It exits on SIGTERM.
// Usage: fasthttp -addr 127.0.0.1:PORT
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

var (
	hello     = []byte("Hello World\n")
	big       = bytes.Repeat([]byte{'x'}, 1<<20)
	textPlain = []byte("text/plain")
	octets    = []byte("application/octet-stream")
)

func handler(ctx *fasthttp.RequestCtx) {
	path := string(ctx.Path())
	switch {
	case path == "/" && (ctx.IsGet() || ctx.IsHead()):
		ctx.Response.Header.SetContentTypeBytes(textPlain)
		ctx.SetBody(hello)
	case path == "/echo" && ctx.IsPost():
		ctx.Response.Header.SetContentTypeBytes(octets)
		ctx.SetBody(ctx.PostBody())
	case path == "/1m" && (ctx.IsGet() || ctx.IsHead()):
		ctx.Response.Header.SetContentTypeBytes(octets)
		ctx.SetBody(big)
	default:
		ctx.Error("404 page not found", fasthttp.StatusNotFound)
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ln.Addr().String())
	srv := &fasthttp.Server{
		Handler:               handler,
		NoDefaultServerHeader: true, // like the other Go peer: no Server header
		MaxRequestBodySize:    8 << 20,
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		done := make(chan struct{})
		go func() { srv.Shutdown(); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Second):
		}
		os.Exit(0)
	}()
	if err := srv.Serve(ln); err != nil {
		log.Fatal(err)
	}
	select {} // Shutdown in progress: the signal goroutine exits
}
