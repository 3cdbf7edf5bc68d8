// Package app is the composition root of callimport: it builds the stores,
// the job queue and the servers from configuration, runs them under one
// errgroup with graceful shutdown, and implements the command line
// (serve, admin, version).
package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/callimport/callimport/internal/blob"
	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/jobs"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/store/storepg"
	"github.com/callimport/callimport/internal/store/storesqlite"
)

// openStore opens and migrates the metadata store and the job tables.
func openStore(ctx context.Context, cfg config.Storage) (store.Store, error) {
	var st store.Store
	switch {
	case strings.HasPrefix(cfg.Database, "sqlite:"):
		path := strings.TrimPrefix(cfg.Database, "sqlite:")
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
		db, err := storesqlite.Open(ctx, storesqlite.Config{Path: path, Synchronous: cfg.SQLiteSynchronous})
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		st = db
	default:
		db, err := storepg.Open(ctx, storepg.Config{URL: cfg.Database})
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		st = db
	}
	if err := jobs.Migrate(ctx, st.DB(), st.Dialect()); err != nil {
		return nil, errors.Join(fmt.Errorf("migrate job tables: %w", err), st.Close())
	}
	return st, nil
}

// openBucket opens the blob store, creating the local folder if needed.
func openBucket(ctx context.Context, cfg config.Storage) (*blob.Bucket, error) {
	b, err := blob.Open(ctx, cfg.BlobURL)
	if err != nil {
		return nil, fmt.Errorf("open blob store: %w", err)
	}
	return b, nil
}
