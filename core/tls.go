package core

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"os"
	"time"
)

// Cert is one certificate and its key, as PEM bytes or as the paths of
// PEM files (PEM wins when both are set).
type Cert struct {
	CertPEM, KeyPEM   []byte
	CertFile, KeyFile string
}

// certSet is what TLS listeners serve now; SetCerts swaps it whole, so
// a handshake sees the old set or the new one, never a mix.
type certSet struct {
	certs []tls.Certificate
}

// SetCerts replaces the server's certificates. Handshakes from now on
// choose among them by SNI (the first one when none fits); connections
// already open keep theirs. The server's TLS listeners need at least one.
func (s *Server) SetCerts(certs []Cert) error {
	set := &certSet{}
	for _, c := range certs {
		var pair tls.Certificate
		var err error
		if c.CertPEM != nil || c.KeyPEM != nil {
			pair, err = tls.X509KeyPair(c.CertPEM, c.KeyPEM)
		} else {
			pair, err = tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		}
		if err != nil {
			return err
		}
		set.certs = append(set.certs, pair)
	}
	s.certs.Store(set)
	return nil
}

// SetSelfSignedCert gives the server a certificate it makes itself for
// localhost, 127.0.0.1 and ::1, valid for a year: for development only,
// since no client trusts it unless told to (curl -k).
func (s *Server) SetSelfSignedCert() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "porter self-signed", Organization: []string{"porter development"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if host != "" && host != "localhost" {
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	s.certs.Store(&certSet{certs: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}}})
	return nil
}

// tlsConfig is the configuration of every TLS listener of s: TLS 1.2 at
// least, certificates from the current set, HTTP/2 (unless disabled) or
// HTTP/1.1 by ALPN.
func (s *Server) tlsConfig() *tls.Config {
	protos := []string{"h2", "http/1.1"}
	if s.cfg.DisableHTTP2 {
		protos = protos[1:]
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: protos,
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			set := s.certs.Load()
			if set == nil || len(set.certs) == 0 {
				return nil, ErrNoCert
			}
			for i := range set.certs {
				if hello.SupportsCertificate(&set.certs[i]) == nil {
					return &set.certs[i], nil
				}
			}
			return &set.certs[0], nil
		},
	}
}

// handshake completes a TLS connection's handshake within the header
// timeout and records what the request views report of it; it reports
// whether the connection may be served.
func (c *conn) handshake() bool {
	p := c.sock.Load() // none yet for a connection accepted raw, never TLS
	if p == nil {
		return true
	}
	tc, ok := p.nc.(*tls.Conn)
	if !ok {
		return true
	}
	tc.SetDeadline(time.Now().Add(c.s.cfg.HeaderTimeout))
	if err := tc.Handshake(); err != nil {
		c.s.stats.tlsErrors.Add(1)
		c.s.log(Log{Kind: LogError, Remote: c.remote, Cause: err})
		return false
	}
	tc.SetWriteDeadline(time.Time{})
	c.tls = true
	c.serverName = tc.ConnectionState().ServerName
	return true
}
