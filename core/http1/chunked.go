package http1

import (
	"io"
	"iter"
	"math"
)

// ChunkLimits bounds what a chunked body may carry besides its data. A
// zero field means the default (DefaultChunkLimits); a negative field
// means none at all (no extension bytes, no trailer fields).
//
// The body size itself is not bounded here: every data slice Decode
// returns has a known length, and the caller answers 413 when the sum
// passes its own limit.
type ChunkLimits struct {
	MaxExtBytes     int // chunk-extension bytes on one chunk line, else 400
	MaxTotalExt     int // chunk-extension bytes over the whole body, else 400
	MaxTrailerBytes int // trailer field lines, CRLFs included, else 431
	MaxTrailerCount int // trailer fields, else 431
}

// DefaultChunkLimits are the limits a zero ChunkLimits field stands for.
var DefaultChunkLimits = ChunkLimits{
	MaxExtBytes:     1 << 10,
	MaxTotalExt:     16 << 10,
	MaxTrailerBytes: 8 << 10,
	MaxTrailerCount: 32,
}

func ckLimit(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// Chunked decodes one body sent with "Transfer-Encoding: chunked"
// (RFC 9112 §7.1) from a byte stream, in any split, without copying or
// allocating the data.
//
// It is a byte-wise state machine: every byte handed to Decode is either
// consumed (its meaning kept in a few counters) or left for the next
// call, so the caller never has to keep a partial chunk line in its
// buffer, and the state is bounded whatever the input.
//
// Strictness, for bodies that a front proxy might frame differently:
// lines end in CRLF only (a bare CR or LF is a 400); chunk-size is
// 1*HEXDIG, at most 16 digits and at most math.MaxInt64; chunk-ext
// follows the RFC grammar exactly (BWS only around ";" and "=", names are
// tokens, values tokens or quoted-strings) and is validated, counted
// against Limits and dropped; chunk-data must be followed by CRLF; trailer
// field lines follow the header field rules (token name, no whitespace
// before the colon, no obs-fold, value of VCHAR, obs-text, SP and HTAB,
// surrounding whitespace stripped).
//
// Trailer fields are kept apart from the header section and never merged
// into it. Fields that frame, route or authenticate a message
// (Content-Length, Transfer-Encoding, Host, Trailer, TE, Connection,
// Keep-Alive, Proxy-Connection, Upgrade, Expect, Content-Encoding,
// Content-Type, Content-Range, Authorization, Proxy-Authorization, Cookie)
// are refused with a 400 rather than dropped: RFC 9110 §6.5.1 forbids
// senders to put them in trailers, no honest client does, and a peer that
// merges trailers would read them differently.
//
// Lifetime: the zero value, with Limits set or left zero for the defaults,
// is ready to decode one body; Reset makes it ready for the next one and
// keeps the memory the trailers used. A Chunked is not safe for
// concurrent use.
type Chunked struct {
	Limits ChunkLimits

	state    uint8
	digits   uint8 // chunk-size digits read on this line
	size     int64 // chunk-size being read
	remain   int64 // chunk-data bytes still to come
	extLine  int   // extension bytes on this line
	extTotal int   // extension bytes on this body
	trBytes  int   // trailer section bytes so far
	err      error // sticky *Error

	// The trailer section is copied (it may span several calls): names
	// and values packed in tbuf, located by tf.
	tbuf []byte
	tf   []ckSpan

	off       int64 // bytes consumed so far (tests compare with net/http)
	trailerAt int64 // off where the trailer section starts
}

type ckSpan struct{ name, value, end int }

// States. The ext states must stay contiguous, between ckSizeDigits and
// ckLineLF.
const (
	ckSize        uint8 = iota // start of a chunk line: first HEXDIG
	ckSizeDigits               // more HEXDIG, ";", BWS or CR
	ckExtSemi                  // BWS seen, ";" must follow
	ckExtName0                 // after ";": BWS, then ext-name
	ckExtName                  // in ext-name
	ckExtNameWS                // BWS after ext-name: "=" or ";" must follow
	ckExtVal0                  // after "=": BWS, then ext-val
	ckExtToken                 // in a token ext-val
	ckExtQuoted                // in a quoted-string ext-val
	ckExtQPair                 // after a backslash in a quoted-string
	ckExtQuoteEnd              // after the closing quote
	ckLineLF                   // CR of a chunk line seen
	ckData                     // chunk-data
	ckDataCR                   // chunk-data done, CR must follow
	ckDataLF                   // LF must follow
	ckTrLine                   // start of a trailer line (or the final CRLF)
	ckTrName                   // in a field name
	ckTrOWS                    // after the colon
	ckTrValue                  // in a field value
	ckTrLF                     // CR of a field line seen
	ckTrEndLF                  // CR of the final empty line seen
	ckDone
)

// Decode consumes the chunked body at the start of src and returns data,
// the chunk bytes it found (a subslice of src[:n], never a copy; possibly
// empty), n, how many bytes of src it consumed, and err. Handle data
// first, then err:
//
//   - nil: len(data) > 0 and n < len(src); call again with src[n:] (plus
//     any newer input). Each call returns at most one contiguous run of
//     chunk data, so the next one starts at src[n:].
//   - ErrNeedMore: all of src is consumed (n == len(src)); call again
//     with more input. Nothing needs to be kept: the decoder remembers
//     where it is inside a chunk line, chunk or trailer section.
//   - io.EOF: the last chunk and the trailer section are complete; the
//     next request starts at src[n:]. Later calls return (nil, 0, io.EOF).
//   - *Error: the body is malformed (Status 400) or over a trailer limit
//     (431); answer Status and close the connection. n is the offset in
//     src of the offending byte. Later calls return (nil, 0, the same
//     error).
//
// So every call either returns data, ends, or consumes all its input: a
// loop that calls Decode and reads more input on ErrNeedMore cannot spin.
// The data and the decisions are the same whatever the input split,
// down to one byte a call. data aliases src: use it before the bytes of
// src are reused. Decode does not allocate, except once for an *Error
// and for trailer storage until it has grown to the largest trailer
// section seen since the zero value.
func (c *Chunked) Decode(src []byte) (data []byte, n int, err error) {
	if c.state == ckDone {
		return nil, 0, io.EOF
	}
	if c.err != nil {
		return nil, 0, c.err
	}
	i := 0
	for i < len(src) {
		if c.state == ckData {
			if len(data) > 0 {
				break // the next data run is for the next call
			}
			k := len(src) - i
			if int64(k) > c.remain {
				k = int(c.remain)
			}
			data = src[i : i+k : i+k]
			i += k
			c.remain -= int64(k)
			if c.remain == 0 {
				c.state = ckDataCR
			}
			continue
		}
		if e := c.step(src[i], c.off+int64(i)); e != nil {
			c.err = e
			c.off += int64(i)
			return data, i, e
		}
		i++
		if c.state == ckDone {
			c.off += int64(i)
			return data, i, io.EOF
		}
	}
	c.off += int64(i)
	if i == len(src) {
		return data, i, ErrNeedMore
	}
	return data, i, nil
}

// Reset makes c ready for the next body, keeping Limits and the trailer
// storage (the fields Trailer returned are invalid from now on).
func (c *Chunked) Reset() {
	*c = Chunked{Limits: c.Limits, tbuf: c.tbuf[:0], tf: c.tf[:0]}
}

// NumTrailers returns how many trailer fields the body carried (complete
// once Decode has returned io.EOF).
func (c *Chunked) NumTrailers() int { return len(c.tf) }

// Trailer returns trailer field i (0 <= i < NumTrailers) as received: the
// name in its own case (compare it case-insensitively), the value without
// leading and trailing whitespace. The slices are porter's memory, valid
// until Reset; read them once Decode has returned io.EOF.
func (c *Chunked) Trailer(i int) (name, value []byte) {
	f := c.tf[i]
	return c.tbuf[f.name:f.value:f.value], c.tbuf[f.value:f.end:f.end]
}

// Trailers iterates over the trailer fields in order, as Trailer returns
// them.
func (c *Chunked) Trailers() iter.Seq2[[]byte, []byte] {
	return func(yield func(name, value []byte) bool) {
		for i := range c.tf {
			if !yield(c.Trailer(i)) {
				return
			}
		}
	}
}

// step consumes one framing byte b found at body offset at.
func (c *Chunked) step(b byte, at int64) error {
	switch c.state {
	case ckSize:
		v := ckUnhex[b]
		if v < 0 {
			return ckBad(b, "chunked: chunk size must start with a hex digit")
		}
		c.size, c.digits = int64(v), 1
		c.state = ckSizeDigits
		return nil

	case ckSizeDigits:
		if v := ckUnhex[b]; v >= 0 {
			if c.digits == 16 || c.size > math.MaxInt64>>4 {
				return fail(400, "chunked: chunk size too large")
			}
			c.size = c.size<<4 | int64(v)
			c.digits++
			return nil
		}
		switch b {
		case '\r':
			c.state = ckLineLF
			return nil
		case ';':
			c.state = ckExtName0
		case ' ', '\t':
			c.state = ckExtSemi
		default:
			return ckBad(b, "chunked: invalid byte after chunk size")
		}
		return c.ext()

	case ckExtSemi:
		switch b {
		case ' ', '\t':
		case ';':
			c.state = ckExtName0
		default:
			return ckBad(b, `chunked: whitespace after chunk size or extension not followed by ";"`)
		}
		return c.ext()

	case ckExtName0:
		switch {
		case ckTchar[b]:
			c.state = ckExtName
		case b == ' ' || b == '\t':
		default:
			return ckBad(b, "chunked: missing chunk extension name")
		}
		return c.ext()

	case ckExtName:
		switch {
		case ckTchar[b]:
		case b == '\r':
			c.state = ckLineLF
			return nil
		case b == '=':
			c.state = ckExtVal0
		case b == ';':
			c.state = ckExtName0
		case b == ' ' || b == '\t':
			c.state = ckExtNameWS
		default:
			return ckBad(b, "chunked: invalid byte in chunk extension name")
		}
		return c.ext()

	case ckExtNameWS:
		switch b {
		case ' ', '\t':
		case '=':
			c.state = ckExtVal0
		case ';':
			c.state = ckExtName0
		default:
			return ckBad(b, `chunked: whitespace after extension name not followed by "=" or ";"`)
		}
		return c.ext()

	case ckExtVal0:
		switch {
		case ckTchar[b]:
			c.state = ckExtToken
		case b == '"':
			c.state = ckExtQuoted
		case b == ' ' || b == '\t':
		default:
			return ckBad(b, "chunked: missing or invalid chunk extension value")
		}
		return c.ext()

	case ckExtToken:
		switch {
		case ckTchar[b]:
		case b == '\r':
			c.state = ckLineLF
			return nil
		case b == ';':
			c.state = ckExtName0
		case b == ' ' || b == '\t':
			c.state = ckExtSemi
		default:
			return ckBad(b, "chunked: invalid byte in chunk extension value")
		}
		return c.ext()

	case ckExtQuoted:
		switch {
		case b == '"':
			c.state = ckExtQuoteEnd
		case b == '\\':
			c.state = ckExtQPair
		case !ckQdtext[b]:
			return ckBad(b, "chunked: invalid byte in quoted chunk extension value")
		}
		return c.ext()

	case ckExtQPair:
		if !ckFieldByte[b] && b != ' ' && b != '\t' {
			return ckBad(b, "chunked: invalid quoted-pair in chunk extension value")
		}
		c.state = ckExtQuoted
		return c.ext()

	case ckExtQuoteEnd:
		switch b {
		case '\r':
			c.state = ckLineLF
			return nil
		case ';':
			c.state = ckExtName0
		case ' ', '\t':
			c.state = ckExtSemi
		default:
			return ckBad(b, "chunked: invalid byte after quoted chunk extension value")
		}
		return c.ext()

	case ckLineLF:
		if b != '\n' {
			return fail(400, "chunked: bare CR in chunk line")
		}
		c.extLine = 0
		if c.size == 0 {
			c.state = ckTrLine
			c.trailerAt = at + 1
			return nil
		}
		c.remain = c.size
		c.state = ckData
		return nil

	case ckDataCR:
		if b != '\r' {
			return ckBad(b, "chunked: chunk data not followed by CRLF")
		}
		c.state = ckDataLF
		return nil

	case ckDataLF:
		if b != '\n' {
			return fail(400, "chunked: chunk data not followed by CRLF")
		}
		c.state = ckSize
		return nil

	case ckTrLine:
		switch {
		case b == '\r':
			c.state = ckTrEndLF
			return nil
		case ckTchar[b]:
			if len(c.tf) >= ckLimit(c.Limits.MaxTrailerCount, DefaultChunkLimits.MaxTrailerCount) {
				return fail(431, "chunked: too many trailer fields")
			}
			if err := c.trByte(); err != nil {
				return err
			}
			c.tf = append(c.tf, ckSpan{name: len(c.tbuf)})
			c.tbuf = append(c.tbuf, b)
			c.state = ckTrName
			return nil
		case b == ' ' || b == '\t':
			return fail(400, "chunked: trailer line starts with whitespace (obs-fold)")
		}
		return ckBad(b, "chunked: invalid trailer field name")

	case ckTrName:
		if err := c.trByte(); err != nil {
			return err
		}
		f := &c.tf[len(c.tf)-1]
		switch {
		case ckTchar[b]:
			c.tbuf = append(c.tbuf, b)
			return nil
		case b == ':':
			f.value, f.end = len(c.tbuf), len(c.tbuf)
			if ckForbiddenTrailer(c.tbuf[f.name:]) {
				return fail(400, "chunked: forbidden trailer field (framing, routing or authentication)")
			}
			c.state = ckTrOWS
			return nil
		case b == ' ' || b == '\t':
			return fail(400, "chunked: whitespace before colon in trailer field")
		}
		return ckBad(b, "chunked: invalid trailer field name")

	case ckTrOWS, ckTrValue:
		if err := c.trByte(); err != nil {
			return err
		}
		f := &c.tf[len(c.tf)-1]
		switch {
		case b == '\r':
			c.tbuf = c.tbuf[:f.end] // strip trailing whitespace
			c.state = ckTrLF
			return nil
		case b == ' ' || b == '\t':
			if c.state == ckTrValue {
				c.tbuf = append(c.tbuf, b)
			}
			return nil
		case ckFieldByte[b]:
			c.tbuf = append(c.tbuf, b)
			f.end = len(c.tbuf)
			c.state = ckTrValue
			return nil
		}
		return ckBad(b, "chunked: invalid byte in trailer field value")

	case ckTrLF:
		if b != '\n' {
			return fail(400, "chunked: bare CR in trailer section")
		}
		if err := c.trByte(); err != nil {
			return err
		}
		c.state = ckTrLine
		return nil

	case ckTrEndLF:
		if b != '\n' {
			return fail(400, "chunked: bare CR in trailer section")
		}
		c.state = ckDone
		return nil
	}
	panic("http1: Chunked in an impossible state")
}

// ext counts one chunk-extension byte against the limits.
func (c *Chunked) ext() error {
	c.extLine++
	c.extTotal++
	if c.extLine > ckLimit(c.Limits.MaxExtBytes, DefaultChunkLimits.MaxExtBytes) {
		return fail(400, "chunked: chunk extension too long")
	}
	if c.extTotal > ckLimit(c.Limits.MaxTotalExt, DefaultChunkLimits.MaxTotalExt) {
		return fail(400, "chunked: too many chunk extension bytes")
	}
	return nil
}

// trByte counts one trailer field-line byte against the limit.
func (c *Chunked) trByte() error {
	c.trBytes++
	if c.trBytes > ckLimit(c.Limits.MaxTrailerBytes, DefaultChunkLimits.MaxTrailerBytes) {
		return fail(431, "chunked: trailer section too large")
	}
	return nil
}

// bad is a 400 for b, named by the byte when it is a bare LF or a NUL.
func ckBad(b byte, reason string) error {
	switch b {
	case '\n':
		reason = "chunked: bare LF"
	case 0:
		reason = "chunked: NUL byte"
	}
	return fail(400, reason)
}

// ckForbiddenTrailer reports whether name (any case) may not be a trailer.
func ckForbiddenTrailer(name []byte) bool {
	for _, f := range ckForbidden {
		if len(f) == len(name) && ckEqualFold(name, f) {
			return true
		}
	}
	return false
}

var ckForbidden = [...]string{
	"content-length", "transfer-encoding", "host", "trailer", "te",
	"connection", "keep-alive", "proxy-connection", "upgrade", "expect",
	"content-encoding", "content-type", "content-range",
	"authorization", "proxy-authorization", "cookie",
}

// ckEqualFold compares b with the lower-case ASCII s, ignoring b's case.
func ckEqualFold(b []byte, s string) bool {
	for i := range len(s) {
		x := b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if x != s[i] {
			return false
		}
	}
	return true
}

// Byte classes (RFC 9110 §5.6.2, §5.6.4, §5.5).
var (
	ckUnhex     [256]int8 // HEXDIG value, or -1
	ckTchar     [256]bool // token characters
	ckFieldByte [256]bool // VCHAR / obs-text
	ckQdtext    [256]bool // HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
)

func init() {
	for i := range 256 {
		b := byte(i)
		ckUnhex[i] = -1
		switch {
		case '0' <= b && b <= '9':
			ckUnhex[i] = int8(b - '0')
		case 'a' <= b && b <= 'f':
			ckUnhex[i] = int8(b - 'a' + 10)
		case 'A' <= b && b <= 'F':
			ckUnhex[i] = int8(b - 'A' + 10)
		}
		vchar := 0x21 <= b && b <= 0x7e || b >= 0x80
		ckFieldByte[i] = vchar
		ckQdtext[i] = vchar && b != '"' && b != '\\' || b == ' ' || b == '\t'
		ckTchar[i] = 0x21 <= b && b <= 0x7e && !ckIsDelimiter(b)
	}
}

func ckIsDelimiter(b byte) bool {
	switch b {
	case '"', '(', ')', ',', '/', ':', ';', '<', '=', '>', '?', '@', '[', '\\', ']', '{', '}':
		return true
	}
	return false
}
