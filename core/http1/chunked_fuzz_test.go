package http1

import (
	"io"
	"testing"
)

// fuzzLimits are small, so that the fuzzer reaches every limit.
var fuzzLimits = ChunkLimits{MaxExtBytes: 40, MaxTotalExt: 100, MaxTrailerBytes: 100, MaxTrailerCount: 4}

// FuzzChunked checks, for any input: no panic; a warm decoder allocates at
// most once (the *Error); the decisions are the same in one pass, split at
// a fuzzer-chosen point, and byte at a time; and where net/http's chunked
// reader also accepts, the body and the end of the chunks are the same.
func FuzzChunked(f *testing.F) {
	for _, tc := range chunkCases {
		f.Add([]byte(tc.in), uint16(len(tc.in)/2))
		f.Add([]byte(tc.in+next), uint16(3))
	}
	f.Add(chunkedBody(300, 64, ";a=\"b\\\"c\"", "X: y\r\n"), uint16(70))
	f.Fuzz(func(t *testing.T, in []byte, split uint16) {
		c := &Chunked{Limits: fuzzLimits}
		whole := decodeChunked(t, c, in, 0, 0)

		first := 1 + int(split)%max(len(in), 1)
		c.Reset()
		if got := decodeChunked(t, c, in, first, len(in)); !got.equal(whole) {
			t.Fatalf("split at %d:\n got %v\nwant %v", first, got, whole)
		}
		if len(in) <= 4096 {
			c.Reset()
			if got := decodeChunked(t, c, in, 0, 1); !got.equal(whole) {
				t.Fatalf("byte at a time:\n got %v\nwant %v", got, whole)
			}
		}

		// c is warm: a decode allocates nothing but its *Error.
		allocs := testing.AllocsPerRun(1, func() {
			c.Reset()
			src := in
			for {
				_, n, err := c.Decode(src)
				src = src[n:]
				if err != nil {
					break
				}
			}
		})
		if want := 0.0; allocs > want && (whole.status == 0 || allocs > want+1) {
			t.Fatalf("%v allocations (result %v)", allocs, whole)
		}

		if !whole.eof {
			return
		}
		c.Reset()
		decodeChunked(t, c, in, 0, 0) // for c.trailerAt
		goBody, goN, goErr := goChunked(in)
		if goErr == nil {
			compareWithGo(t, c, in, whole, goBody, goN)
		} else if goErr != io.ErrUnexpectedEOF {
			t.Logf("porter accepts %q, net/http refuses: %v", in, goErr)
		}
	})
}
