package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// KindProbe is the kind of ProbeArgs jobs.
const KindProbe = "probe_call"

// ProbeMaxAttemptsDefault is the default of Config.ProbeMaxAttempts.
const ProbeMaxAttemptsDefault = 10

// giveUpTimeout bounds GiveUp, which runs on a context of its own because the
// job's may already be past its deadline.
const giveUpTimeout = 30 * time.Second

// ProbeArgs asks for a received call to be probed (imported or rejected).
// Only one probe per call may be pending (available, scheduled, running or
// retryable) at a time; enqueueing another is a no-op.
type ProbeArgs struct {
	CallID string `json:"call_id" river:"unique"`
}

// Kind implements river.JobArgs.
func (ProbeArgs) Kind() string { return KindProbe }

// InsertOpts implements river.JobArgsWithInsertOpts: unique by call id while
// not finalized.
func (ProbeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: pendingStates()}}
}

// CallProcessor probes a received call: it reads its audio and moves the call
// to imported, or to rejected when the audio is unusable (a verdict, not an
// error: it returns nil then). It returns an error for failures worth
// retrying (blob store or database unavailable); the job is then retried
// with River's backoff, up to Config.ProbeMaxAttempts attempts in all. It
// must tolerate being called again for a call it already settled.
type CallProcessor interface {
	ProcessCall(ctx context.Context, callID string) error
}

// GiveUpper is an optional capability of a CallProcessor: GiveUp is called
// with the last error once the final attempt of a call's probe has failed,
// so that the call can be marked rejected ("could not be processed") rather
// than stay received forever. Its ctx is not the job's (which may be past its
// deadline) but one bounded to 30 seconds. If GiveUp fails, the failure is
// logged and the job is discarded all the same.
type GiveUpper interface {
	GiveUp(ctx context.Context, callID string, err error) error
}

// EnqueueProbeTx enqueues a probe of callID in tx, typically the transaction
// that creates the call: the job runs once tx commits and never if it rolls
// back. It does nothing if a probe of callID is already pending. On SQLite,
// tx must come from the Queue's *sql.DB.
func (q *Queue) EnqueueProbeTx(ctx context.Context, tx *sql.Tx, callID string) error {
	if callID == "" {
		return errors.New("enqueue probe: empty call id")
	}
	res, err := q.client.InsertTx(ctx, tx, ProbeArgs{CallID: callID}, q.probeOpts())
	if err != nil {
		return fmt.Errorf("enqueue probe %s: %w", callID, err)
	}
	q.logInsert(ctx, res, callID)
	return nil
}

// EnqueueProbe enqueues a probe of callID on its own (to re-drive a call left
// received). It does nothing if a probe of callID is already pending. It
// uses a connection of its own: on SQLite, never call it while holding a
// transaction (the only connection), use EnqueueProbeTx.
func (q *Queue) EnqueueProbe(ctx context.Context, callID string) error {
	if callID == "" {
		return errors.New("enqueue probe: empty call id")
	}
	res, err := q.client.Insert(ctx, ProbeArgs{CallID: callID}, q.probeOpts())
	if err != nil {
		return fmt.Errorf("enqueue probe %s: %w", callID, err)
	}
	q.logInsert(ctx, res, callID)
	return nil
}

func (q *Queue) logInsert(ctx context.Context, res *rivertype.JobInsertResult, callID string) {
	if res.UniqueSkippedAsDuplicate {
		q.log.DebugContext(ctx, "probe already pending", slog.String("call_id", callID), slog.Int64("job_id", res.Job.ID))
	}
}

func (q *Queue) probeOpts() *river.InsertOpts {
	return &river.InsertOpts{MaxAttempts: q.cfg.ProbeMaxAttempts}
}

// probeWorker runs ProbeArgs jobs.
type probeWorker struct {
	river.WorkerDefaults[ProbeArgs]
	calls CallProcessor
	log   *slog.Logger
}

// Work implements river.Worker.
func (w *probeWorker) Work(ctx context.Context, job *river.Job[ProbeArgs]) error {
	id := job.Args.CallID
	log := w.log.With(slog.String("call_id", id), slog.Int64("job_id", job.ID), slog.Int("attempt", job.Attempt))
	err := runSafely(ctx, log, func(ctx context.Context) error { return w.calls.ProcessCall(ctx, id) })
	switch {
	case err == nil:
		return nil
	case interrupted(ctx):
		// Shutting down: put the job back without spending an attempt.
		log.InfoContext(ctx, "probe interrupted by shutdown", slog.Any("err", err))
		return river.JobSnooze(0)
	case job.Attempt < job.MaxAttempts:
		log.WarnContext(ctx, "probe failed, will retry", slog.Int("max_attempts", job.MaxAttempts), slog.Any("err", err))
		return fmt.Errorf("probe call %s: %w", id, err)
	}

	log.ErrorContext(ctx, "probe failed, giving up", slog.Int("max_attempts", job.MaxAttempts), slog.Any("err", err))
	if g, ok := w.calls.(GiveUpper); ok {
		gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), giveUpTimeout)
		defer cancel()
		gerr := runSafely(gctx, log, func(ctx context.Context) error { return g.GiveUp(ctx, id, err) })
		if gerr != nil {
			log.ErrorContext(ctx, "give up on call failed", slog.Any("err", gerr))
			err = errors.Join(err, fmt.Errorf("give up: %w", gerr))
		}
	}
	return fmt.Errorf("probe call %s: %w", id, err)
}
