package scgi

import (
	"strings"
	"testing"
)

// headers lists h's header fields as "Name: value".
func headers(h *Head) []string {
	var out []string
	for name, value := range h.Headers() {
		out = append(out, string(AppendHeaderName(nil, name))+": "+string(value))
	}
	return out
}

func TestHeaders(t *testing.T) {
	for _, c := range []struct {
		name string
		raw  string
		want []string
	}{
		{"nginx GET", nginxGET, []string{
			"Host: www.example.com",
			"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
			"Accept: */*",
			"Accept-Language: en-US,en;q=0.5",
			"Accept-Encoding: gzip, deflate, br, zstd",
			"Referer: https://www.example.com/",
			"Connection: keep-alive",
			"Cookie: session=abcdef0123456789; theme=dark",
			"Sec-Fetch-Dest: script",
			"Sec-Fetch-Mode: no-cors",
			"Sec-Fetch-Site: same-origin",
		}},
		{"nginx POST", nginxPOST, []string{
			"Content-Length: 27",
			"Content-Type: application/x-www-form-urlencoded",
			"Host: example.com:8080",
			"User-Agent: curl/8.5.0",
			"Accept: */*",
			"X-Forwarded-For: 198.51.100.2, 203.0.113.9",
		}},
		{"apache GET", apacheGET, []string{
			"Host: intra.example",
			"User-Agent: Mozilla/4.0 (compatible; MSIE 6.0)",
		}},
		{"framing from the client dropped", length("5") + "hello", []string{"Content-Length: 5"}},
		{"chunked client", ns("CONTENT_LENGTH", "5", "SCGI", "1", "REQUEST_METHOD", "POST", "REQUEST_URI", "/",
			"HTTP_TRANSFER_ENCODING", "chunked", "HTTP_CONTENT_TYPE", "text/plain", "CONTENT_TYPE", "text/csv", "HTTP_X", "") + "hello",
			[]string{"Content-Length: 5", "Content-Type: text/csv", "X: "}},
		{"empty host dropped", std("HTTP_HOST", "", "HTTP_A", "1"), []string{"A: 1"}},
		{"no headers", std("http_x", "1", "X_HTTP_Y", "2", "CONTENT_TYPE", ""), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var h Head
			if _, err := h.Parse([]byte(c.raw), Limits{}); err != nil {
				t.Fatal(err)
			}
			if got := headers(&h); strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Fatalf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestHeadersBreak(t *testing.T) {
	var h Head
	if _, err := h.Parse([]byte(nginxGET), Limits{}); err != nil {
		t.Fatal(err)
	}
	n := 0
	for range h.Headers() {
		if n++; n == 2 {
			break
		}
	}
	if n != 2 {
		t.Fatalf("%d iterations", n)
	}
}

func TestAppendHeaderName(t *testing.T) {
	for in, want := range map[string]string{
		"HTTP_HOST":             "Host",
		"HTTP_X_FORWARDED_FOR":  "X-Forwarded-For",
		"HTTP_DNT":              "Dnt",
		"HTTP_WWW_AUTHENTICATE": "Www-Authenticate",
		"HTTP_SEC_CH_UA_MOBILE": "Sec-Ch-Ua-Mobile",
		"HTTP_X_1A":             "X-1a",
		"HTTP_1X":               "1x",
		"HTTP_X__Y":             "X--Y",
		"HTTP__X":               "-X",
		"HTTP_X_":               "X-",
		"CONTENT_TYPE":          "Content-Type",
		"CONTENT_LENGTH":        "Content-Length",
		"x_lower_case":          "X-Lower-Case",
	} {
		if got := string(AppendHeaderName([]byte("<"), []byte(in))); got != "<"+want {
			t.Errorf("%s: got %q, want %q", in, got, "<"+want)
		}
	}
}

func TestAppendRemote(t *testing.T) {
	for _, c := range []struct{ addr, port, want string }{
		{"192.0.2.1", "80", "192.0.2.1:80"},
		{"2001:db8::1", "443", "[2001:db8::1]:443"},
		{"unix:", "", "unix:"},
		{"", "", ""},
		{"192.0.2.1", "", "192.0.2.1"},
	} {
		h := Head{RemoteAddr: []byte(c.addr), RemotePort: []byte(c.port)}
		if got := string(h.AppendRemote([]byte("<"))); got != "<"+c.want {
			t.Errorf("%q %q: got %q, want %q", c.addr, c.port, got, "<"+c.want)
		}
	}
}
