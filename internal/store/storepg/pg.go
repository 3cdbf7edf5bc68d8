// Package storepg is the PostgreSQL backend of the metadata store, on
// github.com/jackc/pgx/v5 through database/sql (pgx's stdlib adapter), so
// that the job queue (River) shares the pool and its transactions.
//
// Open migrates the schema first, holding a transaction-level advisory
// lock keyed by the current schema, so any number of processes may start
// at once. Tables go in the first schema of search_path: set it in the URL
// (?search_path=name) to keep callimport in its own schema.
//
// What to watch: the pool size (Config.MaxConns) of every process together
// must stay under the server's max_connections; a duplicate (store.ErrAlreadyExists
// from a Create) leaves a transaction usable, but a unique violation from
// CampaignUpdate or a foreign-key error aborts it.
package storepg

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/store/storesql"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Config configures Open. The zero value of each field means its default.
type Config struct {
	// URL is a PostgreSQL URL (postgres://user@host:5432/db?sslmode=disable)
	// or keyword/value connection string. Required.
	URL string
	// MaxConns bounds the pool. Defaults to 10.
	MaxConns int
	// Logger receives the migrations applied; nil discards them.
	Logger *slog.Logger
}

// DB is the PostgreSQL metadata store.
type DB struct {
	*storesql.Store
}

var _ store.Store = (*DB)(nil)

func newDialect() *storesql.Dialect {
	return &storesql.Dialect{
		Name:        "postgres",
		Queries:     newQueries(),
		SFTP:        newSFTPQueries(),
		Genesys:     newGenesysQueries(),
		SFTPPull:    newSFTPPullQueries(),
		TOTP:        newTOTPQueries(),
		Privacy:     newPrivacyQueries(),
		Connectors:  newConnectorsQueries(),
		Audit:       newAuditQueries(),
		UserAdmin:   newUserAdminQueries(),
		Placeholder: func(n int) string { return fmt.Sprintf("$%d", n) },
		EncodeTime:  func(t time.Time) any { return t },
		Classify:    classify,
	}
}

func classify(err error) storesql.ErrorKind {
	if unavailable(err) {
		return storesql.ErrorUnavailable
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return storesql.ErrorOther
	}
	switch pe.Code {
	case "23505": // unique_violation
		return storesql.ErrorUnique
	case "23503": // foreign_key_violation
		return storesql.ErrorForeignKey
	}
	return storesql.ErrorOther
}

// Open connects to cfg.URL and migrates the schema.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.URL == "" {
		return nil, errors.New("open postgres: the database URL is required")
	}
	cc, err := pgx.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	maxConns := cfg.MaxConns
	if maxConns <= 0 {
		maxConns = 10
	}
	db := stdlib.OpenDB(*cc)
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(time.Hour)
	d := newDialect()
	fsys, err := fs.Sub(migrations, "migrations")
	if err == nil {
		err = storesql.Migrate(ctx, db, d, fsys, cfg.Logger)
	}
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open postgres %s@%s/%s: %w", cc.User, cc.Host, cc.Database, err)
	}
	return &DB{storesql.New(db, d)}, nil
}
