package store

import (
	"context"
	"time"
)

// PullSource is a campaign's pull source: a customer's SFTP server the
// service fetches recordings from (internal/source/sftppull). The secrets
// are sealed by the channel; the store never sees them in clear.
type PullSource struct {
	ID         string
	OrgID      string
	CampaignID string
	Host       string
	Port       int
	Username   string
	// PasswordSealed and PrivateKeySealed are encrypted by the channel; ""
	// when unused.
	PasswordSealed   string
	PrivateKeySealed string
	// HostKeyFingerprint is the required "SHA256:..." of the server's key.
	HostKeyFingerprint string
	Folder             string
	Pattern            string
	Recursive          bool
	IntervalSeconds    int
	MinAgeSeconds      int
	// AfterAction is "delete", "keep" or "move:<folder>".
	AfterAction string
	Enabled     bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// PullSourcePutParams creates or replaces a source (all fields but the
// times); ID is generated when empty.
type PullSourcePutParams struct {
	ID, OrgID, CampaignID, Host string
	Port                        int
	Username                    string
	PasswordSealed              string
	PrivateKeySealed            string
	HostKeyFingerprint          string
	Folder, Pattern             string
	Recursive                   bool
	IntervalSeconds             int
	MinAgeSeconds               int
	AfterAction                 string
	Enabled                     bool
}

// PullLedgerEntry is one remote file a source has fetched. The file is
// known by its path, size and modification time (whole seconds).
type PullLedgerEntry struct {
	SourceID string
	Path     string
	Size     int64
	ModTime  time.Time
	SHA256   string
	// CallID is "" when the intake refused the file.
	CallID string
}

// PullRun is one run in a source's history.
type PullRun struct {
	ID         string
	SourceID   string
	StartedAt  time.Time
	FinishedAt time.Time
	Seen       int
	Imported   int
	Duplicates int
	Rejected   int
	// Errors is the run's failures, one a line; "" when none.
	Errors string
}

// SFTPPull stores pull sources, their ledger and their run history. The SQL
// backends implement it; the channel asserts it on its store.Store.
type SFTPPull interface {
	// PullSourcePut creates or replaces a source (keeping its creation
	// time); ErrNotFound if the organisation has no such campaign.
	PullSourcePut(ctx context.Context, p PullSourcePutParams) (PullSource, error)
	// PullSourceGet returns ErrNotFound if the organisation has no such source.
	PullSourceGet(ctx context.Context, orgID, id string) (PullSource, error)
	// PullSourceList returns every enabled source of every organisation,
	// for the scheduler.
	PullSourceList(ctx context.Context) ([]PullSource, error)
	// PullSourceDelete removes a source with its ledger and runs; a missing
	// one is not an error.
	PullSourceDelete(ctx context.Context, orgID, id string) error
	// PullLedgerGet returns the entry of this file (path, size and
	// modification time); ErrNotFound if the source never fetched it.
	PullLedgerGet(ctx context.Context, sourceID, path string, size int64, modTime time.Time) (PullLedgerEntry, error)
	// PullLedgerAdd records a fetched file; recording it again is not an
	// error. ErrNotFound if the source does not exist.
	PullLedgerAdd(ctx context.Context, e PullLedgerEntry) error
	// PullRunAdd records a finished run; ID is generated when empty.
	PullRunAdd(ctx context.Context, r PullRun) (PullRun, error)
	// PullRunList returns the source's last runs, newest first (limit
	// defaults to 20).
	PullRunList(ctx context.Context, sourceID string, limit int) ([]PullRun, error)
}
