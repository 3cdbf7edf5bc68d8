package audio

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
)

// pstreamBufSize is the read buffer of a pstream. It must hold the largest
// unit a parser peeks at once: an Ogg page (65,307 bytes) or a few MPEG
// frames.
const pstreamBufSize = 128 << 10

// pstreamCheckEvery is how many bytes a pstream consumes between checks of
// its context.
const pstreamCheckEvery = 4 << 20

// errPStreamEOF means the stream ended before the bytes a parser asked for.
// Parsers turn it into a "truncated" rejection naming what was cut off.
var errPStreamEOF = errors.New("unexpected end of stream")

// pstream is the read side shared by the container parsers (MP3, FLAC, Ogg,
// WebM, MP4). It reads r once, forward only, through a fixed buffer: skips
// read and discard, so memory never depends on the file or on what a header
// claims. It counts the bytes consumed, checks ctx every few MiB, and tells
// the end of the stream (errPStreamEOF) from a failure to read (any other
// error, wrapped).
type pstream struct {
	ctx       context.Context
	br        *bufio.Reader
	off       int64 // bytes consumed so far
	size      int64 // total length announced by the caller; <= 0 if unknown
	nextCheck int64
}

// newPStream reads r, size bytes long (<= 0 if unknown). A small file gets
// a buffer just larger than itself: nothing can be peeked past its end.
func newPStream(ctx context.Context, r io.Reader, size int64) *pstream {
	n := pstreamBufSize
	if size > 0 && size < pstreamBufSize-64 {
		n = max(int(size)+64, 4096)
	}
	return &pstream{ctx: ctx, br: bufio.NewReaderSize(r, n), size: size, nextCheck: pstreamCheckEvery}
}

// window is the most peek can return at once.
func (s *pstream) window() int { return s.br.Size() }

// pstreamErr maps a bufio error: EOF becomes errPStreamEOF, anything else is
// a read failure.
func pstreamErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errPStreamEOF
	}
	return fmt.Errorf("read audio: %w", err)
}

func (s *pstream) advance(n int) error {
	s.off += int64(n)
	if s.off >= s.nextCheck {
		s.nextCheck = s.off + pstreamCheckEvery
		if err := s.ctx.Err(); err != nil {
			return fmt.Errorf("read audio: %w", err)
		}
	}
	return nil
}

// full fills p, or returns errPStreamEOF if the stream ends first.
func (s *pstream) full(p []byte) error {
	n, err := io.ReadFull(s.br, p)
	if aerr := s.advance(n); aerr != nil {
		return aerr
	}
	if err != nil {
		return pstreamErr(err)
	}
	return nil
}

// peek returns the next n bytes (n <= s.window()) without consuming
// them; fewer at the end of the stream, with a nil error. Only read
// failures are errors.
func (s *pstream) peek(n int) ([]byte, error) {
	b, err := s.br.Peek(n)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return b, fmt.Errorf("read audio: %w", err)
	}
	return b, nil
}

// pstreamScanMin is how many buffered bytes a byte-by-byte scan wants
// before it refills the buffer.
const pstreamScanMin = 4096

// buffered returns the bytes already buffered at the current position,
// refilling the whole buffer only when fewer than pstreamScanMin are left
// (at the end of the stream, it may return fewer). Scanners searching for a
// sync code use it so that the buffer is not slid for every byte skipped.
func (s *pstream) buffered() ([]byte, error) {
	n := s.br.Buffered()
	if n < pstreamScanMin {
		n = s.window()
	}
	return s.peek(n)
}

// skip consumes n bytes by reading and discarding them; errPStreamEOF if
// the stream ends first.
func (s *pstream) skip(n int64) error {
	for n > 0 {
		chunk := min(n, pstreamCheckEvery)
		d, err := s.br.Discard(int(chunk))
		n -= int64(d)
		if aerr := s.advance(d); aerr != nil {
			return aerr
		}
		if err != nil {
			return pstreamErr(err)
		}
	}
	return nil
}

// drain consumes the rest of the stream, returning how many bytes it held.
func (s *pstream) drain() (int64, error) {
	var total int64
	for {
		d, err := s.br.Discard(pstreamCheckEvery)
		total += int64(d)
		if aerr := s.advance(d); aerr != nil {
			return total, aerr
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return total, nil
			}
			return total, fmt.Errorf("read audio: %w", err)
		}
	}
}

// atEOF reports whether the stream has no more bytes.
func (s *pstream) atEOF() (bool, error) {
	b, err := s.peek(1)
	if err != nil {
		return false, err
	}
	return len(b) == 0, nil
}

// beyondSize reports whether a unit ending at absolute offset end would run
// past the size the caller announced.
func (s *pstream) beyondSize(end int64) bool {
	return s.size > 0 && end > s.size
}

// truncated turns errPStreamEOF into a truncation rejection saying what was
// cut short; other errors pass through.
func (s *pstream) truncated(err error, what string) error {
	if errors.Is(err, errPStreamEOF) {
		return Reject("truncated: the file ends inside %s", what)
	}
	return err
}

// pstreamHuman formats a byte count for a rejection reason.
func pstreamHuman(n int64) string {
	switch {
	case n >= 1<<40:
		return fmt.Sprintf("%.1f TiB", float64(n)/(1<<40))
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// pstreamBitRate returns the average bit rate of n bytes lasting dur
// seconds, or 0 when that is not a plausible number (no duration, or a
// hostile header making it absurd).
func pstreamBitRate(n int64, dur float64) int {
	if n <= 0 || !(dur > 0) {
		return 0
	}
	r := float64(n) * 8 / dur
	if r >= 1e9 || math.IsNaN(r) {
		return 0
	}
	return int(r + 0.5)
}
