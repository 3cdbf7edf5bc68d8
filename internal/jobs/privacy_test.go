package jobs

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// fakePrivacy is a PrivacyWorker whose behavior is set per test.
type fakePrivacy struct {
	EnforceRetentionFunc func(ctx context.Context) (int, error)
	RunErasureFunc       func(ctx context.Context, id string) error
	FailErasureFunc      func(ctx context.Context, id string, cause error) error
}

func (f *fakePrivacy) EnforceRetention(ctx context.Context) (int, error) {
	if f.EnforceRetentionFunc == nil {
		return 0, nil
	}
	return f.EnforceRetentionFunc(ctx)
}

func (f *fakePrivacy) RunErasure(ctx context.Context, id string) error {
	return f.RunErasureFunc(ctx, id)
}

func (f *fakePrivacy) FailErasure(ctx context.Context, id string, cause error) error {
	return f.FailErasureFunc(ctx, id, cause)
}

// TestRetentionRunsPeriodically: on start, then every RetentionInterval.
func TestRetentionRunsPeriodically(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		rec := newRecorder()
		p := &fakePrivacy{EnforceRetentionFunc: func(context.Context) (int, error) { rec.record("retention"); return 0, nil }}
		cfg := testConfig(t)
		cfg.RetentionInterval = 150 * time.Millisecond
		startQueue(t, b, cfg, Handlers{Calls: &fakeCalls{}, Privacy: p})
		rec.wait(t, 2, patience) // the run on start, then a periodic one
	})
}

// TestErasureJob: an erasure enqueued in a transaction runs once it
// commits, never if it rolls back; failures are retried, and the last one
// marks the erasure failed.
func TestErasureJob(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		rec := newRecorder()
		var attempts atomic.Int32
		p := &fakePrivacy{
			RunErasureFunc: func(_ context.Context, id string) error {
				rec.record("run " + id)
				if id == "bad" {
					attempts.Add(1)
					return errors.New("blob store down")
				}
				return nil
			},
			FailErasureFunc: func(_ context.Context, id string, cause error) error {
				if cause == nil {
					t.Error("FailErasure without a cause")
				}
				rec.record("failed " + id)
				return nil
			},
		}
		q := startQueue(t, b, testConfig(t), Handlers{Calls: &fakeCalls{}, Privacy: p})
		for _, tc := range []struct {
			id     string
			commit bool
		}{{"gone", false}, {"ok", true}, {"bad", true}} {
			tx, err := b.db.BeginTx(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := q.EnqueueErasureTx(t.Context(), tx, tc.id); err != nil {
				t.Fatal(err)
			}
			if tc.commit {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		rec.wait(t, 1+erasureMaxAttempts+1, patience)
		waitIdle(t, q)
		want := map[string]int{"run ok": 1, "run bad": erasureMaxAttempts, "failed bad": 1}
		got := rec.counts()
		if len(got) != len(want) || got["run ok"] != 1 || got["run bad"] != erasureMaxAttempts || got["failed bad"] != 1 {
			t.Errorf("runs %v, want %v", got, want)
		}
	})
}
