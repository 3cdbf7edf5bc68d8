package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// lockSQLite takes an exclusive lock next to a SQLite database so that only
// one `serve` works its job queue (admin commands do not take it). It
// returns the function that releases the lock.
func lockSQLite(database string) (func() error, error) {
	path := strings.TrimPrefix(database, "sqlite:") + ".serve.lock"
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create database directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another callimport serve already uses %s (with SQLite only one may run; use PostgreSQL for several)", strings.TrimPrefix(database, "sqlite:"))
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f.Close, nil
}
