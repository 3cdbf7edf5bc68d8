package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNewRejectsBadArguments(t *testing.T) {
	t.Parallel()
	b := openSQLite(t)
	calls := &fakeCalls{}
	tests := []struct {
		name    string
		dialect string
		cfg     Config
		h       Handlers
	}{
		{name: "unknown dialect", dialect: "mysql", h: Handlers{Calls: calls}},
		{name: "no processor", dialect: DialectSQLite},
		{name: "negative workers", dialect: DialectSQLite, cfg: Config{Workers: -1}, h: Handlers{Calls: calls}},
		{name: "cooldown above poll", dialect: DialectSQLite, cfg: Config{PollInterval: time.Millisecond, FetchCooldown: time.Second}, h: Handlers{Calls: calls}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := New(t.Context(), b.db, tt.dialect, tt.cfg, tt.h); err == nil {
				t.Error("New succeeded, want an error")
			}
		})
	}
	if err := Migrate(t.Context(), b.db, "mysql"); err == nil {
		t.Error("Migrate(mysql) succeeded, want an error")
	}
}

func TestMigrateIsIdempotentAndConcurrent(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		// b is migrated already; migrate again, from two goroutines.
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for range 2 {
			wg.Go(func() { errs <- Migrate(t.Context(), b.db, b.dialect) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	})
}

func TestStopWaitsForRunningJob(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		started := newRecorder()
		release := make(chan struct{})
		var finished atomic.Bool
		calls := &fakeCalls{ProcessCallFunc: func(ctx context.Context, id string) error {
			started.record(id)
			<-release
			finished.Store(true)
			return ctx.Err()
		}}
		q := startQueue(t, b, testConfig(t), Handlers{Calls: calls})
		b.createCall(t, q, "c1", true)
		started.wait(t, 1, patience)

		stopped := make(chan error, 1)
		go func() { stopped <- q.Stop(t.Context()) }()
		select {
		case err := <-stopped:
			t.Fatalf("Stop returned %v while a job was running", err)
		case <-time.After(200 * time.Millisecond):
		}
		close(release)
		if err := <-stopped; err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if !finished.Load() {
			t.Fatal("Stop returned before the job finished")
		}
		depth, err := q.Depth(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if depth["running"] != 0 || depth["available"] != 0 || depth["retryable"] != 0 {
			t.Errorf("depth after stop = %v, want the job completed", depth)
		}
	})
}

func TestStopDeadlineCancelsWithoutSpendingAttempt(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		started := newRecorder()
		var gaveUp atomic.Bool
		blocking := &fakeCalls{
			ProcessCallFunc: func(ctx context.Context, id string) error {
				started.record(id)
				<-ctx.Done()
				return ctx.Err()
			},
			GiveUpFunc: func(context.Context, string, error) error {
				gaveUp.Store(true)
				return nil
			},
		}
		cfg := testConfig(t)
		cfg.ProbeMaxAttempts = 1 // a spent attempt would be the last
		q := startQueue(t, b, cfg, Handlers{Calls: blocking})
		b.createCall(t, q, "c1", true)
		started.wait(t, 1, patience)

		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		if err := q.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Stop = %v, want it to wrap %v", err, context.DeadlineExceeded)
		}
		if gaveUp.Load() {
			t.Fatal("GiveUp called for a job interrupted by shutdown")
		}

		// Another process picks the job up again and finishes it.
		done := newRecorder()
		startQueue(t, b, cfg, Handlers{Calls: &fakeCalls{ProcessCallFunc: func(_ context.Context, id string) error {
			done.record(id)
			return nil
		}}})
		done.wait(t, 1, patience)
	})
}

