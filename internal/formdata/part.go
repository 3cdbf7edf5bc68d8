package formdata

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/textproto"
)

// Part is one part of a multipart body: its header and a reader of its
// body. It is valid until the next call of NextPart or Close.
type Part struct {
	// Header holds the part's header lines, keys canonicalised as
	// net/textproto does ("content-type" → "Content-Type").
	Header textproto.MIMEHeader

	r       *Reader
	n       int   // r.buf[r.r:r.r+n] is body data, known to hold no delimiter
	atStart bool  // no byte of the body has been scanned as data yet
	done    bool  // a delimiter begins at r.buf[r.r+n]
	bare    bool  // that delimiter lacks its CRLF (an empty body)
	err     error // io.EOF once the delimiter line is consumed, or the failure

	parsed      bool
	disposition string
	params      map[string]string
}

// FormName returns the name parameter of the Content-Disposition header
// if its type is form-data, else "".
func (p *Part) FormName() string {
	p.parseDisposition()
	if p.disposition != "form-data" {
		return ""
	}
	return p.params["name"]
}

// FileName returns the filename parameter of the Content-Disposition
// header as sent, after unquoting, or "" if there is none. An RFC 2231
// extended parameter (filename* in UTF-8 or US-ASCII, as RFC 7578 allows)
// wins over filename=. Unlike mime/multipart it is NOT
// reduced to a base name: it may hold slashes, "..", control characters,
// or percent escapes (browsers and curl send a quote as %22). Treat it as
// hostile.
func (p *Part) FileName() string {
	p.parseDisposition()
	return p.params["filename"]
}

func (p *Part) parseDisposition() {
	if p.parsed {
		return
	}
	p.parsed = true
	d, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return
	}
	p.disposition, p.params = d, params
}

// Read reads the part's body. It returns io.EOF once the delimiter line
// that ends the part has been read and found well formed; a body cut
// before that gives an error wrapping io.ErrUnexpectedEOF.
func (p *Part) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if err := p.advance(1); err != nil {
		return 0, err
	}
	r := p.r
	n := copy(b, r.buf[r.r:r.r+p.n])
	r.r += n
	p.n -= n
	return n, nil
}

// WriteTo writes the rest of the part's body to w, straight from the read
// buffer in slices of up to Config.BufferSize bytes (it gathers at least
// half a buffer per Write while the body is arriving). It returns the
// bytes written and nil at the end of the part, like io.Copy; errors are
// those of Read, or w's.
func (p *Part) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if err := p.advance(len(p.r.buf) / 2); err != nil {
			if errors.Is(err, io.EOF) {
				return total, nil
			}
			return total, err
		}
		r := p.r
		chunk := r.buf[r.r : r.r+p.n]
		n, err := w.Write(chunk)
		if n < 0 || n > len(chunk) {
			n, err = 0, errors.New("formdata: writer returned an invalid count")
		}
		r.r += n
		p.n -= n
		total += int64(n)
		if err != nil {
			return total, err
		}
		if n < len(chunk) {
			return total, io.ErrShortWrite
		}
	}
}

// ReadField reads the rest of the part's body as a string of at most
// limit bytes. A longer body gives a *LimitError naming the field; the
// rest of the part is then skipped by the next NextPart.
func (p *Part) ReadField(limit int) (string, error) {
	var b []byte
	for {
		if err := p.advance(1); err != nil {
			if errors.Is(err, io.EOF) {
				return string(b), nil
			}
			return "", err
		}
		r := p.r
		if len(b)+p.n > limit {
			return "", &LimitError{What: fmt.Sprintf("field %q", p.FormName()), Max: int64(limit)}
		}
		b = append(b, r.buf[r.r:r.r+p.n]...)
		r.r += p.n
		p.n = 0
	}
}

// discard consumes the rest of the part.
func (p *Part) discard() error {
	for {
		if err := p.advance(1); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		p.r.r += p.n
		p.n = 0
	}
}

// advance makes p.n > 0, reading the body as needed, or returns io.EOF at
// the end of the part, or the failure. If want > p.n it also reads more,
// while the body flows and the buffer has room, to hand out bigger slices.
func (p *Part) advance(want int) error {
	if p.n == 0 && p.err != nil {
		return p.err
	}
	r := p.r
	for {
		if !p.done {
			off := r.r + p.n
			n, done, bare := r.scanBody(r.buf[off:r.w], p.atStart && p.n == 0, r.srcErr != nil)
			if n > 0 {
				p.atStart = false
			}
			p.n += n
			p.done, p.bare = done, bare
		}
		switch {
		case p.n > 0:
			if p.n >= want || p.done || r.srcErr != nil || len(r.buf)-r.w < minGather {
				return nil
			}
		case p.done:
			return p.finish()
		case r.srcErr != nil:
			return p.fail(r.srcFail("inside a part"))
		}
		r.fill()
	}
}

