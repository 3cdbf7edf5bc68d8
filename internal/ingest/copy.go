package ingest

import (
	"errors"
	"hash"
	"io"
)

// copyBufferSize is large because multipart parts and network reads hand
// out big slices, and each Write to the blob is a system call.
const copyBufferSize = 256 << 10

// writeError marks a failure on the blob side of a copy, as opposed to the
// sender's side.
type writeError struct{ err error }

func (e *writeError) Error() string { return "write blob: " + e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// copyHashed copies at most limit bytes from r to w and h. Read errors are
// returned as they are; write errors are wrapped in *writeError.
func copyHashed(w io.Writer, h hash.Hash, r io.Reader, limit int64) (int64, error) {
	buf := make([]byte, copyBufferSize)
	var n int64
	for n < limit {
		p := buf
		if rest := limit - n; rest < int64(len(p)) {
			p = p[:rest]
		}
		k, rerr := r.Read(p)
		if k > 0 {
			h.Write(p[:k])
			if _, werr := w.Write(p[:k]); werr != nil {
				return n, &writeError{werr}
			}
			n += int64(k)
		}
		if errors.Is(rerr, io.EOF) {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
	return n, nil
}
