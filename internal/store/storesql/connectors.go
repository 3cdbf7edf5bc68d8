package storesql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/callimport/callimport/internal/store"
)

// ConnectorsQueries are a dialect's query texts for store.Connectors.
// Column list of a schedule: kind, item_id, org_id, next_run_at,
// lease_owner, lease_until, last_run_at, last_import_at, created_at.
type ConnectorsQueries struct {
	PullSourceListByOrg  string // org_id, campaign_id ("" = all) → pull sources by id
	GenesysRuleListByOrg string // org_id → rules by campaign_id
	GenesysRuleDelete    string // org_id, campaign_id
	// ScheduleEnsure: kind, item_id, org_id, next_run_at, lease_until,
	// created_at; ON CONFLICT DO NOTHING.
	ScheduleEnsure string
	// ScheduleClaim: owner, lease_until, kind, item_id, now → schedule
	// (RETURNING), only if next_run_at <= now and the lease is free or lapsed.
	ScheduleClaim string
	// ScheduleRenew: lease_until, kind, item_id, owner.
	ScheduleRenew string
	// ScheduleRelease: next_run_at, last_run_at, last_import_at (NULL keeps
	// it), kind, item_id, owner.
	ScheduleRelease string
	// ScheduleRunNow: next_run_at, kind, item_id.
	ScheduleRunNow string
	ScheduleGet    string // org_id, kind, item_id → schedule
	ScheduleList   string // org_id, kind → schedules
	ScheduleDelete string // kind, item_id
	// SecretList → table, column, id, org_id, value of every sealed secret.
	SecretList string
	// SecretSet maps "table.column" to: value, id, old value.
	SecretSet map[string]string
}

var _ store.Connectors = (*Store)(nil)
var _ store.Connectors = (*Tx)(nil)

func (q *queries) connectors() (*ConnectorsQueries, error) {
	if q.d.Connectors == nil {
		return nil, fmt.Errorf("connectors: %s dialect has no queries", q.d.Name)
	}
	return q.d.Connectors, nil
}

// PullSourceListByOrg returns the organisation's sources.
func (q *queries) PullSourceListByOrg(ctx context.Context, orgID, campaignID string) ([]store.PullSource, error) {
	cq, err := q.connectors()
	if err != nil {
		return nil, err
	}
	return list(ctx, q, scanPullSource, "list pull sources of "+orgID, cq.PullSourceListByOrg, orgID, campaignID)
}

// GenesysRuleListByOrg returns the organisation's export rules.
func (q *queries) GenesysRuleListByOrg(ctx context.Context, orgID string) ([]store.GenesysRule, error) {
	cq, err := q.connectors()
	if err != nil {
		return nil, err
	}
	return list(ctx, q, scanGenesysRule, "list genesys rules of "+orgID, cq.GenesysRuleListByOrg, orgID)
}

// GenesysRuleDelete removes a campaign's rule.
func (q *queries) GenesysRuleDelete(ctx context.Context, orgID, campaignID string) error {
	cq, err := q.connectors()
	if err != nil {
		return err
	}
	if _, err := q.ex.ExecContext(ctx, cq.GenesysRuleDelete, orgID, campaignID); err != nil {
		return q.fail(err, "delete genesys rule of %s", campaignID)
	}
	return nil
}

// ScheduleClaim takes the item's lease if it is due and free.
func (q *queries) ScheduleClaim(ctx context.Context, p store.ScheduleClaimParams) (store.Schedule, bool, error) {
	cq, err := q.connectors()
	if err != nil {
		return store.Schedule{}, false, err
	}
	if _, err := q.ex.ExecContext(ctx, cq.ScheduleEnsure, p.Kind, p.Key, p.OrgID, q.time(p.Now), q.time(p.Now),
		q.time(p.Now)); err != nil {
		return store.Schedule{}, false, q.fail(err, "create schedule of %s %s", p.Kind, p.Key)
	}
	s, err := scanSchedule(q.ex.QueryRowContext(ctx, cq.ScheduleClaim, p.Owner, q.time(p.LeaseUntil), p.Kind, p.Key, q.time(p.Now)))
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return store.Schedule{}, false, nil
		}
		return store.Schedule{}, false, q.fail(err, "claim %s %s", p.Kind, p.Key)
	}
	return s, true, nil
}

