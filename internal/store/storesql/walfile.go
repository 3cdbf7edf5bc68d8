package storesql

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// walFile is the write-ahead log of a SQLite database in WAL mode, kept
// open so that a Syncer can fdatasync it. Frames that SQLite has written
// (a commit with synchronous=NORMAL) are in the kernel's page cache of that
// inode; fdatasync on any descriptor of the inode writes them to disk,
// exactly as SQLite does itself at a commit with synchronous=FULL.
//
// The log file can be replaced (SQLite deletes it when the last connection
// closes, after a checkpoint into the synced database file, and creates a
// new one at the next write), so sync checks first that the path still
// names the open inode; if not, the caller falls back to a barrier commit,
// which also syncs the new file's directory, and then adopts it. Only the
// Syncer's loop uses a walFile, one flush at a time.
type walFile struct {
	path string
	f    *os.File
}

// sync fdatasyncs the log if the path still names the open file; ok is
// false when there is no open file or it was replaced.
func (w *walFile) sync() (ok bool, err error) {
	if w.f == nil {
		return false, nil
	}
	cur, err := os.Stat(w.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, fmt.Errorf("sync: stat the write-ahead log: %w", err)
	}
	open, err := w.f.Stat()
	if err != nil {
		return false, fmt.Errorf("sync: stat the write-ahead log: %w", err)
	}
	if !os.SameFile(cur, open) {
		w.close()
		return false, nil
	}
	if err := fdatasync(w.f); err != nil {
		return false, fmt.Errorf("sync the write-ahead log: %w", err)
	}
	return true, nil
}

// adopt opens the log file now at path, after a barrier commit synced it.
// A failure only means the next flush is a barrier commit again.
func (w *walFile) adopt() {
	w.close()
	if f, err := os.Open(w.path); err == nil {
		w.f = f
	}
}

func (w *walFile) close() {
	if w.f != nil {
		_ = w.f.Close()
		w.f = nil
	}
}
