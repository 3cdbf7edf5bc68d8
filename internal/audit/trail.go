package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/callimport/callimport/internal/store"
)

// Config configures a Trail. The zero value of each field means its default.
type Config struct {
	// Store keeps the records. Required.
	Store store.Audit
	// Logger receives write failures; defaults to discarding.
	Logger *slog.Logger
	// QueueSize bounds the events waiting to be written; defaults to 8192.
	QueueSize int
	// BatchSize bounds the events written in one transaction; defaults to 512.
	BatchSize int
	// FullWait is how long Record waits for room in a full queue before it
	// writes the event itself; defaults to 5s.
	FullWait time.Duration
	// Retries is how many times a failed batch is written again (with
	// backoff from 50ms) before its events are logged and given up; defaults to 6.
	Retries int
	// Now defaults to time.Now.
	Now func() time.Time
}

// Trail is the Recorder of the application: it appends events to the
// store's hash-chained trail. Record only queues the event; one goroutine
// writes the queue in batches (many events per transaction), so that
// recording costs a request almost nothing. When the queue is full, Record
// waits for room (up to Config.FullWait, then writes the event itself)
// rather than dropping it. Close writes what is queued.
//
// What to watch: events queued but not yet written are lost if the process
// dies (at most the queue, usually a few milliseconds' worth); the log
// says "audit write failed" when the store refuses a batch.
type Trail struct {
	cfg   Config
	log   *slog.Logger
	ctx   context.Context // the writer's: ctx of NewTrail without its cancellation
	queue chan item
	done  chan struct{}
	// mu guards closed: Record holds it shared while it sends, Close
	// exclusively to close the queue.
	mu     sync.RWMutex
	closed bool
}

// item is an event to write, or a flush marker answered once every item
// before it is written.
type item struct {
	rec   store.AuditRecord
	flush chan error
}

var _ Recorder = (*Trail)(nil)

// ErrClosed is returned by Flush after Close.
var ErrClosed = errors.New("audit trail closed")

// NewTrail starts a Trail whose writer runs under ctx's values (not its
// cancellation: Close stops it).
func NewTrail(ctx context.Context, cfg Config) *Trail {
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 8192
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 512
	}
	if cfg.FullWait <= 0 {
		cfg.FullWait = 5 * time.Second
	}
	if cfg.Retries <= 0 {
		cfg.Retries = 6
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &Trail{cfg: cfg, log: log, ctx: context.WithoutCancel(ctx), queue: make(chan item, cfg.QueueSize), done: make(chan struct{})}
	go t.run()
	return t
}

// Record queues e; it sets At to now when zero. It returns an error only
// when the event could not be kept (after Close, when writing it fails).
func (t *Trail) Record(ctx context.Context, e Event) error {
	it := item{rec: recordOf(e, t.cfg.Now)}
	t.mu.RLock()
	if t.closed {
		t.mu.RUnlock()
		return t.writeNow(ctx, it.rec)
	}
	select {
	case t.queue <- it:
		t.mu.RUnlock()
		return nil
	default:
	}
	timer := time.NewTimer(t.cfg.FullWait)
	defer timer.Stop()
	select {
	case t.queue <- it:
		t.mu.RUnlock()
		return nil
	case <-timer.C:
	}
	t.mu.RUnlock()
	t.log.WarnContext(ctx, "audit queue full: writing the event directly")
	return t.writeNow(ctx, it.rec)
}

// writeNow appends one record outside the queue.
func (t *Trail) writeNow(ctx context.Context, rec store.AuditRecord) error {
	if _, err := t.cfg.Store.AuditAppend(context.WithoutCancel(ctx), []store.AuditRecord{rec}); err != nil {
		t.lost(ctx, []store.AuditRecord{rec}, err)
		return fmt.Errorf("record audit event: %w", err)
	}
	return nil
}