// ScheduleRenew extends a held lease.
func (q *queries) ScheduleRenew(ctx context.Context, kind, key, owner string, until time.Time) error {
	cq, err := q.connectors()
	if err != nil {
		return err
	}
	return q.update(ctx, cq.ScheduleRenew, "renew lease of "+kind+" "+key, q.time(until), kind, key, owner)
}

// ScheduleRelease frees a held lease and sets the next run.
func (q *queries) ScheduleRelease(ctx context.Context, p store.ScheduleReleaseParams) error {
	cq, err := q.connectors()
	if err != nil {
		return err
	}
	return q.update(ctx, cq.ScheduleRelease, "release lease of "+p.Kind+" "+p.Key, q.time(p.NextRunAt),
		q.time(p.FinishedAt), q.timePtr(p.ImportedAt), p.Kind, p.Key, p.Owner)
}

// ScheduleRunNow makes the item due at once.
func (q *queries) ScheduleRunNow(ctx context.Context, kind, key, orgID string, now time.Time) error {
	cq, err := q.connectors()
	if err != nil {
		return err
	}
	if _, err := q.ex.ExecContext(ctx, cq.ScheduleEnsure, kind, key, orgID, q.time(now), q.time(now), q.time(now)); err != nil {
		return q.fail(err, "create schedule of %s %s", kind, key)
	}
	return q.update(ctx, cq.ScheduleRunNow, "run "+kind+" "+key+" now", q.time(now), kind, key)
}

// ScheduleGet returns the organisation's item's schedule.
func (q *queries) ScheduleGet(ctx context.Context, orgID, kind, key string) (store.Schedule, error) {
	cq, err := q.connectors()
	if err != nil {
		return store.Schedule{}, err
	}
	s, err := scanSchedule(q.ex.QueryRowContext(ctx, cq.ScheduleGet, orgID, kind, key))
	if err != nil {
		return store.Schedule{}, q.fail(err, "get schedule of %s %s", kind, key)
	}
	return s, nil
}

// ScheduleList returns the organisation's schedules of kind.
func (q *queries) ScheduleList(ctx context.Context, orgID, kind string) ([]store.Schedule, error) {
	cq, err := q.connectors()
	if err != nil {
		return nil, err
	}
	return list(ctx, q, scanSchedule, "list schedules", cq.ScheduleList, orgID, kind)
}

// ScheduleDelete forgets an item's schedule.
func (q *queries) ScheduleDelete(ctx context.Context, kind, key string) error {
	cq, err := q.connectors()
	if err != nil {
		return err
	}
	if _, err := q.ex.ExecContext(ctx, cq.ScheduleDelete, kind, key); err != nil {
		return q.fail(err, "delete schedule of %s %s", kind, key)
	}
	return nil
}

// SealedSecretList returns every sealed secret.
func (q *queries) SealedSecretList(ctx context.Context) ([]store.SealedSecret, error) {
	cq, err := q.connectors()
	if err != nil {
		return nil, err
	}
	return list(ctx, q, func(r scanner) (store.SealedSecret, error) {
		var s store.SealedSecret
		err := r.Scan(&s.Table, &s.Column, &s.ID, &s.OrgID, &s.Value)
		return s, err
	}, "list sealed secrets", cq.SecretList)
}

// SealedSecretSet replaces a sealed secret that still holds s.Value.
func (q *queries) SealedSecretSet(ctx context.Context, s store.SealedSecret, value string) error {
	cq, err := q.connectors()
	if err != nil {
		return err
	}
	query, ok := cq.SecretSet[s.Table+"."+s.Column]
	if !ok {
		return fmt.Errorf("set sealed secret: unknown column %s.%s", s.Table, s.Column)
	}
	return q.update(ctx, query, "set sealed secret "+s.Table+"."+s.Column+" of "+s.ID, value, s.ID, s.Value)
}

func scanSchedule(r scanner) (store.Schedule, error) {
	var s store.Schedule
	err := r.Scan(&s.Kind, &s.Key, &s.OrgID, timeCol{&s.NextRunAt}, &s.LeaseOwner, timeCol{&s.LeaseUntil},
		nullTimeCol{&s.LastRunAt}, nullTimeCol{&s.LastImportAt}, timeCol{&s.CreatedAt})
	return s, err
}
