package jobs

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestCleanupRunsPeriodically(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		rec := newRecorder()
		var runs atomic.Int32
		orphans := &fakeOrphans{CleanOrphansFunc: func(context.Context) (int, error) {
			defer rec.record("cleanup")
			if runs.Add(1) == 2 {
				return 0, errors.New("bucket unavailable") // retried, then runs on
			}
			return 1, nil
		}}
		cfg := testConfig(t)
		cfg.OrphanInterval = 150 * time.Millisecond
		startQueue(t, b, cfg, Handlers{Calls: &fakeCalls{}, Orphans: orphans})

		// The first run is on start, then one per interval; the failed
		// second run is retried at once: 4 runs over about 2 intervals.
		rec.wait(t, 1, patience)
		first := time.Now()
		rec.wait(t, 3, patience)
		if el := time.Since(first); el < cfg.OrphanInterval {
			t.Errorf("3 more runs within %s, faster than the interval %s", el, cfg.OrphanInterval)
		}
	})
}

func TestNoCleanerNoCleanup(t *testing.T) {
	t.Parallel()
	b := openSQLite(t)
	cfg := testConfig(t)
	cfg.OrphanInterval = 20 * time.Millisecond
	q := startQueue(t, b, cfg, Handlers{Calls: &fakeCalls{}})
	time.Sleep(200 * time.Millisecond)
	depth, err := q.Depth(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if depth["available"]+depth["running"]+depth["retryable"] != 0 {
		t.Errorf("depth = %v, want nothing enqueued without an OrphanCleaner", depth)
	}
}
