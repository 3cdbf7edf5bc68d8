package storesql

import (
	"context"
	"database/sql"
	"strings"
)

// readRouter sends plain SELECTs outside transactions to a pool of read
// connections, and everything else to the writer. SQLite in WAL mode lets
// readers run while the single writer commits, so lookups (API keys,
// campaigns, calls) do not queue behind an fsync.
type readRouter struct {
	w, r   *sql.DB
	syncer *Syncer
}

func (x readRouter) pick(query string) *sql.DB {
	q := strings.TrimLeft(query, " \t\r\n(")
	if len(q) >= 6 && strings.EqualFold(q[:6], "SELECT") {
		return x.r
	}
	return x.w
}

// ExecContext runs a write and, unless ctx is lazy, waits until it is durable.
func (x readRouter) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := x.w.ExecContext(ctx, query, args...)
	if err == nil && x.syncer != nil && !isLazy(ctx) {
		err = x.syncer.Sync(ctx)
	}
	return res, err
}

func (x readRouter) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return x.pick(query).QueryContext(ctx, query, args...)
}

func (x readRouter) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return x.pick(query).QueryRowContext(ctx, query, args...)
}

// NewWithReader is New with a separate pool for reads outside transactions
// (see readRouter) and, when syncer is not nil, group commit (see Syncer).
// Close closes both pools.
func NewWithReader(db, reader *sql.DB, d *Dialect, syncer *Syncer) *Store {
	s := New(db, d)
	s.ex = readRouter{w: db, r: reader, syncer: syncer}
	s.syncer = syncer
	s.reader = reader
	return s
}
