package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// Defaults of Config.
const (
	WorkersDefault      = 8
	PollIntervalDefault = 50 * time.Millisecond
	JobTimeoutDefault   = 5 * time.Minute
)

// hardStopTimeout is how long Stop waits, after its deadline, for canceled
// jobs to return and their state to be recorded.
const hardStopTimeout = 5 * time.Second

// Config configures a Queue. The zero value means defaults.
type Config struct {
	// Logger receives the queue's logs and River's. Defaults to discarding.
	Logger *slog.Logger

	// Workers is the number of jobs this process runs at once. Defaults to
	// 8. Processes sharing a PostgreSQL database share the jobs: each takes
	// up to Workers at a time.
	Workers int

	// PollInterval is how often an idle process looks for new jobs (SQLite
	// and database/sql have no LISTEN/NOTIFY, so a job committed by any
	// process waits on average half of this before it starts). Each poll is
	// one small query. Defaults to 50 ms.
	PollInterval time.Duration

	// FetchCooldown is the shortest time between two fetches of jobs when
	// busy, which bounds the fetch rate under load. It cannot exceed
	// PollInterval. Defaults to PollInterval.
	FetchCooldown time.Duration

	// JobTimeout bounds one attempt of a job: its context is canceled
	// after it, and the attempt counts as failed. Defaults to 5 minutes.
	// A job still running 1 hour after it started (JobTimeout + 1 hour if
	// JobTimeout is longer) is presumed lost with its process and retried.
	JobTimeout time.Duration

	// OrphanInterval is how often orphan cleanup runs; it also runs when a
	// process becomes the leader (at start-up). Defaults to 10 minutes.
	OrphanInterval time.Duration

	// ProbeMaxAttempts is how many times a probe is attempted in all before
	// GiveUpper.GiveUp is called. Defaults to 10, which with the default
	// RetryDelay spreads retries over about 4 hours.
	ProbeMaxAttempts int

	// RetryDelay returns how long to wait before retrying a job whose
	// attempt number attempt (1 for the first) failed. Defaults to River's
	// policy: attempt⁴ seconds, plus or minus 10% jitter.
	RetryDelay func(attempt int) time.Duration

	// RescueAfter is how long a job may stay running before it is presumed
	// lost with its process and retried. Defaults to JobTimeout + 1 minute;
	// it cannot be shorter than JobTimeout.
	RescueAfter time.Duration

	// SoleWorker says that no other process works this queue (SQLite: the
	// app holds a lock on the database). Start then puts back every job left
	// running by a crash at once, instead of waiting for RescueAfter.
	SoleWorker bool

	// RetentionInterval is how often retention runs (Handlers.Privacy);
	// it also runs when a process becomes the leader. Defaults to 1 hour.
	RetentionInterval time.Duration

	// testOnly disables River's start-up jitter of maintenance services.
	testOnly bool
}

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.Workers = cmp.Or(c.Workers, WorkersDefault)
	c.PollInterval = cmp.Or(c.PollInterval, PollIntervalDefault)
	c.FetchCooldown = cmp.Or(c.FetchCooldown, c.PollInterval)
	c.JobTimeout = cmp.Or(c.JobTimeout, JobTimeoutDefault)
	c.OrphanInterval = cmp.Or(c.OrphanInterval, OrphanIntervalDefault)
	c.ProbeMaxAttempts = cmp.Or(c.ProbeMaxAttempts, ProbeMaxAttemptsDefault)
	c.RetentionInterval = cmp.Or(c.RetentionInterval, RetentionIntervalDefault)
	return c
}

// Handlers do the work of the jobs. Calls is required. Orphans may be nil,
// in which case no cleanup is scheduled or run.
type Handlers struct {
	Calls   CallProcessor
	Orphans OrphanCleaner
	// Privacy, when set, runs retention periodically and erasures.
	Privacy PrivacyWorker
}

// Queue is the job queue of one process: it enqueues jobs and, once
// started, works them together with the other processes on the database.
type Queue struct {
	client *river.Client[*sql.Tx]
	db     *sql.DB
	cfg    Config
	log    *slog.Logger
}

