package http1

import (
	"io"
	"testing"
)

func BenchmarkParseHead(b *testing.B) {
	var h Head
	buf := []byte(browserReq)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Parse(buf, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChunked(b *testing.B) {
	in := chunkedBody(64<<10, 4<<10, "", "")
	var c Chunked
	b.SetBytes(64 << 10)
	b.ReportAllocs()
	for b.Loop() {
		c.Reset()
		if total, err := decodeLoop(&c, in); err != io.EOF || total != 64<<10 {
			b.Fatalf("decode = %d, %v", total, err)
		}
	}
}

// BenchmarkChunkedSmall is the framing cost: 64 KiB in 64-byte chunks,
// each with an extension.
func BenchmarkChunkedSmall(b *testing.B) {
	in := chunkedBody(64<<10, 64, ";n=1", "")
	var c Chunked
	b.SetBytes(64 << 10)
	b.ReportAllocs()
	for b.Loop() {
		c.Reset()
		if total, err := decodeLoop(&c, in); err != io.EOF || total != 64<<10 {
			b.Fatalf("decode = %d, %v", total, err)
		}
	}
}

// BenchmarkParseHeadSmall is a load generator's head: mostly the fixed
// cost of a parse.
func BenchmarkParseHeadSmall(b *testing.B) {
	var h Head
	buf := []byte("GET / HTTP/1.1\r\nHost: 127.0.0.1:18200\r\n\r\n")
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Parse(buf, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
