package core

import (
	"io"
	"log"
	"net/http"
	"sort"
	"strings"
)

// quietLog keeps net/http from writing to the host's stderr.
var quietLog = log.New(io.Discard, "", 0)

// readRequest builds the request view of a net/http request. net/http
// keeps headers in a map with canonical names, so the view lists Host
// first, then the fields sorted by name, each name's values in order.
func readRequest(r *http.Request) Request {
	target := r.RequestURI
	path, query := target, ""
	if i := strings.IndexByte(target, '?'); i >= 0 {
		path, query = target[:i], target[i+1:]
	}
	if !strings.HasPrefix(target, "/") && target != "*" {
		path, query = r.URL.EscapedPath(), r.URL.RawQuery // absolute form
	}
	fields := r.Header
	if len(r.TransferEncoding) > 0 { // net/http moves it out of Header
		fields = r.Header.Clone()
		fields["Transfer-Encoding"] = []string{strings.Join(r.TransferEncoding, ", ")}
	}
	names := make([]string, 0, len(fields))
	count := 1
	for name, values := range fields {
		names = append(names, name)
		count += len(values)
	}
	sort.Strings(names)
	headers := make([]Header, 0, count)
	if r.Host != "" {
		headers = append(headers, Header{"Host", r.Host})
	}
	for _, name := range names {
		for _, v := range fields[name] {
			headers = append(headers, Header{name, v})
		}
	}
	return Request{
		Method:        r.Method,
		Target:        target,
		Path:          path,
		Query:         query,
		Host:          r.Host,
		Remote:        r.RemoteAddr,
		Version:       r.ProtoMajor*10 + r.ProtoMinor,
		Headers:       headers,
		ContentLength: r.ContentLength,
	}
}

// isToken reports whether s is an RFC 9110 token: a valid field name.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenChar[s[i]] {
			return false
		}
	}
	return true
}

// isFieldValue reports whether s holds no control byte but tab.
func isFieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

var tokenChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return
}()
