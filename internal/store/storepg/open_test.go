package storepg

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/testenv"
)

// TestMigrateConcurrently opens a new schema from several pools at once,
// as processes starting together do: each migration applies once.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	base := testenv.PostgresURL(t)
	admin, err := testSchemas.conn(t.Context(), base)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := testSchemaPrefix + "0_" + hex.EncodeToString(b) // never reused
	if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := withSearchPath(base, schema)
	if err != nil {
		t.Fatal(err)
	}

	const n = 4
	dbs := make([]*DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = Open(t.Context(), Config{URL: u, MaxConns: 2}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	org, err := dbs[0].OrgCreate(t.Context(), store.OrgCreateParams{Name: "o"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dbs[n-1].OrgGet(t.Context(), org.ID); err != nil {
		t.Errorf("OrgGet from another pool: %v", err)
	}
	var count int
	if err := dbs[0].DB().QueryRowContext(t.Context(), "SELECT count(*) FROM schema_migrations").Scan(&count); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if count != len(files) {
		t.Errorf("schema_migrations has %d rows, want %d (each migration once)", count, len(files))
	}
	var where string
	if err := dbs[0].DB().QueryRowContext(t.Context(), "SELECT schemaname FROM pg_tables WHERE tablename = 'calls' AND schemaname = current_schema()").Scan(&where); err != nil || where != schema {
		t.Errorf("calls table in %q (%v), want %q", where, err, schema)
	}
}

func TestWithSearchPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"postgres://u@h:5432/db?sslmode=disable", "postgres://u@h:5432/db?search_path=s&sslmode=disable&synchronous_commit=off"},
		{"host=h user=u dbname=db", "host=h user=u dbname=db search_path=s synchronous_commit=off"},
	} {
		got, err := withSearchPath(tc.in, "s")
		if err != nil || got != tc.want {
			t.Errorf("withSearchPath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "postgres://[::1"} {
		if db, err := Open(t.Context(), Config{URL: u}); err == nil {
			_ = db.Close()
			t.Errorf("Open(%q): no error", u)
		}
	}
}
