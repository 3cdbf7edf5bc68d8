package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// KindCleanupOrphans is the kind of CleanupOrphansArgs jobs.
const KindCleanupOrphans = "cleanup_orphans"

// OrphanIntervalDefault is the default of Config.OrphanInterval.
const OrphanIntervalDefault = 10 * time.Minute

// cleanupMaxAttempts is low: the job comes back every OrphanInterval anyway.
const cleanupMaxAttempts = 3

// CleanupOrphansArgs asks for the blobs of abandoned intakes to be removed.
// It is enqueued periodically (never more than one pending at a time).
type CleanupOrphansArgs struct{}

// Kind implements river.JobArgs.
func (CleanupOrphansArgs) Kind() string { return KindCleanupOrphans }

// InsertOpts implements river.JobArgsWithInsertOpts: one pending at a time.
func (CleanupOrphansArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: cleanupMaxAttempts,
		UniqueOpts:  river.UniqueOpts{ByState: pendingStates()},
	}
}

// OrphanCleaner removes what interrupted intakes left behind (blobs written
// whose call was never committed) and returns how many it removed. An error
// is retried a few times, and the next periodic run tries again anyway.
type OrphanCleaner interface {
	CleanOrphans(ctx context.Context) (int, error)
}

// cleanupPeriodic returns the periodic job that enqueues a cleanup every
// interval and when a leader starts.
func cleanupPeriodic(interval time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(
		river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return CleanupOrphansArgs{}, nil },
		&river.PeriodicJobOpts{ID: KindCleanupOrphans, RunOnStart: true},
	)
}

// cleanupWorker runs CleanupOrphansArgs jobs.
type cleanupWorker struct {
	river.WorkerDefaults[CleanupOrphansArgs]
	orphans OrphanCleaner
	log     *slog.Logger
}

// Work implements river.Worker.
func (w *cleanupWorker) Work(ctx context.Context, job *river.Job[CleanupOrphansArgs]) error {
	log := w.log.With(slog.Int64("job_id", job.ID), slog.Int("attempt", job.Attempt))
	var n int
	err := runSafely(ctx, log, func(ctx context.Context) error {
		var err error
		n, err = w.orphans.CleanOrphans(ctx)
		return err
	})
	if err != nil {
		if interrupted(ctx) {
			return river.JobSnooze(0)
		}
		log.WarnContext(ctx, "orphan cleanup failed", slog.Int("removed", n), slog.Any("err", err))
		return fmt.Errorf("clean orphans: %w", err)
	}
	if n > 0 {
		log.InfoContext(ctx, "orphans removed", slog.Int("removed", n))
	} else {
		log.DebugContext(ctx, "no orphans")
	}
	return nil
}
