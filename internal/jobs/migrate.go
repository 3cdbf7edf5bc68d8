package jobs

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// Dialects accepted by Migrate and New (the values of store.Store.Dialect).
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// newDriver returns River's driver for dialect over db.
func newDriver(db *sql.DB, dialect string) (riverdriver.Driver[*sql.Tx], error) {
	switch dialect {
	case DialectSQLite:
		return riversqlite.New(db), nil
	case DialectPostgres:
		return riverdatabasesql.New(db), nil
	default:
		return nil, fmt.Errorf("unknown dialect %q (want %q or %q)", dialect, DialectSQLite, DialectPostgres)
	}
}

// Migrate brings River's tables in db up to the latest version River knows.
// It is idempotent. On PostgreSQL it holds an advisory lock (per schema) so
// that processes starting together do not race; River's tables go into the
// first schema of the connection's search_path. dialect is DialectSQLite or
// DialectPostgres.
func Migrate(ctx context.Context, db *sql.DB, dialect string) error {
	drv, err := newDriver(db, dialect)
	if err != nil {
		return fmt.Errorf("migrate jobs: %w", err)
	}
	migrator, err := rivermigrate.New(drv, &rivermigrate.Config{
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return fmt.Errorf("migrate jobs: %w", err)
	}
	if dialect == DialectPostgres {
		unlock, err := lockMigrations(ctx, db)
		if err != nil {
			return fmt.Errorf("migrate jobs: %w", err)
		}
		defer unlock()
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate jobs: %w", err)
	}
	return nil
}

// lockMigrations takes a session advisory lock keyed by the current schema
// on a dedicated connection and returns the function that releases it. With
// a pool of a single connection it takes no lock (the migration needs that
// connection), which only matters when several processes start at once.
func lockMigrations(ctx context.Context, db *sql.DB) (func(), error) {
	if db.Stats().MaxOpenConnections == 1 {
		return func() {}, nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	const lock = `SELECT pg_advisory_lock(hashtext('callimport.river_migrate.' || current_schema()))`
	if _, err := conn.ExecContext(ctx, lock); err != nil {
		return nil, errors.Join(fmt.Errorf("lock migrations: %w", err), conn.Close())
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		const unlock = `SELECT pg_advisory_unlock(hashtext('callimport.river_migrate.' || current_schema()))`
		if _, err := conn.ExecContext(ctx, unlock); err != nil {
			// A connection whose unlock failed must not go back to the
			// pool still holding the lock.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		_ = conn.Close()
	}, nil
}
