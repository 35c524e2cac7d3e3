package core

import (
	"net/http"

	"github.com/porter-http/porter/core/http1"
	"github.com/porter-http/porter/core/scgi"
)

// This file is what a connection does differently when it speaks SCGI to
// a web server in front (nginx scgi_pass, Apache, lighttpd): one request
// per connection, its head a netstring of CGI variables, and a CGI
// response ("Status: 200 OK") whose body ends when the connection does.
// The exchange, the host's calls and the request view are the same as
// for HTTP/1.

// parse parses the request head at the start of buf in the connection's
// protocol: it returns the head's length, or the status to refuse it
// with, or more when buf holds a proper prefix.
func (c *conn) parse(buf []byte) (n, status int, more bool) {
	var err error
	if c.scgi {
		n, err = c.sh.Parse(buf, c.s.scgiLimits)
	} else {
		n, err = c.head.Parse(buf, c.s.limits)
	}
	switch e := err.(type) {
	case nil:
		return n, 0, false
	case *http1.Error:
		return 0, e.Status, false
	case *scgi.Error:
		return 0, e.Status, false
	}
	return 0, 0, true
}

// newSCGIExchange makes the exchange of the SCGI head just parsed, n
// bytes long. The header fields come from the HTTP_* variables, their
// names rebuilt ("HTTP_USER_AGENT" is "User-Agent").
func (c *conn) newSCGIExchange(n int) *exchange {
	h := &c.sh
	x, head := c.takeExchange(n)
	at := head.str
	var names []byte
	var ends []int
	for name := range h.Headers() {
		names = scgi.AppendHeaderName(names, name)
		ends = append(ends, len(names))
	}
	nameStr := string(names)
	headers, i, start := x.fields[:0], 0, 0
	for _, value := range h.Headers() {
		headers = append(headers, Header{nameStr[start:ends[i]], at(value)})
		start = ends[i]
		i++
	}
	x.Req = Request{
		Method:        at(h.Method),
		Target:        at(h.Target),
		Path:          at(h.Path),
		Query:         at(h.Query),
		Host:          at(h.Host),
		Remote:        string(h.AppendRemote(nil)),
		Version:       h.Version,
		Headers:       headers,
		ContentLength: h.ContentLength,
		TLS:           h.TLS,
	}
	c.begin(x, n, false, h.ContentLength)
	return x
}

// appendHead appends the response head in the connection's protocol.
func (c *conn) appendHead(b []byte, status int, header []Header, f framing, length int64, version int, keepAlive bool) []byte {
	if c.scgi {
		return scgi.AppendResponseHead(b, status, http.StatusText(status), header)
	}
	return appendHead(b, status, header, f, length, version, keepAlive)
}

// appendReject appends porter's own answer to a refused request in the
// connection's protocol.
func (c *conn) appendReject(b []byte, status int) []byte {
	if !c.scgi {
		return appendReject(b, status)
	}
	text := http.StatusText(status) + "\n"
	b = scgi.AppendResponseHead(b, status, http.StatusText(status), []Header{{"Content-Type", "text/plain; charset=utf-8"}})
	return append(b, text...)
}
