package http1

import (
	"bytes"
	"testing"
)

// FuzzHead checks, on any input and under default and small limits: no
// panic; an accepted head ends within the input and parses the same from
// its own bytes; a warm Head allocates at most the *Error it returns;
// where net/http also accepts, both read the same method, target, body
// framing and persistence.
func FuzzHead(f *testing.F) {
	for _, c := range headCases {
		f.Add([]byte(c.raw))
	}
	f.Add([]byte(browserReq))
	small := Limits{MaxRequestLine: 32, MaxHeaderBytes: 96, MaxHeaderCount: 3}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, lim := range []Limits{{}, small} {
			var h Head
			n, err := h.Parse(in, lim)
			if err != nil {
				if _, ok := err.(*Error); !ok && err != ErrNeedMore {
					t.Fatalf("error of type %T: %v", err, err)
				}
				if err == ErrNeedMore && len(in) >= lim.withDefaults().MaxHeaderBytes {
					t.Fatalf("ErrNeedMore on %d bytes", len(in))
				}
			} else {
				if n <= 0 || n > len(in) || n > lim.withDefaults().MaxHeaderBytes {
					t.Fatalf("n = %d for %d bytes", n, len(in))
				}
				v := view(&h)
				nf := len(h.Fields)
				var h2 Head
				n2, err2 := h2.Parse(bytes.Clone(in[:n]), lim)
				if err2 != nil || n2 != n || view(&h2) != v || len(h2.Fields) != nf {
					t.Fatalf("re-parse of head: %d %v %+v, first %d %+v", n2, err2, view(&h2), n, v)
				}
				if lim == (Limits{}) {
					if req, ok := netHTTP(in); ok {
						if d := agree(&h, req); d != "" {
							t.Fatalf("%q: %s", in, d)
						}
					}
				}
			}
			if a := testing.AllocsPerRun(3, func() { h.Parse(in, lim) }); a > 1 {
				t.Fatalf("%v allocations per Parse on a warm Head", a)
			}
		}
	})
}