func TestTwoQueuesShareWork(t *testing.T) {
	t.Parallel()
	b := openPostgres(t)
	const n = 60
	rec := newRecorder()
	var perQueue [2]atomic.Int32
	var cleanups atomic.Int32
	orphans := &fakeOrphans{CleanOrphansFunc: func(context.Context) (int, error) {
		cleanups.Add(1)
		return 0, nil
	}}
	const interval = 250 * time.Millisecond
	begin := time.Now()
	queues := make([]*Queue, 2)
	for i := range queues {
		calls := &fakeCalls{ProcessCallFunc: func(_ context.Context, id string) error {
			perQueue[i].Add(1)
			time.Sleep(5 * time.Millisecond) // let the other queue take its share
			rec.record(id)
			return nil
		}}
		cfg := testConfig(t)
		cfg.Workers = 4
		cfg.OrphanInterval = interval
		queues[i] = startQueue(t, b, cfg, Handlers{Calls: calls, Orphans: orphans})
	}
	for i := range n {
		b.createCall(t, queues[i%2], fmt.Sprintf("c%02d", i), true)
	}
	rec.wait(t, n, patience)
	rec.quiet(t, 10*queues[0].cfg.PollInterval)
	for id, c := range rec.counts() {
		if c != 1 {
			t.Errorf("call %s processed %d times", id, c)
		}
	}
	t.Logf("jobs per queue: %d, %d", perQueue[0].Load(), perQueue[1].Load())
	if perQueue[0].Load() == 0 || perQueue[1].Load() == 0 {
		t.Errorf("one queue did all the work: %d, %d", perQueue[0].Load(), perQueue[1].Load())
	}
	// Only the leader schedules the periodic cleanup: one on start plus one
	// per interval (one more if leadership moves), not twice that.
	el := time.Since(begin)
	if got, most := int(cleanups.Load()), 3+int(el/interval); got > most {
		t.Errorf("%d cleanups in %s with an interval of %s, want at most %d", got, el, interval, most)
	}
	t.Logf("cleanups in %s: %d", el, cleanups.Load())
}

// TestSQLiteSingleConnection runs many jobs that use the database while
// more calls are committed, all through one connection: nothing deadlocks.
func TestSQLiteSingleConnection(t *testing.T) {
	t.Parallel()
	b := openSQLite(t)
	if got := b.db.Stats().MaxOpenConnections; got != 1 {
		t.Fatalf("MaxOpenConnections = %d, want 1", got)
	}
	const n = 40
	rec := newRecorder()
	calls := &fakeCalls{ProcessCallFunc: func(ctx context.Context, id string) error {
		if err := b.setStatus(ctx, id, "imported"); err != nil {
			return err
		}
		rec.record(id)
		return nil
	}}
	cfg := testConfig(t)
	cfg.Workers = 8
	cfg.OrphanInterval = 50 * time.Millisecond
	q := startQueue(t, b, cfg, Handlers{Calls: calls, Orphans: &fakeOrphans{CleanOrphansFunc: func(ctx context.Context) (int, error) {
		var c int
		err := b.db.QueryRowContext(ctx, `SELECT count(*) FROM calls`).Scan(&c)
		return 0, err
	}}})

	ctx, cancel := context.WithTimeout(t.Context(), patience)
	defer cancel()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range n / 4 {
				id := fmt.Sprintf("w%d-%02d", w, i)
				if err := createCallCtx(ctx, b, q, id); err != nil {
					t.Errorf("create %s: %v", id, err)
					return
				}
			}
		})
	}
	wg.Wait()
	rec.wait(t, n, patience)
	var imported int
	if err := b.db.QueryRowContext(ctx, `SELECT count(*) FROM calls WHERE status = 'imported'`).Scan(&imported); err != nil {
		t.Fatal(err)
	}
	if imported != n {
		t.Errorf("%d calls imported, want %d", imported, n)
	}
}

// createCallCtx is createCall for goroutines (no t.Fatal).
func createCallCtx(ctx context.Context, b backend, q *Queue, id string) error {
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, b.q(`INSERT INTO calls (id, status) VALUES (?, 'received')`), id); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	if err := q.EnqueueProbeTx(ctx, tx, id); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}
