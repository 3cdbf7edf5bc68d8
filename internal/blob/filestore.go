package blob

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sync"
	"time"
)

const (
	dirMode  = 0o750
	fileMode = 0o640
	// tmpDir holds in-progress writes inside the bucket directory, so that the
	// final rename never crosses file systems and temporary files never show
	// up among the keys (a key segment cannot start with ".").
	tmpDir = ".tmp"
	// staleTempAge is how old a temporary file must be for Open to remove it.
	staleTempAge = 24 * time.Hour
	// fileBufferSize is the write buffer of a file writer: it coalesces small
	// writes; larger ones go straight to the file. (A 1 MiB buffer made small
	// objects 5x slower to write: allocating and clearing it dominated.)
	fileBufferSize = 64 << 10
)

// fileStore writes objects of a file:// bucket durably: temp file, fsync,
// rename, fsync of the directories up to the bucket root. Reads, lists and
// deletes go through fileblob, which maps our keys to the same paths.
type fileStore struct {
	dir  string
	root *os.Root
	// noSync skips every fsync; only benchmarks set it, to measure its cost.
	noSync bool
	// durable holds the directories (relative paths) whose entries are known
	// to be on disk, up to the root.
	durable sync.Map
}

func openFileStore(dir string) (*fileStore, error) {
	if err := os.MkdirAll(path.Join(dir, tmpDir), dirMode); err != nil {
		return nil, fmt.Errorf("create temp dir: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open root: %w", err)
	}
	fs := &fileStore{dir: dir, root: root}
	fs.removeStaleTemps(time.Now().Add(-staleTempAge))
	return fs, nil
}

func (fs *fileStore) close() error { return fs.root.Close() }

// ping checks that the directory is still there (and is still ours).
func (fs *fileStore) ping() error {
	fi, err := os.Stat(fs.dir)
	if err != nil {
		return fmt.Errorf("stat %s: %w", fs.dir, err)
	}
	ri, err := fs.root.Stat(".")
	if err != nil {
		return fmt.Errorf("stat root: %w", err)
	}
	if !os.SameFile(fi, ri) {
		return fmt.Errorf("%s was replaced since the bucket was opened", fs.dir)
	}
	return nil
}

// removeStaleTemps deletes temporary files older than cutoff, left behind by
// a crash during a write. It is best effort: a failure only leaves garbage.
func (fs *fileStore) removeStaleTemps(cutoff time.Time) {
	d, err := fs.root.Open(tmpDir)
	if err != nil {
		return
	}
	entries, err := d.ReadDir(-1)
	_ = d.Close()
	if err != nil {
		return
	}
	for _, e := range entries {
		info, err := e.Info()
		if err == nil && info.Mode().IsRegular() && info.ModTime().Before(cutoff) {
			_ = fs.root.Remove(path.Join(tmpDir, e.Name()))
		}
	}
}

type fileWriter struct {
	fs  *fileStore
	ctx context.Context
	key string
	tmp string // path of the temporary file, relative to the root
	f   *os.File
	bw  *bufio.Writer
}

func (fs *fileStore) newWriter(ctx context.Context, key string) (*fileWriter, error) {
	tmp := path.Join(tmpDir, rand.Text()+".tmp")
	f, err := fs.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return nil, fmt.Errorf("create temp file: %w", err)
	}
	var out io.Writer = f
	if !fs.noSync {
		out = &earlyWriter{f: f}
	}
	return &fileWriter{fs: fs, ctx: ctx, key: key, tmp: tmp, f: f, bw: bufio.NewWriterSize(out, fileBufferSize)}, nil
}

func (w *fileWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	return w.bw.Write(p)
}

// commit renames the object into place, then makes it durable: the file's
// fsync and its directory's run at the same time, so that the file system
// can carry both in one journal commit instead of two in a row. If either
// fails the object is removed again and commit reports the failure. (A
// power cut before commit returns can leave a partial object under its key;
// nothing points to it, since a call is committed only after its blob.)
func (w *fileWriter) commit() error {
	if err := w.ctx.Err(); err != nil {
		return errors.Join(err, w.abort())
	}
	err := w.bw.Flush()
	if err == nil {
		err = w.ctx.Err()
	}
	dir := path.Dir(w.key)
	if err == nil {
		err = w.fs.root.MkdirAll(dir, dirMode)
	}
	if err == nil {
		err = w.fs.root.Rename(w.tmp, w.key)
	}
	if err != nil {
		_ = w.f.Close()
		_ = w.fs.root.Remove(w.tmp)
		return err
	}
	if w.fs.noSync {
		return w.f.Close()
	}
	// The new name must be durable too: fsync its directory, and make sure
	// the directories leading to it are durable (see durableDir).
	dirDone := make(chan error, 1)
	go func() { dirDone <- w.fs.syncDir(dir) }()
	err = w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if derr := <-dirDone; err == nil && derr != nil {
		err = fmt.Errorf("sync dir %s: %w", dir, derr)
	}
	if err == nil {
		err = w.fs.durableDir(dir)
	}
	if err != nil {
		_ = w.fs.root.Remove(w.key)
	}
	return err
}

// durableDir makes sure that dir's entry, and those of its parents, are on
// disk: a directory just created (by this writer, or by a concurrent one
// whose own fsyncs have not finished yet) is lost in a crash unless its
// parent is fsynced. Directories done once are remembered (we never remove
// directories), so the usual cost is nothing beyond the fsync of the
// object's own directory.
func (fs *fileStore) durableDir(dir string) error {
	for d := dir; d != "."; d = path.Dir(d) {
		if _, ok := fs.durable.Load(d); ok {
			return nil
		}
		parent := path.Dir(d)
		if err := fs.syncDir(parent); err != nil {
			return fmt.Errorf("sync dir %s: %w", parent, err)
		}
		fs.durable.Store(d, struct{}{})
	}
	return nil
}

func (w *fileWriter) abort() error {
	err := w.f.Close()
	if rerr := w.fs.root.Remove(w.tmp); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	if errors.Is(err, os.ErrClosed) {
		err = nil
	}
	return err
}

func (fs *fileStore) syncDir(dir string) error {
	d, err := fs.root.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
