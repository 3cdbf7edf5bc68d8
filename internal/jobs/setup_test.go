package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"

	"github.com/callimport/callimport/internal/testenv"
)

// patience bounds waits for what should happen quickly: it only turns a
// hang (a deadlock, a lost job) into a failure, so it is generous enough for
// a loaded machine running the race detector.
const patience = 60 * time.Second

// backend is a migrated database of one dialect with a calls table standing
// in for the metadata store.
type backend struct {
	dialect string
	db      *sql.DB
	url     string // PostgreSQL only: the URL selecting the test's schema
}

// forEachBackend runs fn against SQLite and, when available, PostgreSQL.
func forEachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, openSQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, openPostgres(t))
	})
}

// openSQLite returns a fresh SQLite database configured as the store's.
func openSQLite(t testing.TB) backend {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "callimport.db") +
		"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	b := backend{dialect: DialectSQLite, db: db}
	b.prepare(t)
	return b
}

// openPostgres returns a pool on a fresh schema of the test database (the
// schema is dropped when t ends), or skips via testenv.
func openPostgres(t testing.TB) backend {
	t.Helper()
	base := testenv.PostgresURL(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	schema := "jobs_test_" + randomHex(t, 6)
	if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u := withSearchPath(t, base, schema)
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(10)
	t.Cleanup(func() { _ = db.Close() }) // runs before the schema is dropped
	b := backend{dialect: DialectPostgres, db: db, url: u}
	b.prepare(t)
	return b
}

// withSearchPath adds search_path=schema (a run-time parameter for pgx) to
// a URL or a key=value connection string.
func withSearchPath(t testing.TB, base, schema string) string {
	t.Helper()
	if !strings.Contains(base, "://") {
		return base + " search_path=" + schema + " synchronous_commit=off"
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse PostgreSQL URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("synchronous_commit", "off") // tests need no durability; DDL commits get faster
	u.RawQuery = q.Encode()
	return u.String()
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// prepare migrates River's tables and creates the stand-in calls table.
func (b backend) prepare(t testing.TB) {
	t.Helper()
	if err := Migrate(t.Context(), b.db, b.dialect); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.ExecContext(t.Context(), `CREATE TABLE calls (id TEXT PRIMARY KEY, status TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
}

// q rewrites ? placeholders for the dialect.
func (b backend) q(query string) string {
	if b.dialect != DialectPostgres {
		return query
	}
	var sb strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			sb.WriteString("$" + strconv.Itoa(n))
			continue
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// createCall inserts a received call and enqueues its probe in one
// transaction, committed if commit is true and rolled back otherwise, as
// ingest does.
func (b backend) createCall(t testing.TB, q *Queue, id string, commit bool) {
	t.Helper()
	ctx := t.Context()
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, b.q(`INSERT INTO calls (id, status) VALUES (?, 'received')`), id); err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	if err := q.EnqueueProbeTx(ctx, tx, id); err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	if !commit {
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// setStatus is what a real processor does: read the call and update it in a
// transaction of its own.
func (b backend) setStatus(ctx context.Context, id, status string) error {
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	var old string
	if err := tx.QueryRowContext(ctx, b.q(`SELECT status FROM calls WHERE id = ?`), id).Scan(&old); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	if _, err := tx.ExecContext(ctx, b.q(`UPDATE calls SET status = ? WHERE id = ?`), status, id); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

// fakeCalls is a CallProcessor and GiveUpper whose behavior is set per test.
type fakeCalls struct {
	ProcessCallFunc func(ctx context.Context, callID string) error
	GiveUpFunc      func(ctx context.Context, callID string, err error) error
}

func (f *fakeCalls) ProcessCall(ctx context.Context, callID string) error {
	return f.ProcessCallFunc(ctx, callID)
}

func (f *fakeCalls) GiveUp(ctx context.Context, callID string, err error) error {
	if f.GiveUpFunc == nil {
		return nil
	}
	return f.GiveUpFunc(ctx, callID, err)
}

// fakeOrphans is an OrphanCleaner whose behavior is set per test.
type fakeOrphans struct {
	CleanOrphansFunc func(ctx context.Context) (int, error)
}

func (f *fakeOrphans) CleanOrphans(ctx context.Context) (int, error) { return f.CleanOrphansFunc(ctx) }

// testConfig is a Config for fast tests.
func testConfig(t testing.TB) Config {
	return Config{
		Logger:       slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
		PollInterval: 20 * time.Millisecond,
		RetryDelay:   func(int) time.Duration { return time.Millisecond },
		testOnly:     true,
	}
}

// newQueue builds a queue on b, not started, stopped when t ends.
func newQueue(t testing.TB, b backend, cfg Config, h Handlers) *Queue {
	t.Helper()
	q, err := New(t.Context(), b.db, b.dialect, cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return q
}

// startQueue builds and starts a queue on b, stopped when t ends.
func startQueue(t testing.TB, b backend, cfg Config, h Handlers) *Queue {
	t.Helper()
	q := newQueue(t, b, cfg, h)
	if err := q.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	return q
}

// recorder counts calls by id and signals each one.
type recorder struct {
	mu    sync.Mutex
	count map[string]int
	ch    chan string
}

func newRecorder() *recorder {
	return &recorder{count: map[string]int{}, ch: make(chan string, 1000)}
}

func (r *recorder) record(id string) {
	r.mu.Lock()
	r.count[id]++
	r.mu.Unlock()
	r.ch <- id
}

func (r *recorder) counts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := make(map[string]int, len(r.count))
	for k, v := range r.count {
		m[k] = v
	}
	return m
}

// wait receives n signals or fails t after timeout.
func (r *recorder) wait(t testing.TB, n int, timeout time.Duration) []string {
	t.Helper()
	var got []string
	deadline := time.After(timeout)
	for len(got) < n {
		select {
		case id := <-r.ch:
			got = append(got, id)
		case <-deadline:
			t.Fatalf("got %d of %d signals after %s: %v", len(got), n, timeout, got)
		}
	}
	return got
}

// quiet fails t if a signal arrives within d.
func (r *recorder) quiet(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case id := <-r.ch:
		t.Fatalf("unexpected signal %q", id)
	case <-time.After(d):
	}
}

// waitIdle waits until q has no job left in any watched state (completions
// are recorded asynchronously, shortly after a job returns).
func waitIdle(t testing.TB, q *Queue) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		depth, err := q.Depth(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		busy := 0
		for _, n := range depth {
			busy += n
		}
		if busy == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue not idle after %s: %v", patience, depth)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
