package storesqlite

import (
	"path/filepath"
	"testing"
)

// OpenTest returns a fresh, migrated store in a file under t.TempDir(),
// closed when the test ends. It is for other packages' tests.
func OpenTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(t.Context(), Config{Path: filepath.Join(t.TempDir(), "callimport.db")})
	if err != nil {
		t.Fatalf("open test store: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close test store: %v", err)
		}
	})
	return db
}