// finish consumes the delimiter line at r.buf[r.r:] that ends the part.
func (p *Part) finish() error {
	r := p.r
	skip := len(r.delim)
	if p.bare {
		skip -= 2
	}
	for {
		n, closing, st := afterBoundary(r.buf[r.r+skip:r.w], r.srcErr != nil)
		switch st {
		case lineOK:
			r.r += skip + n
			r.state = stateHeader
			if closing {
				r.state = stateClosed
			}
			p.err = io.EOF
			return io.EOF
		case lineMore:
			r.fill()
		case lineTruncated:
			return p.fail(r.srcFail("inside a boundary line"))
		case lineBareLF:
			return p.fail(r.formatError(msgBareLF))
		case linePadding:
			return p.fail(&LimitError{What: "transport padding", Max: maxPadding})
		default:
			return p.fail(r.formatError(msgAfterBound))
		}
	}
}

func (p *Part) fail(err error) error {
	p.err, p.n = err, 0
	return p.r.fail(err)
}

// scanBody looks for the delimiter in b, the unscanned bytes of a part's
// body. atStart: b begins the body, where a delimiter without its CRLF is
// also recognised (an empty body right after the header block). eof: no
// byte follows b. It returns n, the count of leading bytes of b that are
// body data for sure, and done, whether a delimiter begins at b[n] (bare:
// without CRLF). When !done, b[n:] may begin a delimiter and more input is
// needed to decide.
func (r *Reader) scanBody(b []byte, atStart, eof bool) (n int, done, bare bool) {
	d := r.delim
	if atStart {
		db := d[2:]
		if bytes.HasPrefix(b, db) {
			switch matchAfter(b[len(db):], eof) {
			case matchYes:
				return 0, true, true
			case matchMore:
				return 0, false, false
			}
		} else if !eof && bytes.HasPrefix(db, b) {
			return 0, false, false
		}
	}
	for off := 0; ; {
		i := bytes.Index(b[off:], d)
		if i < 0 {
			break
		}
		i += off
		switch matchAfter(b[i+len(d):], eof) {
		case matchYes:
			return i, true, false
		case matchMore:
			return i, false, false
		}
		off = i + 1
	}
	if eof {
		return len(b), false, false
	}
	// Keep back a tail that may begin a delimiter.
	for k := max(0, len(b)-len(d)+1); k < len(b); k++ {
		j := bytes.IndexByte(b[k:], d[0])
		if j < 0 {
			break
		}
		k += j
		if bytes.HasPrefix(d, b[k:]) {
			return k, false, false
		}
	}
	return len(b), false, false
}

const (
	matchNo = iota
	matchYes
	matchMore
)

// matchAfter tells whether "--boundary" followed by rest is a delimiter,
// as mime/multipart decides: it is when followed by a space, tab, CR, LF,
// "--", or the end of the body. A delimiter with junk after its padding
// is then rejected by afterBoundary.
func matchAfter(rest []byte, eof bool) int {
	if len(rest) == 0 {
		if eof {
			return matchYes
		}
		return matchMore
	}
	switch rest[0] {
	case ' ', '\t', '\r', '\n':
		return matchYes
	case '-':
		if len(rest) == 1 {
			if eof {
				return matchNo
			}
			return matchMore
		}
		if rest[1] == '-' {
			return matchYes
		}
	}
	return matchNo
}

const (
	lineOK = iota
	lineMore
	lineTruncated
	lineBareLF
	linePadding
	lineJunk
)

// afterBoundary parses b, what follows "--boundary" on a delimiter line:
// optional "--" (closing), transport padding, then CRLF (or the end of the
// body after a closing delimiter; the epilogue is never read). It returns
// the bytes that belong to the line, whether it is the closing delimiter,
// and a line… status.
func afterBoundary(b []byte, eof bool) (n int, closing bool, st int) {
	i := 0
	if len(b) > 0 && b[0] == '-' {
		switch {
		case len(b) == 1 && eof:
			return 0, false, lineTruncated
		case len(b) == 1:
			return 0, false, lineMore
		case b[1] != '-':
			return 0, false, lineJunk
		}
		closing, i = true, 2
	}
	pad := len(b[i:]) - len(skipLWSP(b[i:]))
	if pad > maxPadding {
		return 0, closing, linePadding
	}
	i += pad
	if i == len(b) {
		switch {
		case !eof:
			return 0, closing, lineMore
		case closing:
			return i, true, lineOK
		}
		return 0, false, lineTruncated
	}
	switch b[i] {
	case '\r':
		switch {
		case i+1 < len(b) && b[i+1] == '\n':
			return i + 2, closing, lineOK
		case i+1 < len(b):
			return 0, closing, lineJunk
		case eof:
			return 0, closing, lineTruncated
		}
		return 0, closing, lineMore
	case '\n':
		return 0, closing, lineBareLF
	}
	return 0, closing, lineJunk
}
