package connectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/callimport/callimport/internal/store"
)

// Scheduler runs due connector items (pull sources, export rules) so that
// any number of processes on one database never run the same item at once
// and a restart loses no schedule: each item's next run and lease live in
// the store (store.Connectors), a run starts only after an atomic claim,
// its lease is renewed while it runs, and a process that dies leaves a
// lease that lapses after Lease.
type Scheduler struct {
	Store store.Connectors
	// Owner names this process in leases; it must differ between processes.
	Owner string
	// Lease is how long a claim holds without renewal; defaults to 2 minutes
	// (renewed every third of it).
	Lease time.Duration
	Log   *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
}

// Item is one runnable thing of a kind.
type Item struct{ Key, OrgID string }

// Outcome is what a run reports to the scheduler.
type Outcome struct {
	// Imported counts new calls; more than 0 sets the feed's last import.
	Imported int
	// Next is when the item runs again.
	Next time.Time
}

func (s *Scheduler) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Scheduler) lease() time.Duration {
	if s.Lease > 0 {
		return s.Lease
	}
	return 2 * time.Minute
}

// RunDue claims each item that is due and runs it, one after the other,
// and returns the failures joined. An item claimed elsewhere is skipped.
func (s *Scheduler) RunDue(ctx context.Context, kind string, items []Item, run func(ctx context.Context, it Item) (Outcome, error)) error {
	var errs []error
	for _, it := range items {
		if ctx.Err() != nil {
			break
		}
		now := s.now()
		_, ok, err := s.Store.ScheduleClaim(ctx, store.ScheduleClaimParams{Kind: kind, Key: it.Key, OrgID: it.OrgID,
			Owner: s.Owner, Now: now, LeaseUntil: now.Add(s.lease())})
		if err != nil {
			errs = append(errs, fmt.Errorf("claim %s %s: %w", kind, it.Key, err))
			continue
		}
		if !ok {
			continue
		}
		if err := s.runClaimed(ctx, kind, it, run); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// runClaimed runs a claimed item, renewing its lease, then releases it.
func (s *Scheduler) runClaimed(ctx context.Context, kind string, it Item, run func(ctx context.Context, it Item) (Outcome, error)) error {
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(s.lease() / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if err := s.Store.ScheduleRenew(ctx, kind, it.Key, s.Owner, s.now().Add(s.lease())); err != nil {
					cancel(fmt.Errorf("lease of %s %s lost: %w", kind, it.Key, err))
					return
				}
			}
		}
	}()
	out, err := run(rctx, it)
	close(stop)
	<-renewed
	if cause := context.Cause(rctx); cause != nil && ctx.Err() == nil {
		err = errors.Join(err, cause)
	}
	finished := s.now()
	rel := store.ScheduleReleaseParams{Kind: kind, Key: it.Key, Owner: s.Owner, NextRunAt: out.Next, FinishedAt: finished}
	if out.Imported > 0 {
		rel.ImportedAt = &finished
	}
	if rel.NextRunAt.Before(finished) {
		rel.NextRunAt = finished
	}
	hctx, hcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer hcancel()
	if rerr := s.Store.ScheduleRelease(hctx, rel); rerr != nil {
		err = errors.Join(err, fmt.Errorf("release %s %s: %w", kind, it.Key, rerr))
	}
	return err
}
