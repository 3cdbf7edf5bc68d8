package blob

import "os"

// writebackEvery is how many bytes a file writer lets the kernel gather
// before asking it to start writing them to disk (see earlyWriter). Objects
// smaller than this never ask.
const writebackEvery = 4 << 20

// earlyWriter writes to f and, every writebackEvery bytes, asks the kernel
// to start writing the bytes so far to disk without waiting for them
// (startWriteback). Otherwise a large object stays in the page cache until
// commit's fsync, which then writes all of it while the sender waits for
// its answer (a 256 MiB upload waited most of a second); this way the disk
// works while the body arrives and the fsync waits only for the tail.
// Durability is unchanged: commit still fsyncs. The hint is best effort: a
// failure is ignored, since the fsync reports any real write error.
type earlyWriter struct {
	f       *os.File
	off     int64 // bytes written so far
	started int64 // bytes whose writeback has been started
}

func (w *earlyWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.off += int64(n)
	if w.off-w.started >= writebackEvery {
		startWriteback(w.f, w.started, w.off-w.started)
		w.started = w.off
	}
	return n, err
}
