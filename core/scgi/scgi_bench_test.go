package scgi

import "testing"

func benchParse(b *testing.B, raw string) {
	var h Head
	buf := []byte(raw)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Parse(buf, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseNginx parses what nginx sends for a browser's GET.
func BenchmarkParseNginx(b *testing.B) { benchParse(b, nginxGET) }

// BenchmarkParseApache parses mod_proxy_scgi's shape, heavier on
// variables that are not headers.
func BenchmarkParseApache(b *testing.B) { benchParse(b, apacheGET) }

// BenchmarkRequestView is what core adds to Parse to build a request
// view: header names rewritten into one buffer, and the remote address.
func BenchmarkRequestView(b *testing.B) {
	var h Head
	if _, err := h.Parse([]byte(nginxGET), Limits{}); err != nil {
		b.Fatal(err)
	}
	out := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		out = out[:0]
		for name, value := range h.Headers() {
			out = AppendHeaderName(out, name)
			out = append(out, value...)
		}
		out = h.AppendRemote(out)
	}
}

func BenchmarkAppendResponseHead(b *testing.B) {
	fields := []Field{{"Content-Type", "text/plain; charset=utf-8"}, {"Content-Length", "13"}, {"Cache-Control", "no-store"}}
	out := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		out = AppendResponseHead(out[:0], 200, "OK", fields)
	}
}
