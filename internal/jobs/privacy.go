package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// Kinds of the privacy jobs.
const (
	KindRetention = "enforce_retention"
	KindErasure   = "erase_calls"
)

// RetentionIntervalDefault is the default of Config.RetentionInterval.
const RetentionIntervalDefault = time.Hour

// erasureMaxAttempts spreads retries over about 10 minutes with River's
// default policy before the erasure is marked failed.
const erasureMaxAttempts = 5

// PrivacyWorker does the work of the privacy jobs (internal/privacy).
type PrivacyWorker interface {
	// EnforceRetention deletes the calls past their campaign's retention
	// and returns how many; it must be safe to run again after a failure.
	EnforceRetention(ctx context.Context) (int, error)
	// RunErasure does an erasure; an error is retried.
	RunErasure(ctx context.Context, erasureID string) error
	// FailErasure marks an erasure failed once its last attempt failed.
	FailErasure(ctx context.Context, erasureID string, cause error) error
}

// RetentionArgs asks for retention to be enforced; periodic, one pending at
// a time.
type RetentionArgs struct{}

// Kind implements river.JobArgs.
func (RetentionArgs) Kind() string { return KindRetention }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (RetentionArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: cleanupMaxAttempts, UniqueOpts: river.UniqueOpts{ByState: pendingStates()}}
}

// ErasureArgs asks for an erasure to be done. It holds the erasure's id
// only: what is searched for stays in the erasures table, which forgets it
// when the erasure ends.
type ErasureArgs struct {
	ErasureID string `json:"erasure_id" river:"unique"`
}

// Kind implements river.JobArgs.
func (ErasureArgs) Kind() string { return KindErasure }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (ErasureArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: erasureMaxAttempts,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: pendingStates()}}
}

// EnqueueErasureTx enqueues the job of an erasure in tx, the transaction
// that records it. On SQLite, tx must come from the Queue's *sql.DB.
func (q *Queue) EnqueueErasureTx(ctx context.Context, tx *sql.Tx, erasureID string) error {
	if erasureID == "" {
		return errors.New("enqueue erasure: empty id")
	}
	if _, err := q.client.InsertTx(ctx, tx, ErasureArgs{ErasureID: erasureID}, nil); err != nil {
		return fmt.Errorf("enqueue erasure %s: %w", erasureID, err)
	}
	return nil
}

// addPrivacy registers the privacy workers and the periodic retention job.
func addPrivacy(workers *river.Workers, periodic *[]*river.PeriodicJob, p PrivacyWorker, interval time.Duration, log *slog.Logger) error {
	if err := river.AddWorkerSafely(workers, &retentionWorker{p: p, log: log}); err != nil {
		return err
	}
	if err := river.AddWorkerSafely(workers, &erasureWorker{p: p, log: log}); err != nil {
		return err
	}
	*periodic = append(*periodic, river.NewPeriodicJob(
		river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return RetentionArgs{}, nil },
		&river.PeriodicJobOpts{ID: KindRetention, RunOnStart: true},
	))
	return nil
}

type retentionWorker struct {
	river.WorkerDefaults[RetentionArgs]
	p   PrivacyWorker
	log *slog.Logger
}

// Work implements river.Worker.
func (w *retentionWorker) Work(ctx context.Context, job *river.Job[RetentionArgs]) error {
	log := w.log.With(slog.Int64("job_id", job.ID), slog.Int("attempt", job.Attempt))
	var n int
	err := runSafely(ctx, log, func(ctx context.Context) error {
		var err error
		n, err = w.p.EnforceRetention(ctx)
		return err
	})
	if err != nil {
		if interrupted(ctx) {
			return river.JobSnooze(0)
		}
		log.WarnContext(ctx, "retention failed", slog.Int("deleted", n), slog.Any("err", err))
		return fmt.Errorf("enforce retention: %w", err)
	}
	log.DebugContext(ctx, "retention enforced", slog.Int("deleted", n))
	return nil
}

type erasureWorker struct {
	river.WorkerDefaults[ErasureArgs]
	p   PrivacyWorker
	log *slog.Logger
}

// Work implements river.Worker.
func (w *erasureWorker) Work(ctx context.Context, job *river.Job[ErasureArgs]) error {
	id := job.Args.ErasureID
	log := w.log.With(slog.String("erasure_id", id), slog.Int64("job_id", job.ID), slog.Int("attempt", job.Attempt))
	err := runSafely(ctx, log, func(ctx context.Context) error { return w.p.RunErasure(ctx, id) })
	switch {
	case err == nil:
		return nil
	case interrupted(ctx):
		return river.JobSnooze(0)
	case job.Attempt < job.MaxAttempts:
		log.WarnContext(ctx, "erasure failed, will retry", slog.Any("err", err))
		return fmt.Errorf("erasure %s: %w", id, err)
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), giveUpTimeout)
	defer cancel()
	if ferr := w.p.FailErasure(fctx, id, err); ferr != nil {
		err = errors.Join(err, fmt.Errorf("mark failed: %w", ferr))
	}
	return fmt.Errorf("erasure %s: %w", id, err)
}