// Flush returns once every event recorded before the call is written (or
// given up, which it returns as an error).
func (t *Trail) Flush(ctx context.Context) error {
	ch := make(chan error, 1)
	t.mu.RLock()
	if t.closed {
		t.mu.RUnlock()
		return ErrClosed
	}
	select {
	case t.queue <- item{flush: ch}:
		t.mu.RUnlock()
	case <-ctx.Done():
		t.mu.RUnlock()
		return fmt.Errorf("flush audit trail: %w", ctx.Err())
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return fmt.Errorf("flush audit trail: %w", ctx.Err())
	}
}

// Close writes every queued event and stops the writer; later events are
// written one by one as they come. It returns when the queue is written
// or ctx ends.
func (t *Trail) Close(ctx context.Context) error {
	t.stop()
	select {
	case <-t.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("close audit trail: %w", ctx.Err())
	}
}

// Shutdown is Close bounded by timeout, for callers that have no context.
func (t *Trail) Shutdown(timeout time.Duration) error {
	t.stop()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-t.done:
		return nil
	case <-timer.C:
		return fmt.Errorf("close audit trail: events still queued after %s", timeout)
	}
}

// stop closes the queue once.
func (t *Trail) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.closed {
		t.closed = true
		close(t.queue)
	}
}

// run writes the queue in batches until it is closed and empty.
func (t *Trail) run() {
	defer close(t.done)
	batch := make([]store.AuditRecord, 0, t.cfg.BatchSize)
	var flushes []chan error
	for first := range t.queue {
		batch, flushes = batch[:0], flushes[:0]
		add := func(it item) {
			if it.flush != nil {
				flushes = append(flushes, it.flush)
			} else {
				batch = append(batch, it.rec)
			}
		}
		add(first)
	fill:
		for len(batch) < t.cfg.BatchSize {
			select {
			case it, ok := <-t.queue:
				if !ok {
					break fill
				}
				add(it)
			default:
				break fill
			}
		}
		err := t.write(batch)
		for _, ch := range flushes {
			ch <- err
		}
	}
}

// write appends batch, retrying with backoff; given up, its events are
// logged (they hold no personal data) so that they are not lost silently.
func (t *Trail) write(batch []store.AuditRecord) error {
	if len(batch) == 0 {
		return nil
	}
	ctx := t.ctx
	delay := 50 * time.Millisecond
	var err error
	for attempt := 0; attempt <= t.cfg.Retries; attempt++ {
		if attempt > 0 {
			time.Sleep(delay)
			delay = min(2*delay, 5*time.Second)
		}
		if _, err = t.cfg.Store.AuditAppend(ctx, batch); err == nil {
			return nil
		}
		t.log.Warn("audit write failed", "events", len(batch), "attempt", attempt+1, "error", err)
	}
	t.lost(ctx, batch, err)
	return fmt.Errorf("write %d audit events: %w", len(batch), err)
}

// lost logs events that could not be written.
func (t *Trail) lost(ctx context.Context, recs []store.AuditRecord, err error) {
	for _, r := range recs {
		t.log.ErrorContext(ctx, "audit event lost", "error", err, "org_id", r.OrgID, "at", r.At,
			"actor_type", r.ActorType, "actor_id", r.ActorID, "action", r.Action, "target_type", r.TargetType,
			"target_id", r.TargetID, "outcome", r.Outcome, "source_ip", r.SourceIP)
	}
}

// recordOf turns an event into a record to append.
func recordOf(e Event, now func() time.Time) store.AuditRecord {
	at := e.At
	if at.IsZero() {
		at = now()
	}
	return store.AuditRecord{
		OrgID: e.OrgID, At: at, ActorType: e.Actor.Type, ActorID: e.Actor.ID, Action: e.Action,
		TargetType: e.TargetType, TargetID: e.TargetID, Outcome: e.Outcome, SourceIP: e.SourceIP,
		Client: ClientName(e.Client), Detail: maps.Clone(e.Detail),
	}
}
