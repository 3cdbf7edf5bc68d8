// Package storesql implements store.Store on database/sql for a SQL dialect
// that brings its own query set. It is the Go half shared by the backends
// storesqlite and storepg: argument encoding, row scanning, error mapping,
// keyset paging, transactions and the migration runner. Each backend owns
// its schema, its migrations and every query text (Queries); nothing here
// switches on the dialect.
//
// Conventions every dialect follows:
//   - times are stored in UTC with microsecond precision; EncodeTime gets
//     times already normalised that way, and scanning accepts time.Time or
//     RFC 3339 text;
//   - metadata and scopes are stored as JSON arrays;
//   - inserts use ON CONFLICT DO NOTHING so that a duplicate answers
//     store.ErrAlreadyExists without aborting a PostgreSQL transaction;
//   - the calls table has the column names used by CallList's filters.
package storesql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/callimport/callimport/internal/store"
)

// ErrorKind is what a driver error means to the store.
type ErrorKind int

// The kinds of driver errors the store maps to sentinels.
const (
	ErrorOther       ErrorKind = iota
	ErrorUnique                // a unique constraint refused the write
	ErrorForeignKey            // a referenced row does not exist
	ErrorUnavailable           // the database cannot be reached or is shutting down
)

// Dialect is what a backend supplies.
type Dialect struct {
	// Name is returned by Store.Dialect ("sqlite" or "postgres").
	Name string
	// Queries are the dialect's query texts.
	Queries *Queries
	// SFTP are the hosted SFTP server's account and receipt queries (nil: unsupported).
	SFTP *SFTPQueries
	// Genesys are the Genesys channel's queries (nil: unsupported).
	Genesys *GenesysQueries
	// SFTPPull are the pull sources' queries (nil: unsupported).
	SFTPPull *SFTPPullQueries
	// TOTP are two-factor authentication's queries (nil: unsupported).
	TOTP *TOTPQueries
	// Privacy are retention's and erasure's queries (nil: unsupported).
	Privacy *PrivacyQueries
	// Connectors are the connectors' management queries (nil: unsupported).
	Connectors *ConnectorsQueries
	// Audit are the audit trail's queries (nil: unsupported).
	Audit *AuditQueries
	// UserAdmin are the user management queries (nil: unsupported).
	UserAdmin *UserAdminQueries
	// Placeholder returns the bind parameter for the n-th argument (from 1).
	Placeholder func(n int) string
	// EncodeTime turns a UTC, microsecond-truncated time into a bind argument.
	EncodeTime func(t time.Time) any
	// Classify tells unique and foreign-key violations and an unreachable
	// database from other errors.
	Classify func(err error) ErrorKind
}

// execer is what *sql.DB and *sql.Tx have in common.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queries runs the dialect's queries on a pool or in a transaction.
type queries struct {
	ex execer
	db *sql.DB // nil inside a transaction
	d  *Dialect
	q  *Queries
	// syncer, when set, makes acknowledged writes durable (group commit).
	syncer *Syncer
}

// Store is a store.Store on a *sql.DB. Backends embed it.
type Store struct {
	queries
	// reader, when set, is the read pool of NewWithReader.
	reader *sql.DB
}

// New returns a Store running d's queries on db. The schema must already be
// migrated (see Migrate).
func New(db *sql.DB, d *Dialect) *Store {
	return &Store{queries: queries{ex: db, db: db, d: d, q: d.Queries}}
}

var (
	_ store.Store = (*Store)(nil)
	_ store.Tx    = (*Tx)(nil)
)

// DB returns the pool.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns the dialect's name.
func (s *Store) Dialect() string { return s.d.Name }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", s.d.Name, err)
	}
	return nil
}

// Close closes the pool.
func (s *Store) Close() error {
	if s.syncer != nil {
		defer s.syncer.Close()
	}
	if s.reader != nil {
		if err := s.reader.Close(); err != nil {
			return fmt.Errorf("close %s readers: %w", s.d.Name, err)
		}
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close %s: %w", s.d.Name, err)
	}
	return nil
}

// Tx is a store.Tx.
type Tx struct {
	queries
	tx *sql.Tx
}

// SQLTx returns the transaction, for enqueueing jobs in the same commit.
func (t *Tx) SQLTx() *sql.Tx { return t.tx }

// InTx runs fn in a transaction, committed if fn returns nil and rolled back
// if it returns an error (returned as is) or panics (the panic goes on).
func (s *Store) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.inTx(ctx, func(q *queries, tx *sql.Tx) error {
		return fn(&Tx{queries: *q, tx: tx})
	})
}

func (q *queries) inTx(ctx context.Context, fn func(q *queries, tx *sql.Tx) error) (err error) {
	tx, err := q.db.BeginTx(ctx, nil)
	if err != nil {
		return q.fail(err, "begin")
	}
	committed := false
	defer func() {
		if committed {
			return
		}
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) && err != nil {
			err = errors.Join(err, fmt.Errorf("rollback: %w", rbErr))
		}
	}()
	if err := fn(&queries{ex: tx, d: q.d, q: q.q}, tx); err != nil {
		return err
	}
	committed = true
	if err := tx.Commit(); err != nil {
		return q.fail(err, "commit")
	}
	return q.durable(ctx)
}

// atomic runs fn in the current transaction, or in a new one outside any.
func (q *queries) atomic(ctx context.Context, fn func(q *queries) error) error {
	if q.db == nil {
		return fn(q)
	}
	return q.inTx(ctx, func(q *queries, _ *sql.Tx) error { return fn(q) })
}

// fail wraps err with the operation, turning no rows and foreign-key
// violations into store.ErrNotFound, unique violations into
// store.ErrAlreadyExists, and an unreachable database into
// store.ErrUnavailable.
func (q *queries) fail(err error, format string, args ...any) error {
	op := fmt.Sprintf(format, args...)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	case q.d.Classify(err) == ErrorUnique:
		return fmt.Errorf("%s: %w: %w", op, store.ErrAlreadyExists, err)
	case q.d.Classify(err) == ErrorForeignKey:
		return fmt.Errorf("%s: %w: %w", op, store.ErrNotFound, err)
	case q.d.Classify(err) == ErrorUnavailable:
		return fmt.Errorf("%s: %w: %w", op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// insert runs an INSERT ... ON CONFLICT DO NOTHING and answers
// store.ErrAlreadyExists when it inserted nothing.
func (q *queries) insert(ctx context.Context, query string, op string, args ...any) error {
	res, err := q.ex.ExecContext(ctx, query, args...)
	if err != nil {
		return q.fail(err, "%s", op)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrAlreadyExists)
	}
	return nil
}

// update runs a statement that must touch one row, else store.ErrNotFound.
func (q *queries) update(ctx context.Context, query string, op string, args ...any) error {
	res, err := q.ex.ExecContext(ctx, query, args...)
	if err != nil {
		return q.fail(err, "%s", op)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return nil
}

// time encodes t for a bind argument.
func (q *queries) time(t time.Time) any { return q.d.EncodeTime(Norm(t)) }

// timePtr encodes t, or NULL.
func (q *queries) timePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return q.time(*t)
}

// Norm is how the store keeps times: UTC, truncated to the microsecond.
func Norm(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// now is the store's clock for created_at and updated_at.
func now() time.Time { return Norm(time.Now()) }

// normPtr returns a normalised copy of t, or nil.
func normPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	n := Norm(*t)
	return &n
}
