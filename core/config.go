package core

import "time"

// Config holds a server's limits and timeouts. A zero field takes its
// default; the defaults protect a server facing the open internet.
type Config struct {
	StreamBodies    bool          // hand bodies to the host in chunks instead of whole
	QueueDepth      int           // loop mode: undelivered events before new requests get 503
	MaxConnections  int           // open connections; further clients wait in the backlog
	MaxHeaderCount  int           // header fields, else 431
	MaxRequestLine  int           // bytes of the request line, else 414
	MaxHeaderBytes  int           // bytes of the request head, else 431
	MaxBodyBytes    int64         // bytes of a buffered body, else 413
	StreamBuffer    int           // loop mode: bytes buffered per direction of a streamed body
	HeaderTimeout   time.Duration // to read a request head
	BodyTimeout     time.Duration // between reads of a body
	IdleTimeout     time.Duration // keep-alive between requests
	WriteTimeout    time.Duration // for the client to take each 256 KiB of a response (writePart)
	ResponseTimeout time.Duration // for the host to start a response, else 503
	DisableHTTP2    bool          // TLS listeners offer only HTTP/1.1 by ALPN
	H2C             bool          // plain listeners take HTTP/2 with prior knowledge (the h2c preface)
	MaxStreams      int           // HTTP/2: concurrent streams per connection

	// Logger, when set, receives a Log record for every request and for
	// failures that belong to no request, on porter's goroutines: it must
	// not block.
	Logger func(Log)
}

// Defaults returns the configuration every zero field falls back to.
func Defaults() Config {
	return Config{
		QueueDepth:      1024,
		MaxConnections:  10000,
		MaxHeaderCount:  100,
		MaxRequestLine:  8 << 10,
		MaxHeaderBytes:  64 << 10,
		MaxBodyBytes:    8 << 20,
		StreamBuffer:    64 << 10,
		HeaderTimeout:   10 * time.Second,
		BodyTimeout:     30 * time.Second,
		IdleTimeout:     60 * time.Second,
		WriteTimeout:    30 * time.Second,
		ResponseTimeout: 60 * time.Second,
		MaxStreams:      100,
	}
}

// withDefaults fills every zero field from Defaults.
func (c Config) withDefaults() Config {
	d := Defaults()
	or := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	orDuration := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	or(&c.QueueDepth, d.QueueDepth)
	or(&c.MaxConnections, d.MaxConnections)
	or(&c.MaxHeaderCount, d.MaxHeaderCount)
	or(&c.MaxRequestLine, d.MaxRequestLine)
	or(&c.MaxHeaderBytes, d.MaxHeaderBytes)
	or(&c.StreamBuffer, d.StreamBuffer)
	or(&c.MaxStreams, d.MaxStreams)
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = d.MaxBodyBytes
	}
	orDuration(&c.HeaderTimeout, d.HeaderTimeout)
	orDuration(&c.BodyTimeout, d.BodyTimeout)
	orDuration(&c.IdleTimeout, d.IdleTimeout)
	orDuration(&c.WriteTimeout, d.WriteTimeout)
	orDuration(&c.ResponseTimeout, d.ResponseTimeout)
	return c
}
