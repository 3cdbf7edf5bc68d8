package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

func TestProbeRunsOnlyWhenCommitted(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		rec := newRecorder()
		calls := &fakeCalls{ProcessCallFunc: func(ctx context.Context, id string) error {
			// The call's row is visible to the job, and the processor can
			// write through the same pool (one connection on SQLite).
			if err := b.setStatus(ctx, id, "imported"); err != nil {
				return err
			}
			rec.record(id)
			return nil
		}}
		q := startQueue(t, b, testConfig(t), Handlers{Calls: calls})

		b.createCall(t, q, "rolled-back", false)
		b.createCall(t, q, "committed", true)

		if got := rec.wait(t, 1, patience); got[0] != "committed" {
			t.Fatalf("processed %q, want committed", got[0])
		}
		rec.quiet(t, 5*q.cfg.PollInterval)

		var status string
		if err := b.db.QueryRowContext(t.Context(), b.q(`SELECT status FROM calls WHERE id = ?`), "committed").Scan(&status); err != nil {
			t.Fatal(err)
		}
		if status != "imported" {
			t.Errorf("status = %q, want imported", status)
		}
		// The rolled-back job does not exist: nothing is left once the
		// committed one is recorded as completed.
		waitIdle(t, q)
	})
}

func TestProbeRetriesThenGivesUp(t *testing.T) {
	t.Parallel()
	errBlob := errors.New("blob store unavailable")
	tests := []struct {
		name       string
		failFirst  int // attempts that fail (a panic on the first one)
		wantCalls  int
		wantGiveUp bool
	}{
		{name: "succeeds on last attempt", failFirst: 2, wantCalls: 3},
		{name: "gives up after last attempt", failFirst: 99, wantCalls: 3, wantGiveUp: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			forEachBackend(t, func(t *testing.T, b backend) {
				var attempts atomic.Int32
				done := newRecorder()
				gaveUp := make(chan error, 10)
				calls := &fakeCalls{
					ProcessCallFunc: func(_ context.Context, id string) error {
						n := attempts.Add(1)
						defer done.record(id)
						if int(n) > tt.failFirst {
							return nil
						}
						if n == 1 {
							panic("boom")
						}
						return fmt.Errorf("read audio: %w", errBlob)
					},
					GiveUpFunc: func(ctx context.Context, id string, err error) error {
						if ctx.Err() != nil {
							t.Errorf("GiveUp context already done: %v", ctx.Err())
						}
						if id != "c1" {
							t.Errorf("GiveUp(%q), want c1", id)
						}
						gaveUp <- err
						return nil
					},
				}
				cfg := testConfig(t)
				cfg.ProbeMaxAttempts = 3
				q := startQueue(t, b, cfg, Handlers{Calls: calls})
				b.createCall(t, q, "c1", true)

				done.wait(t, tt.wantCalls, patience)
				if tt.wantGiveUp {
					select {
					case err := <-gaveUp:
						if !errors.Is(err, errBlob) {
							t.Errorf("GiveUp err = %v, want it to wrap %v", err, errBlob)
						}
					case <-time.After(patience):
						t.Fatal("GiveUp not called")
					}
				}
				done.quiet(t, 5*cfg.PollInterval) // no further attempt
				if got := int(attempts.Load()); got != tt.wantCalls {
					t.Errorf("ProcessCall called %d times, want %d", got, tt.wantCalls)
				}
				if !tt.wantGiveUp && len(gaveUp) != 0 {
					t.Errorf("GiveUp called, want not")
				}
			})
		})
	}
}

func TestProbeUniqueWhilePending(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		rec := newRecorder()
		calls := &fakeCalls{ProcessCallFunc: func(_ context.Context, id string) error {
			rec.record(id)
			return nil
		}}
		q := newQueue(t, b, testConfig(t), Handlers{Calls: calls})
		ctx := t.Context()

		b.createCall(t, q, "c1", true)
		for range 2 {
			if err := q.EnqueueProbe(ctx, "c1"); err != nil {
				t.Fatal(err)
			}
		}
		if err := q.EnqueueProbe(ctx, "c2"); err != nil {
			t.Fatal(err)
		}
		depth, err := q.Depth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"available": 2, "running": 0, "retryable": 0, "scheduled": 0}
		if fmt.Sprint(depth) != fmt.Sprint(want) {
			t.Fatalf("depth = %v, want %v", depth, want)
		}

		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		rec.wait(t, 2, patience)
		rec.quiet(t, 5*q.cfg.PollInterval)
		waitIdle(t, q) // a running job would still block a duplicate

		// Once finished, the same call can be probed again.
		if err := q.EnqueueProbe(ctx, "c1"); err != nil {
			t.Fatal(err)
		}
		rec.wait(t, 1, patience)
		if got := rec.counts(); got["c1"] != 2 || got["c2"] != 1 {
			t.Errorf("counts = %v, want c1:2 c2:1", got)
		}
	})
}

func TestEnqueueProbeEmptyID(t *testing.T) {
	t.Parallel()
	b := openSQLite(t)
	q := newQueue(t, b, testConfig(t), Handlers{Calls: &fakeCalls{}})
	if err := q.EnqueueProbe(t.Context(), ""); err == nil {
		t.Error("EnqueueProbe(\"\") succeeded, want an error")
	}
}
