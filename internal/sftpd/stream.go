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
		if prev, ok := o.pending[off]; ok {
			if len(prev) >= len(b) {
				return len(b), nil
			}
			o.buffered -= int64(len(prev))
		}
		if o.buffered+int64(len(b)) > o.max {
			o.err = errTooFarAhead
			return 0, o.err
		}
		o.pending[off] = append([]byte(nil), b...)
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
