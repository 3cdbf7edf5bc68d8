package blob

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback starts the writeback of n bytes of f at off and returns
// without waiting for it (sync_file_range with SYNC_FILE_RANGE_WRITE).
func startWriteback(f *os.File, off, n int64) {
	_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
