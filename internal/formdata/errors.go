package formdata

import (
	"errors"
	"fmt"
	"io"
)

// Sentinel errors of [FromRequest], and of [Reader.NextPart] for a Reader
// built with a bad boundary. An HTTP front end answers them with 400
// (ErrNotMultipart may deserve 415).
var (
	// ErrNotMultipart: the Content-Type is absent, unparsable, or not
	// multipart/form-data.
	ErrNotMultipart = errors.New("formdata: request is not multipart/form-data")
	// ErrMissingBoundary: multipart/form-data without a boundary parameter.
	ErrMissingBoundary = errors.New("formdata: multipart body without boundary")
	// ErrInvalidBoundary: the boundary is empty, longer than
	// [MaxBoundaryLen] bytes, or holds a CR, LF or NUL byte.
	ErrInvalidBoundary = errors.New("formdata: invalid multipart boundary")
)

// errClosed is returned by a Reader and its Part after [Reader.Close].
var errClosed = errors.New("formdata: reader closed")

// FormatError reports a body that breaks the RFC 2046 framing (junk after
// a boundary, a bare LF where CRLF is required) or holds an unparsable part
// header. Msg is short, lower-case and safe to show to a client; Offset is
// the byte offset in the body where the problem was found.
type FormatError struct {
	Msg    string
	Offset int64
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("formdata: malformed body at byte %d: %s", e.Offset, e.Msg)
}

// LimitError reports that the body exceeds a limit of [Config] or the
// limit given to [Part.ReadField]. An HTTP front end answers it with 413 (or 400).
// What names the limit ("part header", "preamble", "parts", "transport
// padding", or `field "name"`); Max is its value, in bytes or, for "parts",
// a count.
type LimitError struct {
	What string
	Max  int64
}

func (e *LimitError) Error() string {
	if e.What == "parts" {
		return fmt.Sprintf("formdata: more than %d parts", e.Max)
	}
	return fmt.Sprintf("formdata: %s exceeds %d bytes", e.What, e.Max)
}

// Messages of FormatError.
const (
	msgBareLF     = "boundary line ends in a bare LF, not CRLF"
	msgAfterBound = "unexpected data after boundary"
	msgHeader     = "unparsable part header"
)

// srcFail returns the error for a body source that stopped (r.srcErr set)
// while more bytes were needed: a wrapped io.ErrUnexpectedEOF when the
// body simply ended ("truncated"), else the source's error, wrapped.
func (r *Reader) srcFail(where string) error {
	if errors.Is(r.srcErr, io.EOF) {
		return fmt.Errorf("formdata: body ended %s: %w", where, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("formdata: read body: %w", r.srcErr)
}

func (r *Reader) formatError(msg string) error {
	return &FormatError{Msg: msg, Offset: r.base + int64(r.r)}
}
