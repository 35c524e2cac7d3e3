package scgi

import (
	"bytes"
	"strconv"
	"testing"
)

// FuzzParse checks, on any input and under default and small limits: no
// panic; only *Error or ErrNeedMore, and ErrNeedMore only while the head
// can still end within the limits; an accepted head ends within the
// input, parses the same from its own bytes, and maps onto a request
// view that HTTP/1's rules accept; every prefix needs more or decides as
// the whole input does; a warm Head allocates at most the *Error it
// returns.
func FuzzParse(f *testing.F) {
	for _, c := range headCases {
		f.Add([]byte(c.raw))
	}
	f.Add([]byte(nginxGET))
	f.Add([]byte(nginxPOST))
	f.Add([]byte(apacheGET))
	small := Limits{MaxHeaderBytes: 96, MaxHeaderCount: 5}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, lim := range []Limits{{}, small} {
			l := lim.withDefaults()
			longest := len(strconv.Itoa(l.MaxHeaderBytes)) + 1 + l.MaxHeaderBytes + 1
			var h Head
			n, err := h.Parse(in, lim)
			switch e := err.(type) {
			case nil:
				if n <= 0 || n > len(in) || n > longest {
					t.Fatalf("n = %d for %d bytes", n, len(in))
				}
				checkView(t, &h)
				v, nv := view(&h), len(h.Vars)
				var h2 Head
				n2, err2 := h2.Parse(bytes.Clone(in[:n]), lim)
				if err2 != nil || n2 != n || view(&h2) != v || len(h2.Vars) != nv {
					t.Fatalf("re-parse of head: %d %v %+v, first %d %+v", n2, err2, view(&h2), n, v)
				}
			case *Error:
				if e.Status != 400 && e.Status != 431 && e.Status != 501 {
					t.Fatalf("status %d", e.Status)
				}
			default:
				if err != ErrNeedMore {
					t.Fatalf("error of type %T: %v", err, err)
				}
				if len(in) >= longest {
					t.Fatalf("ErrNeedMore on %d bytes", len(in))
				}
			}
			checkPrefixes(t, in, lim, n, err)
			if a := testing.AllocsPerRun(3, func() { h.Parse(in, lim) }); a > 1 {
				t.Fatalf("%v allocations per Parse on a warm Head", a)
			}
		}
	})
}

// checkView checks an accepted head by what HTTP/1 accepts.
func checkView(t *testing.T, h *Head) {
	t.Helper()
	if !isToken(h.Method) || checkTarget(h.Target) != nil {
		t.Fatalf("method %q, target %q", h.Method, h.Target)
	}
	path := string(h.Path)
	if h.Query != nil {
		path += "?" + string(h.Query)
	}
	if path != string(h.Target) {
		t.Fatalf("path %q and query %q of %q", h.Path, h.Query, h.Target)
	}
	if h.Host != nil && !validHost(h.Host) || h.ContentLength < 0 || h.Version != 10 && h.Version != 11 {
		t.Fatalf("host %q, length %d, version %d", h.Host, h.ContentLength, h.Version)
	}
	for name, value := range h.Headers() {
		if hn := AppendHeaderName(nil, name); !isToken(hn) || checkValue(value) != nil {
			t.Fatalf("header %q: %q", hn, value)
		}
	}
}

// checkPrefixes checks that prefixes of in need more or decide as in
// does: every prefix of short inputs, some of longer ones.
func checkPrefixes(t *testing.T, in []byte, lim Limits, n0 int, err0 error) {
	t.Helper()
	step := max(1, len(in)/64)
	var h Head
	for k := 0; k < len(in); k += step {
		n, err := h.Parse(bytes.Clone(in[:k]), lim)
		switch {
		case err == ErrNeedMore:
			if err0 == nil && k >= n0 {
				t.Fatalf("prefix %d of an accepted head of %d needs more", k, n0)
			}
		case err0 == nil:
			if k < n0 || err != nil || n != n0 {
				t.Fatalf("prefix %d: %d %v, whole input %d", k, n, err, n0)
			}
		case err0 == ErrNeedMore || statusOf(err) != statusOf(err0):
			t.Fatalf("prefix %d: %v, whole input %v", k, err, err0)
		}
	}
}
