package core

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startH2 starts a server whose listener takes HTTP/2: over TLS (ALPN)
// with a self-signed certificate, or with h2c prior knowledge.
func startH2(t *testing.T, cfg Config, blocking, overTLS bool, handle func(h *held) bool) (*testServer, *http.Client, string) {
	t.Helper()
	cfg.H2C = !overTLS
	host := &testHost{handle: handle, reqs: make(chan *held, 64)}
	s := NewServer(cfg, host, blocking)
	if _, err := s.Listen("127.0.0.1:0", ListenOptions{TLS: overTLS}); err != nil {
		t.Fatal(err)
	}
	if overTLS {
		must(t, "SetSelfSignedCert", s.SetSelfSignedCert(), nil)
	}
	run(t, s)
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, Protocols: new(http.Protocols)}
	scheme := "https://"
	if overTLS {
		tr.Protocols.SetHTTP2(true)
	} else {
		tr.Protocols.SetUnencryptedHTTP2(true)
		scheme = "http://"
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &testServer{s, host, s.AddrString(0)}, &http.Client{Transport: tr, Timeout: waitLong}, scheme + s.AddrString(0)
}

// eachH2 runs f over TLS and h2c, in both modes.
func eachH2(t *testing.T, f func(t *testing.T, blocking, overTLS bool)) {
	for _, overTLS := range []bool{true, false} {
		name := "h2c"
		if overTLS {
			name = "tls"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, blocking bool) { f(t, blocking, overTLS) })
		})
	}
}

func TestHTTP2(t *testing.T) {
	eachH2(t, func(t *testing.T, blocking, overTLS bool) {
		ts, client, base := startH2(t, Config{}, blocking, overTLS, nil)
		done := make(chan *http.Response, 1)
		go func() {
			resp, err := client.Post(base+"/p?q=1", "text/plain", strings.NewReader("hello"))
			if err != nil {
				t.Error(err)
			}
			done <- resp
		}()
		h := ts.next(t)
		if h.Req.Version != 20 || h.Req.Path != "/p" || h.Req.Query != "q=1" ||
			string(h.Req.Body) != "hello" || h.Req.TLS != overTLS {
			t.Errorf("Req = %+v", *h.Req)
		}
		must(t, "Respond", h.Respond(200, []Header{{"X-Porter", "yes"}}, []byte("hi over h2")), nil)
		resp := <-done
		if resp == nil {
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 || string(body) != "hi over h2" || resp.Header.Get("X-Porter") != "yes" {
			t.Errorf("%s %d %q %v", resp.Proto, resp.StatusCode, body, resp.Header)
		}
	})
}

func TestHTTP2Streams(t *testing.T) {
	eachH2(t, func(t *testing.T, blocking, overTLS bool) {
		ts, client, base := startH2(t, Config{StreamBodies: true, StreamBuffer: 1 << 10}, blocking, overTLS, nil)
		body := pattern(200 << 10)
		done := make(chan []byte, 1)
		go func() {
			resp, err := client.Post(base+"/up", "application/octet-stream", strings.NewReader(string(body)))
			if err != nil {
				t.Error(err)
				done <- nil
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Error(err)
			}
			done <- b
		}()
		h := ts.next(t)
		sameBytes(t, h.readBody(t, 3000), body)
		must(t, "WriteHead", h.WriteHead(200, nil, -1), nil)
		for i := range 50 {
			h.write(t, []byte(fmt.Sprintf("chunk %d;", i)))
		}
		must(t, "Finish", h.Finish(), nil)
		if got := <-done; !strings.HasPrefix(string(got), "chunk 0;chunk 1;") || !strings.HasSuffix(string(got), "chunk 49;") {
			t.Errorf("response %q", clip(got))
		}
	})
}

func TestHTTP2KeepsHTTP1(t *testing.T) {
	t.Parallel()
	for _, overTLS := range []bool{true, false} {
		ts, _, base := startH2(t, Config{}, false, overTLS, respondOK)
		tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr, Timeout: waitLong}).Get(base + "/one")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 1 || string(body) != "/one" {
			t.Errorf("%s %q", resp.Proto, body)
		}
		_ = ts
	}
}

func TestHTTP2Shutdown(t *testing.T) {
	eachH2(t, func(t *testing.T, blocking, overTLS bool) {
		ts, client, base := startH2(t, Config{}, blocking, overTLS, nil)
		results := make(chan string, 2)
		get := func(path string) {
			resp, err := client.Get(base + path)
			if err != nil {
				results <- path + ": " + err.Error()
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				results <- path + ": " + err.Error()
				return
			}
			results <- path + ": " + string(b)
		}
		go get("/answered")
		a := ts.next(t)
		go get("/abandoned")
		b := ts.next(t)
		if a.Req.Path != "/answered" {
			a, b = b, a
		}
		ts.Shutdown(300 * time.Millisecond)
		must(t, "Respond in grace", a.Respond(200, nil, []byte("in time")), nil)
		b.awaitAbort(t, ErrServerClosed)
		must(t, "Abort", b.Abort(), nil)
		got := []string{<-results, <-results}
		if !(got[0] == "/answered: in time" || got[1] == "/answered: in time") {
			t.Errorf("results %q", got)
		}
		select {
		case <-ts.Done():
		case <-time.After(waitLong):
			t.Fatal("not drained")
		}
	})
}

func TestHTTP2ResponseTimeout(t *testing.T) {
	t.Parallel()
	ts, client, base := startH2(t, Config{ResponseTimeout: 100 * time.Millisecond}, false, true, nil)
	go func() {
		resp, err := client.Get(base + "/slow")
		if err == nil {
			if resp.StatusCode != 503 {
				t.Errorf("status %d, want 503", resp.StatusCode)
			}
			resp.Body.Close()
		}
	}()
	h := ts.next(t)
	h.awaitAbort(t, ErrTimeout)
	must(t, "Respond late", h.Respond(200, nil, nil), ErrAborted)
}
