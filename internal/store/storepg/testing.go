package storepg

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/testenv"
)

// TestURL returns a URL of the database of testenv.PostgresURL (skipping
// or failing the test without one) whose search_path selects a schema of
// the test's own, so that the store's tables, and River's, live there and
// tests run in parallel. The schema holds no rows, but may already hold
// migrated tables: when the test ends its rows are deleted and the schema
// goes back to a pool for the next test of the process (creating a schema
// costs far more than emptying one). Schemas that a process left behind
// are dropped by a later run after a few hours.
func TestURL(t testing.TB) string {
	t.Helper()
	base := testenv.PostgresURL(t)
	schema, err := testSchemas.get(t.Context(), base)
	if err != nil {
		t.Fatalf("test schema: %v", err)
	}
	u, err := withSearchPath(base, schema)
	if err != nil {
		t.Fatalf("test schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 30*time.Second)
		defer cancel()
		if err := testSchemas.put(ctx, base, schema); err != nil {
			t.Errorf("release test schema: %v", err)
		}
	})
	return u
}

// OpenTest returns a fresh, migrated, empty store in a schema of its own
// (see TestURL), closed when the test ends. It is for other packages' tests.
func OpenTest(t testing.TB) *DB {
	t.Helper()
	u := TestURL(t) // registered first, so that its cleanup runs after Close
	db, err := Open(t.Context(), Config{URL: u, MaxConns: 4})
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

// withSearchPath returns base with search_path set to schema. Tests need
// no durability: commits do not wait for the disk (synchronous_commit=off).
func withSearchPath(base, schema string) (string, error) {
	if !strings.HasPrefix(base, "postgres://") && !strings.HasPrefix(base, "postgresql://") {
		return base + " search_path=" + schema + " synchronous_commit=off", nil
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("parse postgres url: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	return u.String(), nil
}
