// Package formdata is a fast streaming reader of multipart/form-data
// bodies (RFC 7578 on RFC 2046 framing), such as the uploads of
// `curl -F file=@call.wav -F campaign_id=42`.
//
// Unlike mime/multipart, which reads through a 4 KiB bufio.Reader and hands
// out at most 4 KiB per Read, a [Reader] fills one large buffer (256 KiB by
// default) and finds delimiters with bytes.Index, so [Part.WriteTo] (used by
// io.Copy) hands a file part to its writer in slices of 128–256 KiB, at a
// small fraction of a nanosecond per byte.
//
// Usage:
//
//	pool := formdata.NewBufferPool(0) // once per server
//	mr, err := formdata.FromRequest(req, formdata.Config{Buffers: pool})
//	if err != nil { ... } // ErrNotMultipart, ErrMissingBoundary, ErrInvalidBoundary: 400
//	defer mr.Close()
//	for {
//		p, err := mr.NextPart()
//		if err == io.EOF { break } // closing delimiter seen: the body is complete
//		if err != nil { ... }
//		if p.FormName() == "file" {
//			n, err := io.Copy(io.MultiWriter(f, h), p) // uses p.WriteTo
//		} else {
//			v, err := p.ReadField(64 << 10)
//		}
//	}
//
// What to watch:
//   - Only NextPart returning io.EOF (itself, never wrapped) proves that
//     the body was complete. A body cut anywhere before the closing
//     delimiter yields an error that wraps io.ErrUnexpectedEOF, from
//     Part.Read/WriteTo or from NextPart; a part's Read returns io.EOF only
//     after the whole delimiter line that ends it has arrived and is well
//     formed. The preamble is skipped; the epilogue is never read.
//   - Malformed framing yields a *FormatError, an exceeded limit a
//     *LimitError, a failing body reader its own error (wrapped), so an
//     HTTP layer can answer 400, 413, or pass on an http.MaxBytesError.
//   - Framing is CRLF only: a boundary line ending in a bare LF is a
//     FormatError (mime/multipart switches to LF mode instead). Part
//     headers are parsed by net/textproto, as mime/multipart does.
//   - Content-Transfer-Encoding is not decoded (RFC 7578 deprecates it):
//     parts are as NextRawPart of mime/multipart returns them.
//   - FileName is returned as sent (RFC 2231 filename* decoded), never
//     cleaned: treat it as hostile.
//   - A Reader is not safe for concurrent use; after NextPart, the
//     previous Part reads io.EOF.
package formdata

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/textproto"
	"strings"
)

// Limits and defaults of the framing.
const (
	// MaxBoundaryLen is the longest boundary accepted, in bytes. RFC 2046
	// allows 70; real clients use 30–70.
	MaxBoundaryLen = 200
	// DefaultMaxHeaderBytes is the default of Config.MaxHeaderBytes.
	DefaultMaxHeaderBytes = 16 << 10
	// DefaultMaxParts is the default of Config.MaxParts.
	DefaultMaxParts = 100
	// maxPadding bounds the transport padding (spaces and tabs) after a
	// boundary.
	maxPadding = 1024
	// slack is the room a buffer needs beyond MaxHeaderBytes: one whole
	// delimiter line with padding fits in it.
	slack = 4 << 10
	// minGather: WriteTo stops gathering bytes when less than this is free
	// at the end of the buffer.
	minGather = 16 << 10
)

// Config holds the limits of a Reader; the zero value means the defaults.
type Config struct {
	// BufferSize is the size of the read buffer, and so the largest slice
	// a Part hands to a writer. Default DefaultBufferSize (256 KiB). It is
	// raised to MaxHeaderBytes+4 KiB when smaller. Ignored when Buffers is
	// set and its buffers are at least that big.
	BufferSize int
	// Buffers, if set, lends the read buffer. The buffer goes back to it
	// when NextPart returns io.EOF or an error, or on Close. Default nil:
	// each Reader allocates its own buffer.
	Buffers *BufferPool
	// MaxHeaderBytes bounds the header block of each part (its header
	// lines and the empty line that ends them), and also the preamble
	// before the first boundary. Default DefaultMaxHeaderBytes (16 KiB).
	MaxHeaderBytes int
	// MaxParts bounds the number of parts: NextPart returns a *LimitError
	// instead of part MaxParts+1. Default DefaultMaxParts (100).
	MaxParts int
}

