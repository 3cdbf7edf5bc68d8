// Package jobs runs callimport's background work on River
// (github.com/riverqueue/river), in the same database as the metadata store:
// SQLite through riversqlite, PostgreSQL through riverdatabasesql (pgx's
// database/sql driver). Jobs are enqueued in the transaction that commits
// their data, so a job exists if and only if its data does.
//
// # Set-up
//
// Run Migrate once at start-up (it is idempotent and safe to run from several
// processes at once on PostgreSQL), then build a Queue with New, Start it,
// and Stop it on shutdown with a deadline:
//
//	if err := jobs.Migrate(ctx, st.DB(), st.Dialect()); err != nil { ... }
//	q, err := jobs.New(ctx, st.DB(), st.Dialect(), jobs.Config{Logger: log},
//		jobs.Handlers{Calls: processor, Orphans: cleaner})
//	if err := q.Start(ctx); err != nil { ... }
//	defer q.Stop(shutdownCtx)
//
// Ingest calls EnqueueProbeTx inside the transaction that creates the call.
// The work itself is done by the interfaces in Handlers; this package knows
// nothing about audio or blobs.
//
// # Kinds
//
// One file per job kind: probe.go ("probe_call", retried with River's
// backoff up to Config.ProbeMaxAttempts, then GiveUpper.GiveUp) and
// cleanup.go ("cleanup_orphans", periodic every Config.OrphanInterval and on
// start), privacy.go ("enforce_retention", periodic every
// Config.RetentionInterval and on start, and "erase_calls", enqueued with
// EnqueueErasureTx, both run by Handlers.Privacy when set). Periodic jobs are enqueued by the River leader only, so several
// processes sharing one PostgreSQL database do not multiply them; every
// process works jobs of every kind, so all processes sharing a database must
// be given the same Handlers.
//
// # Latency and load
//
// SQLite and database/sql have no LISTEN/NOTIFY, so each process polls for
// new jobs every Config.PollInterval (50 ms by default): expect a job to
// start about half of that after its commit, and one small query per poll
// per process. On SQLite the *sql.DB must have MaxOpenConns(1) (River and the
// store then take turns on the one connection; River holds it only for short
// statements, never while a job runs).
//
// # What to watch
//
// Depth reports available, running, retryable and scheduled jobs: a growing
// "available" count means the workers cannot keep up (raise Config.Workers
// or add processes); a growing "retryable" count means a dependency (blob
// store, database) is failing. Failed and given-up jobs are logged at warn
// and error level with call_id and job_id.
package jobs
