package storesql

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWALFile checks that the log is fdatasynced only while its path names
// the file opened: a replaced or deleted log makes the Syncer fall back to
// a barrier commit.
func TestWALFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "db-wal")
	w := &walFile{path: path}
	if ok, err := w.sync(); ok || err != nil {
		t.Fatalf("before adopt: sync = %v, %v; want false, nil", ok, err)
	}
	if err := os.WriteFile(path, []byte("frames"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.adopt()
	if ok, err := w.sync(); !ok || err != nil {
		t.Fatalf("adopted log: sync = %v, %v; want true, nil", ok, err)
	}
	other := filepath.Join(dir, "new-wal")
	if err := os.WriteFile(other, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(other, path); err != nil {
		t.Fatal(err)
	}
	if ok, err := w.sync(); ok || err != nil {
		t.Fatalf("replaced log: sync = %v, %v; want false, nil", ok, err)
	}
	w.adopt()
	if ok, err := w.sync(); !ok || err != nil {
		t.Fatalf("new log adopted: sync = %v, %v; want true, nil", ok, err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if ok, err := w.sync(); ok || err != nil {
		t.Fatalf("deleted log: sync = %v, %v; want false, nil", ok, err)
	}
	w.close()
}
