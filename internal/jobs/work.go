package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// pendingStates are the states in which a unique job blocks a duplicate: all
// but the final ones, so that a finished job can be enqueued again.
func pendingStates() []rivertype.JobState {
	return []rivertype.JobState{
		rivertype.JobStateAvailable,
		rivertype.JobStatePending,
		rivertype.JobStateRetryable,
		rivertype.JobStateRunning,
		rivertype.JobStateScheduled,
	}
}

// runSafely runs fn, turning a panic into an error (logged with its stack)
// so that a panicking handler counts as a failed attempt like any other.
func runSafely(ctx context.Context, log *slog.Logger, fn func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			log.ErrorContext(ctx, "job handler panicked", slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return fn(ctx)
}

// interrupted reports whether the job's context was canceled because the
// Queue is stopping (rather than by the job's timeout or a remote cancel).
func interrupted(ctx context.Context) bool {
	return errors.Is(ctx.Err(), context.Canceled) &&
		!errors.Is(context.Cause(ctx), river.ErrJobCancelledRemotely)
}
