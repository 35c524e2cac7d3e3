package http1

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http/httputil"
	"slices"
	"strings"
	"testing"
)

// chunkResult is everything a decode run decides, for comparing runs.
type chunkResult struct {
	body     string
	trailers [][2]string
	n        int  // bytes consumed in all
	eof      bool // body complete
	status   int  // *Error status, 0 if none
	reason   string
}

func (r chunkResult) String() string {
	return fmt.Sprintf("body=%q trailers=%q n=%d eof=%v status=%d reason=%q",
		r.body, r.trailers, r.n, r.eof, r.status, r.reason)
}

func (r chunkResult) equal(o chunkResult) bool {
	return r.body == o.body && r.n == o.n && r.eof == o.eof &&
		r.status == o.status && r.reason == o.reason &&
		slices.Equal(r.trailers, o.trailers)
}

// decodeChunked runs c over in as a connection loop would, handing it the
// input step bytes at a time (step <= 0: all at once; first, if > 0, is the
// size of the first piece), and checks the Decode contract on every call.
func decodeChunked(t testing.TB, c *Chunked, in []byte, first, step int) chunkResult {
	t.Helper()
	var body []byte
	r, w := 0, len(in) // in[r:w] is what the "connection" has buffered
	if step > 0 {
		w = min(step, len(in))
	}
	if first > 0 {
		w = min(first, len(in))
	}
	for calls := 0; ; calls++ {
		if calls > 4*len(in)+10 {
			t.Fatalf("Decode spins on %q", in)
		}
		src := in[r:w]
		data, n, err := c.Decode(src)
		if n < 0 || n > len(src) || n < len(data) {
			t.Fatalf("Decode(%q) n=%d len(data)=%d", src, n, len(data))
		}
		if len(data) > 0 && !aliases(src[:n], data) {
			t.Fatalf("Decode(%q) data %q is not a slice of src[:n]", src, data)
		}
		body = append(body, data...)
		r += n
		res := chunkResult{body: string(body), n: r}
		var he *Error
		switch {
		case err == nil:
			if len(data) == 0 || n == len(src) {
				t.Fatalf("Decode(%q) = nil error with len(data)=%d n=%d", src, len(data), n)
			}
		case err == ErrNeedMore:
			if n != len(src) {
				t.Fatalf("Decode(%q) = ErrNeedMore with n=%d", src, n)
			}
			if w == len(in) {
				return res
			}
			if step > 0 {
				w = min(w+step, len(in))
			} else {
				w = len(in)
			}
		case err == io.EOF:
			res.eof = true
			for name, value := range c.Trailers() {
				res.trailers = append(res.trailers, [2]string{string(name), string(value)})
			}
			if _, n2, err2 := c.Decode(in[r:]); n2 != 0 || err2 != io.EOF {
				t.Fatalf("Decode after EOF = %d, %v", n2, err2)
			}
			return res
		case errors.As(err, &he):
			res.status, res.reason = he.Status, he.Reason
			if _, n2, err2 := c.Decode(in[r:]); n2 != 0 || err2 != err {
				t.Fatalf("Decode after error = %d, %v", n2, err2)
			}
			return res
		default:
			t.Fatalf("Decode(%q) unexpected error %v", src, err)
		}
	}
}

// aliases reports whether sub is a subslice of s.
func aliases(s, sub []byte) bool {
	for j := 0; j+len(sub) <= len(s); j++ {
		if &s[j] == &sub[0] {
			return true
		}
	}
	return false
}

// goChunked decodes in with net/http's chunked reader: the body, how many
// bytes it consumed (it stops after the last-chunk line: it does not read
// trailers), and its error.
func goChunked(in []byte) (body []byte, consumed int, err error) {
	br := bytes.NewReader(in)
	bb := bufio.NewReader(br)
	body, err = io.ReadAll(httputil.NewChunkedReader(bb))
	return body, len(in) - br.Len() - bb.Buffered(), err
}

type chunkCase struct {
	name     string
	in       string
	body     string
	trailers [][2]string
	status   int  // expected *Error status; 0: accepted
	more     bool // input ends early: ErrNeedMore at the end
	limits   ChunkLimits
}