type state uint8

const (
	statePreamble state = iota // before the first boundary line
	stateHeader                // at the header block of the next part
	stateBody                  // inside the body of r.part
	stateClosed                // the closing delimiter was consumed
)

// Reader iterates over the parts of a multipart/form-data body. Create it
// with [NewReader] or [FromRequest].
type Reader struct {
	src    io.Reader
	srcErr error // first error of src; src is never read after it

	buf  []byte
	bufp *[]byte // buf's origin when it came from pool
	pool *BufferPool
	r, w int   // buf[r:w] is read but not consumed
	base int64 // offset in the body of buf[0]

	delim     []byte // "\r\n--" + boundary
	maxHeader int
	maxParts  int

	state  state
	nparts int
	part   *Part
	err    error // sticky: io.EOF after the closing delimiter, or the failure
}

// NewReader returns a Reader of the multipart body read from body, whose
// boundary is boundary (the "boundary" parameter of the Content-Type,
// without quotes). If the boundary is invalid, NextPart returns
// ErrInvalidBoundary. The Reader never closes body.
func NewReader(body io.Reader, boundary string, cfg Config) *Reader {
	r := &Reader{src: body}
	if !validBoundary(boundary) {
		r.err = ErrInvalidBoundary
		return r
	}
	r.delim = []byte("\r\n--" + boundary)
	r.maxHeader = cfg.MaxHeaderBytes
	if r.maxHeader <= 0 {
		r.maxHeader = DefaultMaxHeaderBytes
	}
	r.maxParts = cfg.MaxParts
	if r.maxParts <= 0 {
		r.maxParts = DefaultMaxParts
	}
	need := r.maxHeader + slack
	switch {
	case cfg.Buffers != nil && cfg.Buffers.Size() >= need:
		r.pool = cfg.Buffers
		r.bufp = cfg.Buffers.get()
		r.buf = *r.bufp
	default:
		size := cfg.BufferSize
		if size <= 0 {
			size = DefaultBufferSize
		}
		r.buf = make([]byte, max(size, need))
	}
	return r
}

// validBoundary reports whether b can frame a body: 1 to MaxBoundaryLen
// bytes, none of them CR, LF or NUL.
func validBoundary(b string) bool {
	return len(b) > 0 && len(b) <= MaxBoundaryLen && !strings.ContainsAny(b, "\r\n\x00")
}

// NextPart returns the next part, after skipping what is left of the
// previous one. It returns io.EOF after the closing delimiter; a body that
// ends before it gives an error wrapping io.ErrUnexpectedEOF. Other errors
// are a *FormatError, a *LimitError, ErrInvalidBoundary, or the body
// reader's error (wrapped). Every error, and io.EOF, is final: later calls
// return it again.
func (r *Reader) NextPart() (*Part, error) {
	if r.err != nil {
		return nil, r.err
	}
	if p := r.part; p != nil {
		r.part = nil
		if err := p.discard(); err != nil {
			return nil, err
		}
	}
	if r.state == statePreamble {
		if err := r.skipPreamble(); err != nil {
			return nil, r.fail(err)
		}
	}
	if r.state == stateClosed {
		r.release()
		r.err = io.EOF
		return nil, io.EOF
	}
	if r.nparts >= r.maxParts {
		return nil, r.fail(&LimitError{What: "parts", Max: int64(r.maxParts)})
	}
	h, err := r.readHeader()
	if err != nil {
		return nil, r.fail(err)
	}
	r.nparts++
	r.state = stateBody
	r.part = &Part{Header: h, r: r, atStart: true}
	return r.part, nil
}

// Close gives the buffer back to the pool; the Reader and its current
// Part then return an error. Call it (defer it) when a handler stops
// before NextPart returned io.EOF or an error. It never closes the body
// and may be called more than once.
func (r *Reader) Close() {
	if r.err == nil {
		r.err = errClosed
	}
	if p := r.part; p != nil && p.err == nil {
		p.err, p.n = r.err, 0
	}
	r.release()
}

// fail makes err final and gives the buffer back.
func (r *Reader) fail(err error) error {
	if r.err == nil {
		r.err = err
	}
	r.release()
	return err
}

