package storepg

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// testSchemaPrefix starts the name of every test schema, followed by its
// creation time in Unix seconds and a random suffix.
const (
	testSchemaPrefix = "callimport_test_"
	testSchemaMaxAge = 3 * time.Hour
)

// testSchemas is the process's pool of test schemas. It is package state
// because test helpers have no other place to keep it (as River's
// riverdbtest); production code never touches it.
var testSchemas = &schemaPool{conns: map[string]*sql.DB{}, free: map[string][]string{}}

type schemaPool struct {
	mu    sync.Mutex
	conns map[string]*sql.DB  // base URL → admin pool, kept for the process
	free  map[string][]string // base URL → emptied schemas
}

// conn returns the admin pool of base, reaping old schemas the first time.
func (p *schemaPool) conn(ctx context.Context, base string) (*sql.DB, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if db, ok := p.conns[base]; ok {
		return db, nil
	}
	cc, err := pgx.ParseConfig(base)
	if err != nil {
		return nil, fmt.Errorf("parse postgres url: %w", err)
	}
	db := stdlib.OpenDB(*cc)
	db.SetMaxOpenConns(2)
	if err := reapTestSchemas(ctx, db); err != nil {
		_ = db.Close()
		return nil, err
	}
	p.conns[base] = db
	return db, nil
}

// get returns an empty schema: a free one, or a new one.
func (p *schemaPool) get(ctx context.Context, base string) (string, error) {
	db, err := p.conn(ctx, base)
	if err != nil {
		return "", err
	}
	p.mu.Lock()
	if n := len(p.free[base]); n > 0 {
		s := p.free[base][n-1]
		p.free[base] = p.free[base][:n-1]
		p.mu.Unlock()
		return s, nil
	}
	p.mu.Unlock()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	s := testSchemaPrefix + strconv.FormatInt(time.Now().Unix(), 10) + "_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+s); err != nil {
		return "", fmt.Errorf("create schema %s: %w", s, err)
	}
	return s, nil
}

// put deletes every row of schema (but the migration records) and frees
// it; a schema that cannot be emptied is dropped.
func (p *schemaPool) put(ctx context.Context, base, schema string) error {
	db, err := p.conn(ctx, base)
	if err != nil {
		return err
	}
	if err := emptySchema(ctx, db, schema); err != nil {
		if _, dropErr := db.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); dropErr != nil {
			return fmt.Errorf("empty schema %s: %w; drop: %w", schema, err, dropErr)
		}
		return nil
	}
	p.mu.Lock()
	p.free[base] = append(p.free[base], schema)
	p.mu.Unlock()
	return nil
}

// emptySchema deletes the rows of every table of schema but the migration
// records, referencing tables first. DELETE is much cheaper than TRUNCATE
// on the few rows a test leaves.
func emptySchema(ctx context.Context, db *sql.DB, schema string) error {
	tables, err := queryStrings(ctx, db, `SELECT tablename FROM pg_tables
		WHERE schemaname = $1 AND tablename NOT IN ('schema_migrations', 'river_migration')`, schema)
	if err != nil {
		return err
	}
	rows, err := db.QueryContext(ctx, `SELECT c.relname, p.relname
		FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid
		JOIN pg_class p ON p.oid = k.confrelid
		JOIN pg_namespace n ON n.oid = k.connamespace
		WHERE k.contype = 'f' AND n.nspname = $1 AND k.conrelid <> k.confrelid`, schema)
	if err != nil {
		return fmt.Errorf("list foreign keys: %w", err)
	}
	defer rows.Close()
	refs := map[string][]string{} // parent → children
	for rows.Next() {
		var child, parent string
		if err := rows.Scan(&child, &parent); err != nil {
			return fmt.Errorf("list foreign keys: %w", err)
		}
		refs[parent] = append(refs[parent], child)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list foreign keys: %w", err)
	}
	// Depth-first: a table is emptied after the tables that reference it.
	var order []string
	done := map[string]bool{}
	var visit func(string)
	visit = func(t string) {
		if done[t] {
			return
		}
		done[t] = true
		for _, c := range refs[t] {
			visit(c)
		}
		order = append(order, t)
	}
	for _, t := range tables {
		visit(t)
	}
	var b strings.Builder
	for _, t := range order {
		if t == "schema_migrations" || t == "river_migration" {
			continue
		}
		b.WriteString("DELETE FROM " + pgx.Identifier{schema, t}.Sanitize() + ";\n")
	}
	if b.Len() == 0 {
		return nil
	}
	if _, err := db.ExecContext(ctx, "BEGIN;\n"+b.String()+"COMMIT;"); err != nil {
		return fmt.Errorf("delete rows: %w", err)
	}
	return nil
}

// reapTestSchemas drops the test schemas created more than testSchemaMaxAge
// ago, which a test process left behind.
func reapTestSchemas(ctx context.Context, db *sql.DB) error {
	names, err := queryStrings(ctx, db, `SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`, testSchemaPrefix)
	if err != nil {
		return err
	}
	for _, n := range names {
		ts, _, _ := strings.Cut(strings.TrimPrefix(n, testSchemaPrefix), "_")
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || time.Since(time.Unix(sec, 0)) < testSchemaMaxAge {
			continue
		}
		if _, err := db.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{n}.Sanitize()+" CASCADE"); err != nil {
			return fmt.Errorf("drop old test schema %s: %w", n, err)
		}
	}
	return nil
}

func queryStrings(ctx context.Context, db *sql.DB, query string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rows: %w", err)
	}
	return out, nil
}
