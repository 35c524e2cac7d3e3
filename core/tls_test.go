package core

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"
)

// testCert makes a self-signed certificate for name, as PEM.
func testCert(t *testing.T, name string) Cert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{name},
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return Cert{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}
}

// serveTLS starts a server with one TLS listener and certs; its host
// answers each request with "tls <ServerName>".
func serveTLS(t *testing.T, cfg Config, certs ...Cert) *Server {
	t.Helper()
	s := NewServer(cfg, &testHost{handle: func(h *held) bool {
		body := "plain"
		if h.Req.TLS {
			body = "tls " + h.Req.ServerName
		}
		must(t, "Respond", h.Respond(200, nil, []byte(body)), nil)
		return true
	}}, false)
	if _, err := s.Listen("127.0.0.1:0", ListenOptions{TLS: true}); err != nil {
		t.Fatal(err)
	}
	if len(certs) > 0 {
		must(t, "SetCerts", s.SetCerts(certs), nil)
	} else {
		must(t, "SetSelfSignedCert", s.SetSelfSignedCert(), nil)
	}
	run(t, s)
	return s
}

// tlsGet dials with TLS (any certificate accepted), sends a GET and
// returns the connection, the body and the server's certificate name.
func tlsGet(t *testing.T, addr, sni string, c *tls.Conn) (*tls.Conn, string, string) {
	t.Helper()
	if c == nil {
		var err error
		c, err = tls.DialWithDialer(&net.Dialer{Timeout: waitLong}, "tcp", addr,
			&tls.Config{ServerName: sni, InsecureSkipVerify: true})
		if err != nil {
			t.Fatalf("TLS dial: %v", err)
		}
		t.Cleanup(func() { c.Close() })
	}
	cl := &client{c, bufio.NewReader(c), t}
	cl.get("/")
	resp, body := cl.response("GET")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	return c, string(body), c.ConnectionState().PeerCertificates[0].Subject.CommonName
}

func TestTLS(t *testing.T) {
	t.Parallel()
	s := serveTLS(t, Config{})
	addr := s.AddrString(0)
	c, body, _ := tlsGet(t, addr, "localhost", nil)
	if body != "tls localhost" {
		t.Errorf("body %q", body)
	}
	if v := c.ConnectionState().Version; v < tls.VersionTLS12 {
		t.Errorf("TLS version %x", v)
	}
	tlsGet(t, addr, "", c) // keep-alive over TLS

	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		old, err := tls.DialWithDialer(&net.Dialer{Timeout: waitLong}, "tcp", addr,
			&tls.Config{InsecureSkipVerify: true, MinVersion: v, MaxVersion: v})
		if err == nil {
			old.Close()
			t.Errorf("a TLS %x handshake succeeded", v)
		}
	}
	// Plain HTTP on a TLS listener is not served.
	plain := dial(t, addr)
	plain.get("/")
	if _, _, err := plain.readResponse("GET"); err == nil {
		t.Error("plain HTTP answered on a TLS listener")
	}
}

func TestTLSChoosesBySNIAndSwaps(t *testing.T) {
	t.Parallel()
	s := serveTLS(t, Config{}, testCert(t, "a.test"), testCert(t, "b.test"))
	addr := s.AddrString(0)
	if _, _, name := tlsGet(t, addr, "b.test", nil); name != "b.test" {
		t.Errorf("SNI b.test got certificate %s", name)
	}
	old, _, name := tlsGet(t, addr, "a.test", nil)
	if name != "a.test" {
		t.Errorf("SNI a.test got certificate %s", name)
	}

	must(t, "SetCerts", s.SetCerts([]Cert{testCert(t, "c.test")}), nil)
	if _, _, name := tlsGet(t, addr, "a.test", nil); name != "c.test" {
		t.Errorf("after the swap a new connection got certificate %s", name)
	}
	if _, body, _ := tlsGet(t, addr, "", old); body != "tls a.test" {
		t.Errorf("the old connection answered %q", body) // it carries on
	}
	if err := s.SetCerts([]Cert{{CertPEM: []byte("junk"), KeyPEM: []byte("junk")}}); err == nil {
		t.Error("SetCerts took junk")
	}
}

func TestTLSNeedsACert(t *testing.T) {
	t.Parallel()
	s := NewServer(Config{}, &testHost{}, false)
	defer s.Stop()
	if _, err := s.Listen("127.0.0.1:0", ListenOptions{TLS: true}); err != nil {
		t.Fatal(err)
	}
	must(t, "Start without a certificate", s.Start(), ErrNoCert)
}

func TestTLSHandshakeTimeout(t *testing.T) {
	t.Parallel()
	s := serveTLS(t, Config{HeaderTimeout: 100 * time.Millisecond})
	c := dial(t, s.AddrString(0)) // and never say hello
	c.expectClosed()
	if n := s.Stats().TLSErrors; n != 1 {
		t.Errorf("TLSErrors = %d", n)
	}
}
