package storesql

import (
	"os"
	"syscall"
)

// fdatasync writes f's data (and the metadata needed to read it back, such
// as its size) to disk.
func fdatasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR { //nolint:errorlint // a raw errno
			return err
		}
	}
}
