package storesql

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// Syncer is group commit for SQLite: connections run with synchronous=NORMAL
// (a commit writes the WAL without waiting for the disk), and every write
// that is acknowledged to someone waits for one synced commit that makes the
// whole WAL, and so every commit before it, durable. Concurrent writers
// share that wait, so 32 uploads cost one fsync instead of 32.
//
// With a WAL file (NewWALSyncer) the wait is an fdatasync of that file,
// which is what a synced commit does in WAL mode, without taking the
// single writer connection for a barrier commit; the barrier commit is kept
// for the first flush and whenever the WAL file was replaced, since SQLite
// then also makes the new file's directory entry durable.
type Syncer struct {
	db      *sql.DB
	query   string
	wal     *walFile // nil: every flush is a barrier commit
	mu      sync.Mutex
	waiters []chan error
	running bool
	closed  bool
}

// NewSyncer returns a Syncer over the writer pool db; barrier is a write
// statement that Sync commits with synchronous=FULL.
func NewSyncer(db *sql.DB, barrier string) *Syncer { return &Syncer{db: db, query: barrier} }

// NewWALSyncer is NewSyncer for a database in WAL mode whose write-ahead
// log is the file walPath: flushes fdatasync it (see Syncer).
func NewWALSyncer(db *sql.DB, barrier, walPath string) *Syncer {
	return &Syncer{db: db, query: barrier, wal: &walFile{path: walPath}}
}

// Sync returns once every commit made before the call is on disk.
func (s *Syncer) Sync(ctx context.Context) error {
	ch := make(chan error, 1)
	s.mu.Lock()
	s.waiters = append(s.waiters, ch)
	if !s.running {
		s.running = true
		go s.loop(context.WithoutCancel(ctx))
	}
	s.mu.Unlock()
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return fmt.Errorf("wait for durability: %w", ctx.Err())
	}
}

func (s *Syncer) loop(ctx context.Context) {
	for {
		s.mu.Lock()
		batch := s.waiters
		s.waiters = nil
		if len(batch) == 0 {
			s.running = false
			if s.closed && s.wal != nil {
				s.wal.close()
			}
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		err := s.flush(ctx)
		for _, ch := range batch {
			ch <- err
		}
	}
}

// Close releases the WAL file once no flush is running; Sync still works
// after it, with barrier commits.
func (s *Syncer) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if !s.running && s.wal != nil {
		s.wal.close()
	}
}

// flush makes every commit before it durable: an fdatasync of the WAL
// file when it is the one synced before, else a barrier commit.
func (s *Syncer) flush(ctx context.Context) error {
	if s.wal == nil {
		return s.barrier(ctx)
	}
	if ok, err := s.wal.sync(); ok || err != nil {
		return err
	}
	if err := s.barrier(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if !closed {
		s.wal.adopt()
	}
	return nil
}

// barrier commits the barrier statement with synchronous=FULL, which fsyncs
// the WAL with every frame written before it.
func (s *Syncer) barrier(ctx context.Context) error {
	c, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "PRAGMA synchronous=FULL"); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	_, err = c.ExecContext(ctx, s.query)
	if _, resetErr := c.ExecContext(ctx, "PRAGMA synchronous=NORMAL"); err == nil && resetErr != nil {
		err = resetErr
	}
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	return nil
}

type lazyKey struct{}

// lazy marks ctx for writes that need no durability of their own (intake
// bookkeeping): a later synced commit carries them, and losing them in a
// power cut costs nothing but an orphan sweep.
func lazy(ctx context.Context) context.Context { return context.WithValue(ctx, lazyKey{}, true) }

func isLazy(ctx context.Context) bool { v, _ := ctx.Value(lazyKey{}).(bool); return v }

// durable waits for the Syncer, if the store has one, unless ctx is lazy.
func (q *queries) durable(ctx context.Context) error {
	if q.syncer == nil || isLazy(ctx) {
		return nil
	}
	return q.syncer.Sync(ctx)
}
