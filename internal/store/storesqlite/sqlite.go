// Package storesqlite is the SQLite backend of the metadata store, on
// modernc.org/sqlite (pure Go, driver name "sqlite") through database/sql.
//
// Open creates the file if needed and migrates it. Every connection gets
// WAL journaling, a busy timeout, foreign keys and synchronous=FULL (or
// NORMAL, see Config) through _pragma DSN parameters, and transactions
// start with BEGIN IMMEDIATE so that two writers never deadlock upgrading
// a read lock. The pool holds a single connection: River's SQLite driver
// requires it, and it serialises writers in the process. Consequently a
// function passed to InTx must only use its Tx; using the DB inside it
// deadlocks.
//
// What to watch: the database file and its -wal and -shm companions must
// stay together on a local disk (not a network share); back up with
// VACUUM INTO or the sqlite3 .backup command, not by copying the live file.
package storesqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/store/storesql"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Config configures Open. The zero value of each field means its default.
type Config struct {
	// Path is the database file, created (with its folder) if missing. Required.
	Path string
	// Synchronous is SQLite's synchronous level: "FULL" (the default: a
	// commit survives a power loss) or "NORMAL" (faster; in WAL mode a power
	// loss may lose the last commits but never corrupts the file).
	Synchronous string
	// BusyTimeout is how long a statement waits for a lock held by another
	// process before failing. Defaults to 10s.
	BusyTimeout time.Duration
	// Logger receives the migrations applied; nil discards them.
	Logger *slog.Logger
}

// DB is the SQLite metadata store.
type DB struct {
	*storesql.Store
}

var _ store.Store = (*DB)(nil)

// timeFormat is how times are stored: fixed width, so that they compare as text.
const timeFormat = "2006-01-02T15:04:05.000000Z"

func newDialect() *storesql.Dialect {
	return &storesql.Dialect{
		Name:        "sqlite",
		Queries:     newQueries(),
		SFTP:        newSFTPQueries(),
		Genesys:     newGenesysQueries(),
		SFTPPull:    newSFTPPullQueries(),
		TOTP:        newTOTPQueries(),
		Privacy:     newPrivacyQueries(),
		Connectors:  newConnectorsQueries(),
		Audit:       newAuditQueries(),
		UserAdmin:   newUserAdminQueries(),
		Placeholder: func(int) string { return "?" },
		EncodeTime:  func(t time.Time) any { return t.UTC().Format(timeFormat) },
		Classify:    classify,
	}
}

func classify(err error) storesql.ErrorKind {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return storesql.ErrorOther
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return storesql.ErrorUnique
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return storesql.ErrorForeignKey
	}
	if c := se.Code() & 0xff; c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED {
		return storesql.ErrorUnavailable // still locked after busy_timeout
	}
	return storesql.ErrorOther
}

// DSN returns the data source name Open uses for cfg: the pragmas apply to
// every connection of the pool.
func DSN(cfg Config) (string, error) {
	if cfg.Path == "" {
		return "", errors.New("sqlite: the database path is required")
	}
	if strings.ContainsAny(cfg.Path, "?#") {
		return "", fmt.Errorf("sqlite: the database path %q must not contain '?' or '#'", cfg.Path)
	}
	switch strings.ToUpper(cfg.Synchronous) {
	case "", "FULL", "NORMAL":
	default:
		return "", fmt.Errorf("sqlite: synchronous must be FULL or NORMAL, not %q", cfg.Synchronous)
	}
	busy := cfg.BusyTimeout
	if busy <= 0 {
		busy = 10 * time.Second
	}
	v := url.Values{}
	v.Add("_pragma", "busy_timeout("+strconv.FormatInt(busy.Milliseconds(), 10)+")")
	v.Add("_pragma", "journal_mode(WAL)")
	v.Add("_pragma", "foreign_keys(1)")
	// FULL is kept by group commit (storesql.Syncer): connections commit
	// with NORMAL and acknowledged writes wait for one shared synced commit.
	v.Add("_pragma", "synchronous(NORMAL)")
	v.Add("_pragma", "cache_size(-32768)") // 32 MiB of page cache (the default is 2 MiB)
	v.Set("_txlock", "immediate")
	return cfg.Path + "?" + v.Encode(), nil
}

// Open opens (creating if needed) and migrates the database at cfg.Path.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	dsn, err := DSN(cfg)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o750); err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", cfg.Path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	d := newDialect()
	fsys, err := fs.Sub(migrations, "migrations")
	if err == nil {
		err = migrateRetrying(ctx, db, d, fsys, cfg.Logger)
	}
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", cfg.Path, err)
	}
	reader, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open sqlite readers %s: %w", cfg.Path, err)
	}
	reader.SetMaxOpenConns(4)
	reader.SetMaxIdleConns(4)
	var syncer *storesql.Syncer
	if !strings.EqualFold(cfg.Synchronous, "NORMAL") {
		syncer = storesql.NewWALSyncer(db, `UPDATE durability_barrier SET n = n + 1 WHERE id = 1`, cfg.Path+"-wal")
	}
	return &DB{storesql.NewWithReader(db, reader, d, syncer)}, nil
}

// Close runs PRAGMA optimize, which keeps the query planner's statistics
// fresh as SQLite recommends, then closes the database.
func (db *DB) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second) //nolint:forbidigo // Close takes no context; the timeout bounds it
	defer cancel()
	_, optErr := db.DB().ExecContext(ctx, "PRAGMA optimize")
	if err := db.Store.Close(); err != nil {
		return err
	}
	if optErr != nil {
		return fmt.Errorf("close sqlite: optimize: %w", optErr)
	}
	return nil
}

// migrateRetrying migrates, trying again a few times when the file is
// locked: processes opening a new database at the same moment (serve and
// an admin command) can find it locked while another one switches it to
// WAL, before the busy timeout applies.
func migrateRetrying(ctx context.Context, db *sql.DB, d *storesql.Dialect, fsys fs.FS, log *slog.Logger) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = storesql.Migrate(ctx, db, d, fsys, log)
		if err == nil || !errors.Is(err, store.ErrUnavailable) || attempt == 5 {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
		}
	}
}