// New returns a Queue over db (the metadata store's pool; on SQLite it
// must have MaxOpenConns(1)) whose River tables Migrate has created. It
// can enqueue at once; it works jobs between Start and Stop. dialect is
// DialectSQLite or DialectPostgres. New does not touch the database (its
// context is unused for now).
func New(_ context.Context, db *sql.DB, dialect string, cfg Config, h Handlers) (*Queue, error) {
	cfg = cfg.withDefaults()
	if h.Calls == nil {
		return nil, errors.New("new job queue: Handlers.Calls is required")
	}
	if cfg.Workers < 1 || cfg.ProbeMaxAttempts < 1 || cfg.PollInterval < 0 ||
		cfg.FetchCooldown < 0 || cfg.JobTimeout < 0 || cfg.OrphanInterval < 0 || cfg.RetentionInterval < 0 {
		return nil, errors.New("new job queue: negative setting in Config")
	}
	if cfg.FetchCooldown > cfg.PollInterval {
		return nil, fmt.Errorf("new job queue: FetchCooldown %s exceeds PollInterval %s", cfg.FetchCooldown, cfg.PollInterval)
	}
	drv, err := newDriver(db, dialect)
	if err != nil {
		return nil, fmt.Errorf("new job queue: %w", err)
	}
	log := cfg.Logger.With(slog.String("component", "jobs"))

	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &probeWorker{calls: h.Calls, log: log}); err != nil {
		return nil, fmt.Errorf("new job queue: %w", err)
	}
	var periodic []*river.PeriodicJob
	if h.Orphans != nil {
		if err := river.AddWorkerSafely(workers, &cleanupWorker{orphans: h.Orphans, log: log}); err != nil {
			return nil, fmt.Errorf("new job queue: %w", err)
		}
		periodic = append(periodic, cleanupPeriodic(cfg.OrphanInterval))
	}
	if h.Privacy != nil {
		if err := addPrivacy(workers, &periodic, h.Privacy, cfg.RetentionInterval, log); err != nil {
			return nil, fmt.Errorf("new job queue: %w", err)
		}
	}

	rc := &river.Config{
		Logger:               cfg.Logger.With(slog.String("component", "river")),
		Workers:              workers,
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		PeriodicJobs:         periodic,
		PollOnly:             true,
		FetchPollInterval:    cfg.PollInterval,
		FetchCooldown:        cfg.FetchCooldown,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cmp.Or(cfg.RescueAfter, cfg.JobTimeout+time.Minute),
		TestOnly:             cfg.testOnly,
	}
	if cfg.RetryDelay != nil {
		rc.RetryPolicy = retryPolicy{delay: cfg.RetryDelay}
	}
	client, err := river.NewClient(drv, rc)
	if err != nil {
		return nil, fmt.Errorf("new job queue: %w", err)
	}
	return &Queue{client: client, db: db, cfg: cfg, log: log}, nil
}

// Start starts working jobs and returns. The queue runs until Stop:
// canceling ctx does not stop it, so that shutdown can be graceful.
func (q *Queue) Start(ctx context.Context) error {
	if q.cfg.SoleWorker {
		if err := q.recoverRunning(ctx); err != nil {
			return err
		}
	}
	if err := q.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start job queue: %w", err)
	}
	return nil
}

// Stop stops fetching jobs and waits for running ones to finish. If ctx ends
// first, it cancels the running jobs (which are put back without spending an
// attempt), waits up to 5 more seconds for them to return, and returns an
// error wrapping ctx's. Stopping a queue that is not running does nothing.
func (q *Queue) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if err == nil {
		return nil
	}
	if ctx.Err() == nil {
		return fmt.Errorf("stop job queue: %w", err)
	}
	q.log.WarnContext(ctx, "jobs still running at stop deadline, canceling them")
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hardStopTimeout)
	defer cancel()
	if herr := q.client.StopAndCancel(hctx); herr != nil {
		return fmt.Errorf("stop job queue: %w", errors.Join(err, herr))
	}
	return fmt.Errorf("stop job queue: running jobs canceled: %w", err)
}

// Depth counts the jobs of every kind in the states worth watching, keyed
// by state: "available" (waiting for a worker), "running", "retryable"
// (failed, waiting for their retry) and "scheduled" (waiting for their
// time). All four keys are always present.
func (q *Queue) Depth(ctx context.Context) (map[string]int, error) {
	exec := q.client.Driver().GetExecutor()
	states := []rivertype.JobState{
		rivertype.JobStateAvailable,
		rivertype.JobStateRunning,
		rivertype.JobStateRetryable,
		rivertype.JobStateScheduled,
	}
	depth := make(map[string]int, len(states))
	for _, s := range states {
		n, err := exec.JobCountByState(ctx, &riverdriver.JobCountByStateParams{State: s})
		if err != nil {
			return nil, fmt.Errorf("count %s jobs: %w", s, err)
		}
		depth[string(s)] = n
	}
	return depth, nil
}

// retryPolicy adapts Config.RetryDelay to River.
type retryPolicy struct {
	delay func(attempt int) time.Duration
}

func (p retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(p.delay(job.Attempt))
}
