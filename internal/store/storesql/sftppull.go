package storesql

import (
	"context"
	"fmt"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// SFTPPullQueries are a dialect's query texts for pull sources. Column lists:
//
//	pull source: id, org_id, campaign_id, host, port, username, password_sealed,
//	  private_key_sealed, host_key_fingerprint, folder, pattern, recursive,
//	  interval_seconds, min_age_seconds, after_action, enabled, created_at, updated_at
//	pull run: id, source_id, started_at, finished_at, seen, imported, duplicates, rejected, errors
type SFTPPullQueries struct {
	// SourcePut: the pull source columns in order; upsert on id keeping
	// created_at → pull source (RETURNING).
	SourcePut    string
	SourceGet    string // org_id, id → pull source
	SourceList   string // → enabled pull sources
	SourceDelete string // org_id, id (ledger and runs cascade)
	// LedgerGet: source_id, path, size, mtime_unix → source_id, path, size,
	// mtime_unix, sha256, call_id.
	LedgerGet string
	// LedgerInsert: source_id, path, size, mtime_unix, sha256, call_id,
	// created_at; ON CONFLICT DO NOTHING.
	LedgerInsert string
	RunInsert    string // the pull run columns
	RunList      string // source_id, limit → pull runs newest first
}

var _ store.SFTPPull = (*Store)(nil)

func (q *queries) sftpPull() (*SFTPPullQueries, error) {
	if q.d.SFTPPull == nil {
		return nil, fmt.Errorf("sftp pull: %s dialect has no queries", q.d.Name)
	}
	return q.d.SFTPPull, nil
}

// PullSourcePut creates or replaces a source; ErrNotFound if the
// organisation has no such campaign.
func (q *queries) PullSourcePut(ctx context.Context, p store.PullSourcePutParams) (store.PullSource, error) {
	pq, err := q.sftpPull()
	if err != nil {
		return store.PullSource{}, err
	}
	if p.ID == "" {
		p.ID = call.NewID()
	}
	t := q.time(now())
	s, err := scanPullSource(q.ex.QueryRowContext(ctx, pq.SourcePut, p.ID, p.OrgID, p.CampaignID, p.Host, p.Port,
		p.Username, p.PasswordSealed, p.PrivateKeySealed, p.HostKeyFingerprint, p.Folder, p.Pattern, p.Recursive,
		p.IntervalSeconds, p.MinAgeSeconds, p.AfterAction, p.Enabled, t, t))
	if err != nil {
		return store.PullSource{}, q.fail(err, "put pull source %s", p.ID)
	}
	return s, nil
}

// PullSourceGet returns ErrNotFound if the organisation has no such source.
func (q *queries) PullSourceGet(ctx context.Context, orgID, id string) (store.PullSource, error) {
	pq, err := q.sftpPull()
	if err != nil {
		return store.PullSource{}, err
	}
	s, err := scanPullSource(q.ex.QueryRowContext(ctx, pq.SourceGet, orgID, id))
	if err != nil {
		return store.PullSource{}, q.fail(err, "get pull source %s", id)
	}
	return s, nil
}

// PullSourceList returns every enabled source.
func (q *queries) PullSourceList(ctx context.Context) ([]store.PullSource, error) {
	pq, err := q.sftpPull()
	if err != nil {
		return nil, err
	}
	return list(ctx, q, scanPullSource, "list pull sources", pq.SourceList)
}

// PullSourceDelete removes a source, its ledger and its runs.
func (q *queries) PullSourceDelete(ctx context.Context, orgID, id string) error {
	pq, err := q.sftpPull()
	if err != nil {
		return err
	}
	if _, err := q.ex.ExecContext(ctx, pq.SourceDelete, orgID, id); err != nil {
		return q.fail(err, "delete pull source %s", id)
	}
	return nil
}

// PullLedgerGet returns the file's ledger entry; ErrNotFound if absent.
func (q *queries) PullLedgerGet(ctx context.Context, sourceID, path string, size int64, modTime time.Time) (store.PullLedgerEntry, error) {
	pq, err := q.sftpPull()
	if err != nil {
		return store.PullLedgerEntry{}, err
	}
	var e store.PullLedgerEntry
	var mt int64
	err = q.ex.QueryRowContext(ctx, pq.LedgerGet, sourceID, path, size, modTime.Unix()).
		Scan(&e.SourceID, &e.Path, &e.Size, &mt, &e.SHA256, &e.CallID)
	if err != nil {
		return store.PullLedgerEntry{}, q.fail(err, "look up pull ledger of %s", sourceID)
	}
	e.ModTime = time.Unix(mt, 0).UTC()
	return e, nil
}

// PullLedgerAdd records a fetched file; again is not an error.
func (q *queries) PullLedgerAdd(ctx context.Context, e store.PullLedgerEntry) error {
	pq, err := q.sftpPull()
	if err != nil {
		return err
	}
	if _, err := q.ex.ExecContext(ctx, pq.LedgerInsert, e.SourceID, e.Path, e.Size, e.ModTime.Unix(),
		e.SHA256, e.CallID, q.time(now())); err != nil {
		return q.fail(err, "add to pull ledger of %s", e.SourceID)
	}
	return nil
}

// PullRunAdd records a finished run.
func (q *queries) PullRunAdd(ctx context.Context, r store.PullRun) (store.PullRun, error) {
	pq, err := q.sftpPull()
	if err != nil {
		return store.PullRun{}, err
	}
	if r.ID == "" {
		r.ID = call.NewID()
	}
	r.StartedAt, r.FinishedAt = Norm(r.StartedAt), Norm(r.FinishedAt)
	if err := q.insert(ctx, pq.RunInsert, "add pull run "+r.ID, r.ID, r.SourceID, q.time(r.StartedAt),
		q.time(r.FinishedAt), r.Seen, r.Imported, r.Duplicates, r.Rejected, r.Errors); err != nil {
		return store.PullRun{}, err
	}
	return r, nil
}

// PullRunList returns the source's last runs, newest first.
func (q *queries) PullRunList(ctx context.Context, sourceID string, limit int) ([]store.PullRun, error) {
	pq, err := q.sftpPull()
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 20
	}
	return list(ctx, q, scanPullRun, "list pull runs", pq.RunList, sourceID, limit)
}

func scanPullSource(r scanner) (store.PullSource, error) {
	var s store.PullSource
	err := r.Scan(&s.ID, &s.OrgID, &s.CampaignID, &s.Host, &s.Port, &s.Username, &s.PasswordSealed, &s.PrivateKeySealed,
		&s.HostKeyFingerprint, &s.Folder, &s.Pattern, &s.Recursive, &s.IntervalSeconds, &s.MinAgeSeconds, &s.AfterAction,
		&s.Enabled, timeCol{&s.CreatedAt}, timeCol{&s.UpdatedAt})
	return s, err
}

func scanPullRun(r scanner) (store.PullRun, error) {
	var p store.PullRun
	err := r.Scan(&p.ID, &p.SourceID, timeCol{&p.StartedAt}, timeCol{&p.FinishedAt}, &p.Seen, &p.Imported,
		&p.Duplicates, &p.Rejected, &p.Errors)
	return p, err
}