func (r *Reader) release() {
	if r.bufp != nil {
		r.pool.put(r.bufp)
		r.bufp = nil
	}
	r.buf = nil
	r.base += int64(r.r) // keeps the count of consumed bytes
	r.r, r.w = 0, 0
}

// fill moves the unconsumed bytes to the front of the buffer and reads
// once from src, so that afterwards either more bytes are buffered or
// r.srcErr is set. The caller makes sure that the buffer is not full.
func (r *Reader) fill() {
	if r.r > 0 {
		copy(r.buf, r.buf[r.r:r.w])
		r.base += int64(r.r)
		r.w -= r.r
		r.r = 0
	}
	if r.w == len(r.buf) {
		panic("formdata: fill with a full buffer")
	}
	for range 100 {
		n, err := r.src.Read(r.buf[r.w:])
		if n < 0 || n > len(r.buf)-r.w {
			n, err = 0, errBadRead
		}
		r.w += n
		if err != nil {
			r.srcErr = err
			return
		}
		if n > 0 {
			return
		}
	}
	r.srcErr = io.ErrNoProgress
}

// skipPreamble consumes lines up to and including the first boundary line
// (a line that starts the body or follows a LF, as mime/multipart reads
// it). A closing boundary line there means a body without parts.
func (r *Reader) skipPreamble() error {
	db := r.delim[2:] // "--boundary"
	skipped := 0
	for {
		b := r.buf[r.r:r.w]
		j := bytes.IndexByte(b, '\n')
		if j < 0 {
			if skipped+len(b) > r.maxHeader {
				return &LimitError{What: "preamble", Max: int64(r.maxHeader)}
			}
			if r.srcErr != nil {
				if bytes.HasPrefix(b, db) && hasDashes(b[len(db):]) &&
					len(skipLWSP(b[len(db)+2:])) == 0 {
					r.r = r.w
					r.state = stateClosed
					return nil
				}
				return r.srcFail("before the first boundary")
			}
			r.fill()
			continue
		}
		if line := b[:j+1]; bytes.HasPrefix(line, db) {
			rest := line[len(db):]
			if hasDashes(rest) {
				if string(skipLWSP(rest[2:])) == "\r\n" {
					r.r += j + 1
					r.state = stateClosed
					return nil
				}
			} else {
				switch rest = skipLWSP(rest); {
				case string(rest) == "\r\n":
					r.r += j + 1
					r.state = stateHeader
					return nil
				case len(rest) == 1: // "\n"
					return r.formatError(msgBareLF)
				}
			}
		}
		skipped += j + 1
		if skipped > r.maxHeader {
			return &LimitError{What: "preamble", Max: int64(r.maxHeader)}
		}
		r.r += j + 1
	}
}

// errBadRead: the body's Read returned a count out of range.
var errBadRead = errors.New("formdata: body reader returned an invalid count")

// hasDashes reports whether b begins with "--".
func hasDashes(b []byte) bool { return len(b) >= 2 && b[0] == '-' && b[1] == '-' }

func skipLWSP(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// readHeader consumes the header block of a part (the lines up to and
// including the first empty one) and parses it with net/textproto.
func (r *Reader) readHeader() (textproto.MIMEHeader, error) {
	scanned := 0 // buf[r.r:r.r+scanned] holds whole non-empty lines
	for {
		b := r.buf[r.r:r.w]
		for {
			j := bytes.IndexByte(b[scanned:], '\n')
			if j < 0 {
				break
			}
			end := scanned + j + 1
			if end > r.maxHeader {
				return nil, &LimitError{What: "part header", Max: int64(r.maxHeader)}
			}
			if j == 0 || j == 1 && b[scanned] == '\r' { // empty line
				h, err := parseHeader(b[:end])
				if err != nil {
					return nil, r.formatError(msgHeader)
				}
				r.r += end
				return h, nil
			}
			scanned = end
		}
		if len(b) > r.maxHeader {
			return nil, &LimitError{What: "part header", Max: int64(r.maxHeader)}
		}
		if r.srcErr != nil {
			return nil, r.srcFail("inside a part header")
		}
		r.fill()
	}
}

func parseHeader(block []byte) (textproto.MIMEHeader, error) {
	br := bufio.NewReaderSize(bytes.NewReader(block), len(block))
	return textproto.NewReader(br).ReadMIMEHeader()
}