// next is appended to every accepted body: the next request on the
// connection, which Decode must leave alone.
const next = "GET / HTTP/1.1\r\n"

var chunkCases = []chunkCase{
	// valid
	{name: "empty body", in: "0\r\n\r\n"},
	{name: "one chunk", in: "5\r\nhello\r\n0\r\n\r\n", body: "hello"},
	{name: "chunks", in: "3\r\nhel\r\nA\r\nlo, world!\r\n1\r\n.\r\n0\r\n\r\n", body: "hello, world!."},
	{name: "hex cases", in: "a\r\n0123456789\r\nB\r\nabcdefghijk\r\n0\r\n\r\n", body: "0123456789abcdefghijk"},
	{name: "leading zeros", in: "0005\r\nhello\r\n000\r\n\r\n", body: "hello"},
	{name: "16 digits", in: "0000000000000005\r\nhello\r\n0000000000000000\r\n\r\n", body: "hello"},
	{name: "CRLF in data", in: "4\r\n\r\n\r\n\r\n0\r\n\r\n", body: "\r\n\r\n"},
	{name: "binary data", in: "3\r\n\x00\n\xff\r\n0\r\n\r\n", body: "\x00\n\xff"},
	{name: "ext name", in: "5;foo\r\nhello\r\n0\r\n\r\n", body: "hello"},
	{name: "ext token", in: "5;foo=bar\r\nhello\r\n0\r\n\r\n", body: "hello"},
	{name: "ext quoted", in: "5;foo=\"b a\\\"r;=\"\r\nhello\r\n0\r\n\r\n", body: "hello"},
	{name: "ext quoted empty", in: "5;a=\"\"\r\nhello\r\n0\r\n\r\n", body: "hello"},
	{name: "ext quoted obs-text htab", in: "5;a=\"\x80\t\xff\\\t\\\x80\"\r\nhello\r\n0\r\n\r\n", body: "hello"},
	{name: "ext many", in: "5;a;b=c;d=\"e\";f\r\nhello\r\n0\r\n\r\n", body: "hello"},
	{name: "ext BWS", in: "5 \t; a \t= \"x\" ;b\t=\tc\r\nhello\r\n0\r\n\r\n", body: "hello"},
	{name: "ext BWS before semi", in: "5 ;a\r\nhello\r\n0\r\n\r\n", body: "hello"},
	{name: "ext token chars", in: "5;!#$%&'*+-.^_`|~09AZaz=!#$%&'*+-.^_`|~\r\nhello\r\n0\r\n\r\n", body: "hello"},
	{name: "ext on last chunk", in: "5\r\nhello\r\n0;end=\"yes\"\r\n\r\n", body: "hello"},
	{name: "trailer", in: "5\r\nhello\r\n0\r\nX-Sum: abc\r\n\r\n", body: "hello", trailers: [][2]string{{"X-Sum", "abc"}}},
	{name: "trailers OWS", in: "0\r\nA:  v  v \t\r\nb-B:x\r\nC:\r\nD: \t \r\n\r\n",
		trailers: [][2]string{{"A", "v  v"}, {"b-B", "x"}, {"C", ""}, {"D", ""}}},
	{name: "trailer obs-text", in: "0\r\nX: \x80\xff \"q\"\r\n\r\n", trailers: [][2]string{{"X", "\x80\xff \"q\""}}},
	{name: "trailer like header but allowed", in: "0\r\nContent-Lengths: 5\r\nX-Host: h\r\n\r\n",
		trailers: [][2]string{{"Content-Lengths", "5"}, {"X-Host", "h"}}},

	// need more
	{name: "nothing", in: "", more: true},
	{name: "in size", in: "5", more: true},
	{name: "in ext", in: "5;a=\"x", more: true},
	{name: "in data", in: "5\r\nhel", body: "hel", more: true},
	{name: "after data CR", in: "5\r\nhello\r", body: "hello", more: true},
	{name: "in trailers", in: "0\r\nX: y\r\n", more: true},
	{name: "before final LF", in: "0\r\n\r", more: true},
	{name: "huge chunk", in: "7fffffffffffffff\r\nabc", body: "abc", more: true},

	// chunk-size
	{name: "empty size", in: "\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "empty size with ext", in: ";a\r\n", status: 400},
	{name: "space before size", in: " 5\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "tab before size", in: "\t5\r\n", status: 400},
	{name: "plus", in: "+5\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "minus", in: "-5\r\n", status: 400},
	{name: "0x", in: "0x5\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "size junk", in: "5 xyz\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "size letter", in: "5g\r\n", status: 400},
	{name: "size underscore", in: "1_0\r\n", status: 400},
	{name: "trailing space", in: "5 \r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "trailing tab", in: "5\t\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "17 digits", in: "00000000000000005\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "over MaxInt64", in: "8000000000000000\r\n", status: 400},
	{name: "overflow", in: "ffffffffffffffffff\r\n", status: 400},
	{name: "NUL in size", in: "5\x00\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "NUL before size", in: "\x005\r\n", status: 400},

	// chunk-ext
	{name: "ext empty", in: "5;\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "ext no name", in: "5; =x\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "ext =", in: "5;=x\r\n", status: 400},
	{name: "ext double semi", in: "5;a;;b\r\n", status: 400},
	{name: "ext trailing semi", in: "5;a;\r\n", status: 400},
	{name: "ext space after name", in: "5;a \r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "ext space after value", in: "5;a=b \r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "ext space after quoted", in: "5;a=\"b\" \r\n", status: 400},
	{name: "ext no value", in: "5;a=\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "ext two values", in: "5;a=b c\r\n", status: 400},
	{name: "ext two names", in: "5;a b\r\n", status: 400},
	{name: "ext after quoted", in: "5;a=\"b\"c\r\n", status: 400},
	{name: "ext bad name", in: "5;a@b\r\n", status: 400},
	{name: "ext bad value", in: "5;a=b/c\r\n", status: 400},
	{name: "ext value equals", in: "5;a=b=c\r\n", status: 400},
	{name: "ext unterminated quote", in: "5;a=\"b\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "ext CTL in quoted", in: "5;a=\"\x01\"\r\n", status: 400},
	{name: "ext DEL in quoted", in: "5;a=\"\x7f\"\r\n", status: 400},
	{name: "ext NUL in quoted", in: "5;a=\"\x00\"\r\n", status: 400},
	{name: "ext CTL in quoted-pair", in: "5;a=\"\\\x01\"\r\n", status: 400},
	{name: "ext LF in quoted-pair", in: "5;a=\"\\\n\"\r\n", status: 400},
	{name: "ext obs-text in token", in: "5;a=\x80\r\n", status: 400},
	{name: "ext comma", in: "5,a\r\n", status: 400},
	{name: "ext quoted name", in: "5;\"a\"\r\n", status: 400},

	// line endings
	{name: "bare LF after size", in: "5\nhello\r\n0\r\n\r\n", status: 400},
	{name: "bare LF after ext", in: "5;a=b\nhello\r\n0\r\n\r\n", status: 400},
	{name: "bare CR after size", in: "5\rhello\r\n0\r\n\r\n", status: 400},
	{name: "CR CR LF", in: "5\r\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "data bare LF", in: "5\r\nhello\n0\r\n\r\n", body: "hello", status: 400},
	{name: "data bare CR", in: "5\r\nhello\r0\r\n\r\n", body: "hello", status: 400},
	{name: "data too long", in: "5\r\nhelloX\r\n0\r\n\r\n", body: "hello", status: 400},
	{name: "data too short", in: "5\r\nhell\r\n0\r\n\r\n", body: "hell\r", status: 400},
	{name: "data no CRLF", in: "5\r\nhello0\r\n\r\n", body: "hello", status: 400},
	{name: "last chunk bare LF", in: "0\n\r\n", status: 400},
	{name: "end bare LF", in: "0\r\n\n", status: 400},
	{name: "end bare CR", in: "0\r\n\r\r\n", status: 400},
	{name: "end LF LF", in: "5\r\nhello\r\n0\n\n", body: "hello", status: 400},

	// trailers
	{name: "trailer obs-fold", in: "0\r\nX: a\r\n b\r\n\r\n", status: 400},
	{name: "trailer leading space", in: "0\r\n X: a\r\n\r\n", status: 400},
	{name: "trailer leading tab", in: "0\r\n\tX: a\r\n\r\n", status: 400},
	{name: "trailer space before colon", in: "0\r\nX : a\r\n\r\n", status: 400},
	{name: "trailer tab before colon", in: "0\r\nX\t: a\r\n\r\n", status: 400},
	{name: "trailer no colon", in: "0\r\nX\r\n\r\n", status: 400},
	{name: "trailer empty name", in: "0\r\n: a\r\n\r\n", status: 400},
	{name: "trailer bad name", in: "0\r\nX(y): a\r\n\r\n", status: 400},
	{name: "trailer NUL", in: "0\r\nX: a\x00b\r\n\r\n", status: 400},
	{name: "trailer DEL", in: "0\r\nX: a\x7f\r\n\r\n", status: 400},
	{name: "trailer CTL", in: "0\r\nX: a\x01\r\n\r\n", status: 400},
	{name: "trailer bare LF", in: "0\r\nX: a\nY: b\r\n\r\n", status: 400},
	{name: "trailer bare CR", in: "0\r\nX: a\rY: b\r\n\r\n", status: 400},
	{name: "trailer name bare LF", in: "0\r\nX\n\r\n", status: 400},
	{name: "trailer Content-Length", in: "0\r\nContent-Length: 5\r\n\r\n", status: 400},
	{name: "trailer Transfer-Encoding", in: "0\r\ntransfer-encoding: chunked\r\n\r\n", status: 400},
	{name: "trailer Host", in: "0\r\nX: y\r\nHOST: evil\r\n\r\n", status: 400},
	{name: "trailer Trailer", in: "0\r\nTrailer: X\r\n\r\n", status: 400},
	{name: "trailer TE", in: "0\r\nTe: trailers\r\n\r\n", status: 400},
	{name: "trailer Connection", in: "0\r\nConnection: close\r\n\r\n", status: 400},
	{name: "trailer Authorization", in: "0\r\nAuthorization: x\r\n\r\n", status: 400},
	{name: "trailer Content-Type", in: "0\r\nContent-Type: x\r\n\r\n", status: 400},

	// limits
	{name: "ext line at limit", in: "5;abcdefg\r\nhello\r\n0\r\n\r\n", body: "hello",
		limits: ChunkLimits{MaxExtBytes: 8}},
	{name: "ext line over limit", in: "5;abcdefgh\r\nhello\r\n0\r\n\r\n",
		limits: ChunkLimits{MaxExtBytes: 8}, status: 400},
	{name: "ext line over limit on last chunk", in: "0;abcdefgh\r\n\r\n",
		limits: ChunkLimits{MaxExtBytes: 8}, status: 400},
	{name: "ext none allowed", in: "5;a\r\nhello\r\n0\r\n\r\n", limits: ChunkLimits{MaxExtBytes: -1}, status: 400},
	{name: "ext total at limit", in: "1;abc\r\nx\r\n1;a=b\r\ny\r\n0;cd\r\n\r\n", body: "xy",
		limits: ChunkLimits{MaxTotalExt: 11}},
	{name: "ext total over limit", in: "1;abc\r\nx\r\n1;a=b\r\ny\r\n0;cde\r\n\r\n", body: "xy",
		limits: ChunkLimits{MaxTotalExt: 11}, status: 400},
	{name: "ext default line limit", in: "1;a=" + strings.Repeat("b", 1021) + "\r\nx\r\n0\r\n\r\n", body: "x"},
	{name: "ext default line limit over", in: "1;a=" + strings.Repeat("b", 1022) + "\r\nx\r\n0\r\n\r\n", status: 400},
	{name: "ext default total over", in: strings.Repeat("1;"+strings.Repeat("e", 1022)+"\r\nx\r\n", 17) + "0\r\n\r\n",
		body: strings.Repeat("x", 16), status: 400},
	{name: "trailer bytes at limit", in: "0\r\nA: b\r\nC: d\r\n\r\n", trailers: [][2]string{{"A", "b"}, {"C", "d"}},
		limits: ChunkLimits{MaxTrailerBytes: 12}},
	{name: "trailer bytes over limit", in: "0\r\nA: b\r\nC: de\r\n\r\n",
		limits: ChunkLimits{MaxTrailerBytes: 12}, status: 431},
	{name: "no trailers allowed", in: "0\r\nA: b\r\n\r\n", limits: ChunkLimits{MaxTrailerBytes: -1}, status: 431},
	{name: "no trailers allowed, none sent", in: "0\r\n\r\n", limits: ChunkLimits{MaxTrailerBytes: -1, MaxTrailerCount: -1}},
	{name: "trailer count at limit", in: "0\r\nA: 1\r\nB: 2\r\n\r\n", trailers: [][2]string{{"A", "1"}, {"B", "2"}},
		limits: ChunkLimits{MaxTrailerCount: 2}},
	{name: "trailer count over limit", in: "0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
		limits: ChunkLimits{MaxTrailerCount: 2}, status: 431},
	{name: "trailer default count over", in: "0\r\n" + strings.Repeat("A: 1\r\n", 33) + "\r\n", status: 431},
	{name: "trailer default bytes over", in: "0\r\nA: " + strings.Repeat("v", 8<<10) + "\r\n\r\n", status: 431},
}

func TestChunked(t *testing.T) {
	for _, tc := range chunkCases {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			if tc.status == 0 && !tc.more {
				in = append(in, next...)
			}
			c := &Chunked{Limits: tc.limits}
			got := decodeChunked(t, c, in, 0, 0)
			if got.body != tc.body {
				t.Errorf("body = %q, want %q", got.body, tc.body)
			}
			if got.status != tc.status {
				t.Errorf("status = %d (%s), want %d", got.status, got.reason, tc.status)
			}
			switch {
			case tc.status != 0:
			case tc.more:
				if got.eof || got.n != len(in) {
					t.Errorf("got %v, want need more", got)
				}
			default:
				if !got.eof || got.n != len(tc.in) {
					t.Errorf("got eof=%v n=%d, want eof n=%d", got.eof, got.n, len(tc.in))
				}
				if !slices.Equal(got.trailers, tc.trailers) {
					t.Errorf("trailers = %q, want %q", got.trailers, tc.trailers)
				}
			}

			// Byte at a time, odd splits, and with Reset on a used decoder:
			// the same decisions.
			for _, step := range []int{1, 2, 3, 7} {
				c.Reset()
				if g := decodeChunked(t, c, in, 0, step); !g.equal(got) {
					t.Errorf("step %d:\n got %v\nwant %v", step, g, got)
				}
			}
			for first := 1; first < len(in) && first < 200; first++ {
				c.Reset()
				if g := decodeChunked(t, c, in, first, len(in)); !g.equal(got) {
					t.Errorf("split at %d:\n got %v\nwant %v", first, g, got)
				}
			}
		})
	}
}

// TestChunkedVsNetHTTP compares porter with net/http's chunked reader on
// the table. Where both accept, the bodies are equal and both stop at the
// same place (net/http stops after the last-chunk line, porter after the
// trailer section that follows it). Inputs net/http accepts and porter
// refuses are logged.
func TestChunkedVsNetHTTP(t *testing.T) {
	for _, tc := range chunkCases {
		if tc.more {
			continue
		}
		in := []byte(tc.in + next)
		c := &Chunked{Limits: tc.limits}
		ours := decodeChunked(t, c, in, 0, 0)
		goBody, goN, goErr := goChunked(in)
		switch {
		case goErr == nil && ours.eof:
			compareWithGo(t, c, in, ours, goBody, goN)
		case goErr == nil:
			t.Logf("%s: net/http accepts %.60q (body %.20q), porter refuses: %d %s",
				tc.name, tc.in, goBody, ours.status, ours.reason)
		case ours.eof:
			t.Logf("%s: porter accepts %.60q, net/http refuses: %v", tc.name, tc.in, goErr)
		}
	}
}

func compareWithGo(t testing.TB, c *Chunked, in []byte, ours chunkResult, goBody []byte, goN int) {
	t.Helper()
	if ours.body != string(goBody) {
		t.Fatalf("%q: body %q, net/http %q", in, ours.body, goBody)
	}
	if int64(goN) != c.trailerAt {
		t.Fatalf("%q: last-chunk line ends at %d, net/http stops at %d", in, c.trailerAt, goN)
	}
	trailer := in[goN:ours.n]
	if !bytes.HasSuffix(trailer, []byte("\r\n")) || (len(trailer) > 2 && !bytes.HasSuffix(trailer, []byte("\r\n\r\n"))) {
		t.Fatalf("%q: porter stops at %d after trailer section %q", in, ours.n, trailer)
	}
}

func TestChunkedAfterEOFAndError(t *testing.T) {
	var c Chunked
	in := []byte("0\r\n\r\n" + next)
	if _, n, err := c.Decode(in); n != 5 || err != io.EOF {
		t.Fatalf("Decode = %d, %v", n, err)
	}
	if _, n, err := c.Decode(in[5:]); n != 0 || err != io.EOF {
		t.Fatalf("Decode after EOF = %d, %v", n, err)
	}
	c.Reset()
	_, n, err := c.Decode([]byte("5\r\nhelloXX"))
	var he *Error
	if !errors.As(err, &he) || he.Status != 400 || n != 8 {
		t.Fatalf("Decode = %d, %v; want the error at offset 8", n, err)
	}
	c.Reset()
	if data, n, err := c.Decode([]byte("1\r\nx\r\n0\r\n\r\n")); string(data) != "x" || n != 11 || err != io.EOF {
		t.Fatalf("Decode after Reset = %q, %d, %v", data, n, err)
	}
}

// TestChunkedDataAliases checks that the data is the input, not a copy,
// and that appending to it cannot overwrite the framing behind it.
func TestChunkedDataAliases(t *testing.T) {
	var c Chunked
	in := []byte("5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n")
	data, n, err := c.Decode(in)
	if err != nil || &data[0] != &in[3] || len(data) != 5 || cap(data) != 5 {
		t.Fatalf("Decode = %q (cap %d), %d, %v", data, cap(data), n, err)
	}
	data, m, err := c.Decode(in[n:])
	if err != io.EOF || &data[0] != &in[13] || n+m != len(in) {
		t.Fatalf("Decode = %q, %d, %v", data, m, err)
	}
}

func chunkedBody(size, chunk int, ext, trailers string) []byte {
	var b bytes.Buffer
	payload := bytes.Repeat([]byte("0123456789abcdef"), chunk/16+1)[:chunk]
	for size > 0 {
		k := min(chunk, size)
		fmt.Fprintf(&b, "%x%s\r\n", k, ext)
		b.Write(payload[:k])
		b.WriteString("\r\n")
		size -= k
	}
	b.WriteString("0\r\n" + trailers + "\r\n")
	return b.Bytes()
}

// decodeLoop is the loop a connection runs over a buffered body.
func decodeLoop(c *Chunked, in []byte) (total int, err error) {
	for {
		data, n, err := c.Decode(in)
		total += len(data)
		in = in[n:]
		if err != nil {
			return total, err
		}
	}
}

func TestChunkedZeroAllocs(t *testing.T) {
	in := chunkedBody(64<<10, 1000, ";a=\"b\"", "X-Sum: abc\r\nX-Other: d e\r\n")
	var c Chunked
	allocs := testing.AllocsPerRun(100, func() {
		c.Reset()
		if total, err := decodeLoop(&c, in); err != io.EOF || total != 64<<10 {
			t.Fatalf("decode = %d, %v", total, err)
		}
		// streamed, 100 bytes a read
		c.Reset()
		total := 0
		for r, w := 0, 0; ; {
			w = min(w+100, len(in))
			data, n, err := c.Decode(in[r:w])
			total += len(data)
			r += n
			if err == io.EOF {
				break
			}
			if err != nil && err != ErrNeedMore {
				t.Fatal(err)
			}
		}
		if total != 64<<10 || c.NumTrailers() != 2 {
			t.Fatalf("streamed: %d bytes, %d trailers", total, c.NumTrailers())
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per body, want 0", allocs)
	}
}
