package store

import (
	"context"
	"time"
)

// Schedule kinds: what a Schedule's Key names.
const (
	// ScheduleSFTPPull: Key is a pull source's id.
	ScheduleSFTPPull = "sftp_pull"
	// ScheduleGenesys: Key is the campaign id of a Genesys export rule.
	ScheduleGenesys = "genesys"
)

// Schedule is when a connector item (a pull source, an export rule) runs
// next, who runs it now (a lease), and when it last ran and imported.
// Claims are atomic in the database, so that any number of processes on
// one database never run the same item at once.
type Schedule struct {
	Kind, Key, OrgID string
	NextRunAt        time.Time
	// LeaseOwner is the process running the item ("" when free);
	// LeaseUntil is when an unrenewed lease lapses.
	LeaseOwner string
	LeaseUntil time.Time
	// LastRunAt and LastImportAt are nil before the first run and before
	// the first run that imported a call.
	LastRunAt    *time.Time
	LastImportAt *time.Time
	CreatedAt    time.Time
}

// ScheduleClaimParams asks for the lease of an item due at Now.
type ScheduleClaimParams struct {
	Kind, Key, OrgID, Owner string
	Now                     time.Time
	// LeaseUntil is when the lease lapses unless renewed.
	LeaseUntil time.Time
}

// ScheduleReleaseParams ends a run: the lease is freed and the next run set.
type ScheduleReleaseParams struct {
	Kind, Key, Owner string
	NextRunAt        time.Time
	FinishedAt       time.Time
	// ImportedAt, when set, becomes LastImportAt.
	ImportedAt *time.Time
}

// SealedSecret is one encrypted connector secret (a column of a row).
type SealedSecret struct {
	// Table and Column say where it is kept; ID is the row's key.
	Table, Column, ID string
	// OrgID is the organisation the value is bound to.
	OrgID string
	Value string
}

// Connectors is the management side of the import channels: listings per
// organisation, deletion of export rules, run scheduling with leases and
// feed health, and the sealed secrets for key rotation. The SQL backends
// implement it (on the store and inside transactions).
type Connectors interface {
	// PullSourceListByOrg returns the organisation's pull sources (enabled
	// or not) by id, only campaignID's when it is not "".
	PullSourceListByOrg(ctx context.Context, orgID, campaignID string) ([]PullSource, error)
	// GenesysRuleListByOrg returns the organisation's export rules by campaign.
	GenesysRuleListByOrg(ctx context.Context, orgID string) ([]GenesysRule, error)
	// GenesysRuleDelete removes a campaign's rule (its runs stay); a missing
	// one is not an error.
	GenesysRuleDelete(ctx context.Context, orgID, campaignID string) error

	// ScheduleClaim creates the item's schedule when missing (due at once),
	// then takes its lease if the item is due (NextRunAt <= Now) and its
	// lease is free or lapsed. ok is false when not due or leased elsewhere.
	ScheduleClaim(ctx context.Context, p ScheduleClaimParams) (s Schedule, ok bool, err error)
	// ScheduleRenew extends a held lease; ErrNotFound if owner lost it.
	ScheduleRenew(ctx context.Context, kind, key, owner string, until time.Time) error
	// ScheduleRelease frees a held lease and sets the next run; ErrNotFound
	// if owner lost it.
	ScheduleRelease(ctx context.Context, p ScheduleReleaseParams) error
	// ScheduleRunNow makes the item due at once (creating its schedule).
	// Asked while the item runs, it stays due after that run's release:
	// a claim sets NextRunAt to the lease's end and renewals move both, so
	// an earlier NextRunAt at release time is a run-now request.
	ScheduleRunNow(ctx context.Context, kind, key, orgID string, now time.Time) error
	// ScheduleGet returns ErrNotFound if the organisation's item has none.
	ScheduleGet(ctx context.Context, orgID, kind, key string) (Schedule, error)
	// ScheduleList returns the organisation's schedules of kind.
	ScheduleList(ctx context.Context, orgID, kind string) ([]Schedule, error)
	// ScheduleDelete forgets an item's schedule; missing is not an error.
	ScheduleDelete(ctx context.Context, kind, key string) error

	// SealedSecretList returns every stored sealed secret, of every
	// organisation.
	SealedSecretList(ctx context.Context) ([]SealedSecret, error)
	// SealedSecretSet replaces s.Value by value, if the row still holds
	// s.Value; ErrNotFound otherwise.
	SealedSecretSet(ctx context.Context, s SealedSecret, value string) error
}
