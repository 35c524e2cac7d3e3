// Command gohttp is the Go net/http peer of the benchmark: GET / answers
// "Hello World\n" as text/plain, POST /echo returns the request body, and
// GET /1m returns 1 MiB of 'x'. It uses plain http.Serve with no timeouts
// and exits on SIGTERM; -h2c also serves HTTP/2 with prior knowledge.
// Usage: gohttp [-h2c] -addr 127.0.0.1:PORT
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

var (
	hello = []byte("Hello World\n")
	big   = bytes.Repeat([]byte{'x'}, 1<<20)
)

func handler(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	switch {
	case r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		h["Content-Type"] = []string{"text/plain"}
		h["Content-Length"] = []string{"12"}
		w.Write(hello)
	case r.URL.Path == "/echo" && r.Method == http.MethodPost:
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		h["Content-Type"] = []string{"application/octet-stream"}
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
		w.Write(body)
	case r.URL.Path == "/1m" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		h["Content-Type"] = []string{"application/octet-stream"}
		h["Content-Length"] = []string{strconv.Itoa(len(big))}
		w.Write(big)
	default:
		http.NotFound(w, r)
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	h2c := flag.Bool("h2c", false, "also serve HTTP/2 with prior knowledge")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ln.Addr().String())
	srv := &http.Server{Handler: http.HandlerFunc(handler)}
	if *h2c {
		srv.Protocols = new(http.Protocols)
		srv.Protocols.SetHTTP1(true)
		srv.Protocols.SetUnencryptedHTTP2(true)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		ctx, cancel := context.WithTimeout(context.Background(), 1e9)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
