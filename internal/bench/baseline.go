package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// baselineBufferSize is the copy buffer of the baseline, as in
// perf-anchors §1d.
const baselineBufferSize = 256 << 10

// Baseline is the reference server the benchmarks compare callimport with:
// the least a durable, hashing upload endpoint must do. POST /raw streams
// the raw request body (no multipart, no metadata, no database) into a new
// file of its folder through SHA-256 with a 256 KiB buffer, fsyncs it,
// closes it, renames it to <sha256>.<n> and answers 201 with
// {"sha256": ..., "size": ...}. It is perf-anchors §1d's "file + SHA-256 +
// fsync" variant.
type Baseline struct {
	dir  string
	seq  atomic.Uint64
	bufs sync.Pool
}

// BaselineResult is the answer of POST /raw.
type BaselineResult struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// NewBaseline returns a Baseline storing into dir, which must exist.
func NewBaseline(dir string) *Baseline {
	b := &Baseline{dir: dir}
	b.bufs.New = func() any {
		buf := make([]byte, baselineBufferSize)
		return &buf
	}
	return b
}

// Handler serves POST /raw; every other request gets 404 or 405.
func (b *Baseline) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /raw", b.raw)
	return mux
}

// Serve answers on ln until ctx ends, then closes the open connections.
func (b *Baseline) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: b.Handler(), ReadHeaderTimeout: 10 * time.Second}
	stop := context.AfterFunc(ctx, func() { _ = hs.Close() })
	defer stop()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve baseline: %w", err)
	}
	return nil
}

func (b *Baseline) raw(w http.ResponseWriter, r *http.Request) {
	res, err := b.store(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(res)
}

// store writes body durably and returns its hash and size; on failure it
// leaves nothing behind.
func (b *Baseline) store(body io.Reader) (BaselineResult, error) {
	n := strconv.FormatUint(b.seq.Add(1), 10)
	tmp := filepath.Join(b.dir, n+".part")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		return BaselineResult{}, fmt.Errorf("create: %w", err)
	}
	h := sha256.New()
	buf, ok := b.bufs.Get().(*[]byte)
	if !ok {
		nb := make([]byte, baselineBufferSize)
		buf = &nb
	}
	// The struct hides io.MultiWriter's type so CopyBuffer uses buf.
	size, err := io.CopyBuffer(struct{ io.Writer }{io.MultiWriter(f, h)}, body, *buf)
	b.bufs.Put(buf)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if err == nil {
		err = os.Rename(tmp, filepath.Join(b.dir, sum+"."+n))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return BaselineResult{}, fmt.Errorf("store body: %w", err)
	}
	return BaselineResult{SHA256: sum, Size: size}, nil
}
