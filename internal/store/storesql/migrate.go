package storesql

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"strings"
	"time"
)

// Migrate applies, in name order, the *.sql files of fsys's root that the
// schema_migrations table does not list yet, each recorded under its name
// without ".sql". Everything runs in one transaction that first takes the
// dialect's MigrateLock, so two processes starting at once apply each
// migration exactly once; running it again changes nothing. log may be nil.
func Migrate(ctx context.Context, db *sql.DB, d *Dialect, fsys fs.FS, log *slog.Logger) error {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	slices.Sort(names)
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	q := &queries{ex: db, db: db, d: d, q: d.Queries}
	return q.inTx(ctx, func(q *queries, tx *sql.Tx) error {
		if d.Queries.MigrateLock != "" {
			if _, err := tx.ExecContext(ctx, d.Queries.MigrateLock); err != nil {
				return fmt.Errorf("migrate: lock: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, d.Queries.MigrateCreateTable); err != nil {
			return fmt.Errorf("migrate: create table: %w", err)
		}
		applied, err := list(ctx, q, func(r scanner) (string, error) {
			var v string
			err := r.Scan(&v)
			return v, err
		}, "migrate: applied", d.Queries.MigrateApplied)
		if err != nil {
			return err
		}
		for _, name := range names {
			version := strings.TrimSuffix(path.Base(name), ".sql")
			if slices.Contains(applied, version) {
				continue
			}
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				return fmt.Errorf("migrate %s: %w", version, err)
			}
			if _, err := tx.ExecContext(ctx, string(b)); err != nil {
				return fmt.Errorf("migrate %s: %w", version, err)
			}
			if _, err := tx.ExecContext(ctx, d.Queries.MigrateInsert, version, q.time(time.Now())); err != nil {
				return fmt.Errorf("migrate %s: record: %w", version, err)
			}
			log.InfoContext(ctx, "applied migration", "dialect", d.Name, "version", version)
		}
		return nil
	})
}
