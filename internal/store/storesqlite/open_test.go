package storesqlite_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/store/storesqlite"
)

func TestPragmas(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sync string
		want int // PRAGMA synchronous of connections: 1 NORMAL (FULL is kept by group commit)
		// barrier: whether acknowledged writes go through a synced barrier commit.
		barrier bool
	}{{"", 1, true}, {"FULL", 1, true}, {"normal", 1, false}} {
		db, err := storesqlite.Open(t.Context(), storesqlite.Config{Path: filepath.Join(t.TempDir(), "db", "x.db"), Synchronous: tc.sync})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		var mode string
		var fk, syncLevel, busy int
		conn := db.DB()
		for q, dest := range map[string]any{
			"PRAGMA journal_mode": &mode, "PRAGMA foreign_keys": &fk,
			"PRAGMA synchronous": &syncLevel, "PRAGMA busy_timeout": &busy,
		} {
			if err := conn.QueryRowContext(t.Context(), q).Scan(dest); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if mode != "wal" || fk != 1 || syncLevel != tc.want || busy != 10000 {
			t.Errorf("synchronous %q: journal_mode %s, foreign_keys %d, synchronous %d, busy_timeout %d; want wal, 1, %d, 10000",
				tc.sync, mode, fk, syncLevel, busy, tc.want)
		}
		if _, err := db.OrgCreate(t.Context(), store.OrgCreateParams{Name: "durable"}); err != nil {
			t.Fatal(err)
		}
		var barrierN int
		if err := conn.QueryRowContext(t.Context(), "SELECT n FROM durability_barrier").Scan(&barrierN); err != nil {
			t.Fatal(err)
		}
		if (barrierN > 0) != tc.barrier {
			t.Errorf("synchronous %q: %d barrier commits after a write, want barrier %v", tc.sync, barrierN, tc.barrier)
		}
		// Later acknowledged writes fdatasync the write-ahead log instead
		// of committing a barrier.
		for i := range 3 {
			if _, err := db.OrgCreate(t.Context(), store.OrgCreateParams{Name: fmt.Sprintf("durable %d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		var after int
		if err := conn.QueryRowContext(t.Context(), "SELECT n FROM durability_barrier").Scan(&after); err != nil {
			t.Fatal(err)
		}
		if after != barrierN {
			t.Errorf("synchronous %q: %d barrier commits after 3 more writes, want %d", tc.sync, after, barrierN)
		}
		if s := conn.Stats(); s.MaxOpenConnections != 1 {
			t.Errorf("MaxOpenConnections = %d, want 1", s.MaxOpenConnections)
		}
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, cfg := range []storesqlite.Config{
		{},
		{Path: filepath.Join(dir, "a.db"), Synchronous: "OFF"},
		{Path: filepath.Join(dir, "a?.db")},
	} {
		if db, err := storesqlite.Open(t.Context(), cfg); err == nil {
			_ = db.Close()
			t.Errorf("Open(%+v): no error", cfg)
		}
	}
}

// TestReopen checks that migrations apply once, whether processes open the
// file one after the other or at the same time, and that data survives.
func TestReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "callimport.db")
	const n = 4
	dbs := make([]*storesqlite.DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = storesqlite.Open(t.Context(), storesqlite.Config{Path: path}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open %d: %v", i, err)
		}
	}
	org, err := dbs[0].OrgCreate(t.Context(), store.OrgCreateParams{Name: "kept"})
	if err != nil {
		t.Fatal(err)
	}
	// Another pool (as another process) sees the commit.
	if _, err := dbs[1].OrgGet(t.Context(), org.ID); err != nil {
		t.Errorf("OrgGet from another pool: %v", err)
	}
	for _, db := range dbs {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}

	db, err := storesqlite.Open(t.Context(), storesqlite.Config{Path: path})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	if _, err := db.OrgGet(t.Context(), org.ID); err != nil {
		t.Errorf("OrgGet after reopen: %v", err)
	}
	var versions []string
	rows, err := db.DB().QueryContext(t.Context(), "SELECT version FROM schema_migrations")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range files {
		want = append(want, strings.TrimSuffix(filepath.Base(f), ".sql"))
	}
	if strings.Join(versions, ",") != strings.Join(want, ",") {
		t.Errorf("schema_migrations = %v, want %v (each migration once)", versions, want)
	}
}

// TestTimesAreSortableText checks the stored form of times, which SQL
// comparisons rely on.
func TestTimesAreSortableText(t *testing.T) {
	t.Parallel()
	db := storesqlite.OpenTest(t)
	org, err := db.OrgCreate(t.Context(), store.OrgCreateParams{Name: "o"})
	if err != nil {
		t.Fatal(err)
	}
	var raw string
	if err := db.DB().QueryRowContext(t.Context(), "SELECT created_at FROM orgs WHERE id = ?", org.ID).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if want := org.CreatedAt.Format("2006-01-02T15:04:05.000000Z"); raw != want || len(raw) != 27 {
		t.Errorf("stored created_at = %q, want %q", raw, want)
	}
}
