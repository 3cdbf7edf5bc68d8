package storesql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
)

// readRouter sends plain SELECTs outside transactions to a pool of read
// connections, and everything else to the writer. SQLite in WAL mode lets
// readers run while the single writer commits, so lookups (API keys,
// campaigns, calls) do not queue behind an fsync.
// Statements are prepared once per pool and reused (SQLite otherwise parses
// every statement again, which costs more than running most of them).
type readRouter struct {
	w, r   *stmtCache
	syncer *Syncer
}

func (x *readRouter) pick(query string) *stmtCache {
	q := strings.TrimLeft(query, " \t\r\n(")
	if len(q) >= 6 && strings.EqualFold(q[:6], "SELECT") {
		return x.r
	}
	return x.w
}

// ExecContext runs a write and, unless ctx is lazy, waits until it is durable.
func (x *readRouter) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	st, err := x.w.stmt(ctx, query) //nolint:sqlclosecheck // cached for the pool's lifetime
	if err == nil {
		res, err = st.ExecContext(ctx, args...)
	}
	if err == nil && x.syncer != nil && !isLazy(ctx) {
		err = x.syncer.Sync(ctx)
	}
	return res, err
}

func (x *readRouter) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	c := x.pick(query)
	st, err := c.stmt(ctx, query) //nolint:sqlclosecheck // cached for the pool's lifetime
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (x *readRouter) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	c := x.pick(query)
	st, err := c.stmt(ctx, query) //nolint:sqlclosecheck // cached for the pool's lifetime
	if err != nil {
		return c.db.QueryRowContext(ctx, query, args...) // reports the same error through Scan
	}
	return st.QueryRowContext(ctx, args...)
}

// stmtCache holds the prepared statements of one pool. database/sql
// re-prepares a statement on each connection that needs it.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache { return &stmtCache{db: db, m: map[string]*sql.Stmt{}} }

func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	st, ok := c.m[query]
	c.mu.Unlock()
	if ok {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[query]; ok {
		_ = st.Close() //nolint:sqlclosecheck // a racing prepare lost: drop the spare at once
		return prev, nil
	}
	c.m[query] = st
	return st, nil
}

// NewWithReader is New with a separate pool for reads outside transactions
// (see readRouter) and, when syncer is not nil, group commit (see Syncer).
// Close closes both pools.
func NewWithReader(db, reader *sql.DB, d *Dialect, syncer *Syncer) *Store {
	s := New(db, d)
	s.ex = &readRouter{w: newStmtCache(db), r: newStmtCache(reader), syncer: syncer}
	s.syncer = syncer
	s.reader = reader
	return s
}
