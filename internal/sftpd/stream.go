package sftpd

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// errHole is the reason an upload closed with bytes missing before some
// that arrived.
var errHole = errors.New("the upload has a gap: some bytes never arrived")

// errTooFarAhead is returned by WriteAt when the writes arrive further out
// of order than the reorder buffer allows.
var errTooFarAhead = errors.New("writes arrived too far out of order")

// orderedWriter turns pkg/sftp's concurrent, possibly out-of-order WriteAt
// calls into one in-order stream on w. Writes ahead of the next expected
// offset wait in a buffer of at most max bytes; writes behind it (resent
// bytes) are dropped where they overlap. It is safe for concurrent use.
type orderedWriter struct {
	w   io.Writer
	max int64
	// chunks, if set, recycles the copies of writes that wait (newChunkPool).
	chunks *sync.Pool

	mu       sync.Mutex
	next     int64
	pending  map[int64][]byte
	buffered int64
	err      error // the first write error; every later write fails with it
}

func newOrderedWriter(w io.Writer, limit int64) *orderedWriter {
	return &orderedWriter{w: w, max: limit, pending: map[int64][]byte{}}
}

// WriteAt accepts b at offset off. It returns an error if the stream
// failed or the reorder buffer would overflow.
func (o *orderedWriter) WriteAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("write at %d: negative offset", off)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return 0, o.err
	}
	switch {
	case off > o.next:
		prev, had := o.pending[off]
		if had && len(prev) >= len(b) {
			return len(b), nil
		}
		if had {
			o.buffered -= int64(len(prev))
		}
		if o.buffered+int64(len(b)) > o.max {
			o.err = errTooFarAhead
			return 0, o.err
		}
		if had {
			o.freeChunk(prev)
		}
		o.pending[off] = o.keepChunk(b)
		o.buffered += int64(len(b))
		return len(b), nil
	case off+int64(len(b)) <= o.next:
		return len(b), nil // already written
	}
	if err := o.emit(b[o.next-off:]); err != nil {
		return 0, err
	}
	return len(b), o.drain()
}

// emit writes b at o.next; o.mu is held.
func (o *orderedWriter) emit(b []byte) error {
	if _, err := o.w.Write(b); err != nil {
		o.err = err
		return err
	}
	o.next += int64(len(b))
	return nil
}

// drain writes the pending chunks that have become contiguous; o.mu is held.
func (o *orderedWriter) drain() error {
	for len(o.pending) > 0 {
		progressed := false
		for off, c := range o.pending {
			end := off + int64(len(c))
			if off > o.next {
				continue
			}
			delete(o.pending, off)
			o.buffered -= int64(len(c))
			progressed = true
			if end > o.next {
				if err := o.emit(c[o.next-off:]); err != nil {
					return err
				}
			}
			o.freeChunk(c)
		}
		if !progressed {
			return nil
		}
	}
	return nil
}

// Finish reports whether every byte up to the highest written has been
// passed on: errHole if some are missing, or the first write error.
func (o *orderedWriter) Finish() (int64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return o.next, o.err
	}
	if len(o.pending) > 0 {
		return o.next, errHole
	}
	return o.next, nil
}

// chunkSize is the size of the recycled copies: the write size of
// OpenSSH's client and most others.
const chunkSize = 32 << 10

// newChunkPool returns the pool of copies shared by a server's uploads.
func newChunkPool() *sync.Pool {
	return &sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}
}

// keepChunk returns a copy of b, from o.chunks when it fits.
func (o *orderedWriter) keepChunk(b []byte) []byte {
	if o.chunks == nil || len(b) > chunkSize {
		return append([]byte(nil), b...)
	}
	c := (*o.chunks.Get().(*[]byte))[:len(b)] //nolint:forcetypeassert // the pool holds only chunks
	copy(c, b)
	return c
}

// freeChunk gives a copy back once it has been written.
func (o *orderedWriter) freeChunk(c []byte) {
	if o.chunks != nil && cap(c) == chunkSize {
		c = c[:chunkSize]
		o.chunks.Put(&c)
	}
}
