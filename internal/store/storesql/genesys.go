package storesql

import (
	"context"
	"fmt"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// GenesysQueries are a dialect's query texts for the Genesys Cloud channel.
// Column lists:
//
//	connection: org_id, region, api_base_url, login_base_url, client_id, secret_sealed, created_at, updated_at
//	rule: org_id, campaign_id, rule, interval_seconds, enabled, progress, created_at, updated_at
//	run: id, org_id, campaign_id, started_at, finished_at, report, error
type GenesysQueries struct {
	// ConnectionPut: the connection columns in order; upsert on org_id
	// keeping created_at → connection (RETURNING).
	ConnectionPut    string
	ConnectionGet    string // org_id → connection
	ConnectionDelete string // org_id
	// RulePut: org_id, campaign_id, rule, interval_seconds, enabled,
	// created_at, updated_at; upsert on campaign_id of the same org, keeping
	// progress and created_at → rule (RETURNING; no row for another org's).
	RulePut     string
	RuleGet     string // org_id, campaign_id → rule
	RuleList    string // → enabled rules by org_id, campaign_id
	ProgressSet string // progress, updated_at, org_id, campaign_id
	RunInsert   string // the run columns in order
	RunList     string // org_id, campaign_id, limit → runs, newest first
}

var _ store.Genesys = (*Store)(nil)

func (q *queries) genesys() (*GenesysQueries, error) {
	if q.d.Genesys == nil {
		return nil, fmt.Errorf("genesys: %s dialect has no queries", q.d.Name)
	}
	return q.d.Genesys, nil
}

// GenesysConnectionPut creates or replaces the organisation's connection;
// ErrNotFound if the organisation does not exist.
func (q *queries) GenesysConnectionPut(ctx context.Context, p store.GenesysConnectionPutParams) (store.GenesysConnection, error) {
	gq, err := q.genesys()
	if err != nil {
		return store.GenesysConnection{}, err
	}
	t := q.time(now())
	c, err := scanGenesysConnection(q.ex.QueryRowContext(ctx, gq.ConnectionPut,
		p.OrgID, p.Region, p.APIBaseURL, p.LoginBaseURL, p.ClientID, p.SecretSealed, t, t))
	if err != nil {
		return store.GenesysConnection{}, q.fail(err, "put genesys connection of %s", p.OrgID)
	}
	return c, nil
}

// GenesysConnectionGet returns ErrNotFound if the organisation has none.
func (q *queries) GenesysConnectionGet(ctx context.Context, orgID string) (store.GenesysConnection, error) {
	gq, err := q.genesys()
	if err != nil {
		return store.GenesysConnection{}, err
	}
	c, err := scanGenesysConnection(q.ex.QueryRowContext(ctx, gq.ConnectionGet, orgID))
	if err != nil {
		return store.GenesysConnection{}, q.fail(err, "get genesys connection of %s", orgID)
	}
	return c, nil
}

// GenesysConnectionDelete removes it; a missing one is not an error.
func (q *queries) GenesysConnectionDelete(ctx context.Context, orgID string) error {
	gq, err := q.genesys()
	if err != nil {
		return err
	}
	if _, err := q.ex.ExecContext(ctx, gq.ConnectionDelete, orgID); err != nil {
		return q.fail(err, "delete genesys connection of %s", orgID)
	}
	return nil
}

// GenesysRulePut creates or replaces the campaign's rule, keeping its
// progress; ErrNotFound if the organisation has no such campaign.
func (q *queries) GenesysRulePut(ctx context.Context, p store.GenesysRulePutParams) (store.GenesysRule, error) {
	gq, err := q.genesys()
	if err != nil {
		return store.GenesysRule{}, err
	}
	t := q.time(now())
	r, err := scanGenesysRule(q.ex.QueryRowContext(ctx, gq.RulePut,
		p.OrgID, p.CampaignID, p.Rule, p.IntervalSeconds, p.Enabled, t, t))
	if err != nil {
		return store.GenesysRule{}, q.fail(err, "put genesys rule of %s", p.CampaignID)
	}
	return r, nil
}

// GenesysRuleGet returns ErrNotFound if the campaign has no rule.
func (q *queries) GenesysRuleGet(ctx context.Context, orgID, campaignID string) (store.GenesysRule, error) {
	gq, err := q.genesys()
	if err != nil {
		return store.GenesysRule{}, err
	}
	r, err := scanGenesysRule(q.ex.QueryRowContext(ctx, gq.RuleGet, orgID, campaignID))
	if err != nil {
		return store.GenesysRule{}, q.fail(err, "get genesys rule of %s", campaignID)
	}
	return r, nil
}

// GenesysRuleList returns every enabled rule.
func (q *queries) GenesysRuleList(ctx context.Context) ([]store.GenesysRule, error) {
	gq, err := q.genesys()
	if err != nil {
		return nil, err
	}
	return list(ctx, q, scanGenesysRule, "list genesys rules", gq.RuleList)
}

// GenesysProgressSet stores a rule's progress; ErrNotFound without a rule.
func (q *queries) GenesysProgressSet(ctx context.Context, orgID, campaignID, progress string) error {
	gq, err := q.genesys()
	if err != nil {
		return err
	}
	return q.update(ctx, gq.ProgressSet, "set genesys progress of "+campaignID,
		progress, q.time(now()), orgID, campaignID)
}

// GenesysRunAdd records a finished run; ErrNotFound if the organisation has
// no such campaign.
func (q *queries) GenesysRunAdd(ctx context.Context, p store.GenesysRunAddParams) (store.GenesysRun, error) {
	gq, err := q.genesys()
	if err != nil {
		return store.GenesysRun{}, err
	}
	r := store.GenesysRun{ID: p.ID, OrgID: p.OrgID, CampaignID: p.CampaignID, StartedAt: Norm(p.StartedAt),
		FinishedAt: Norm(p.FinishedAt), Report: p.Report, Error: p.Error}
	if r.ID == "" {
		r.ID = call.NewID()
	}
	if err := q.insert(ctx, gq.RunInsert, "add genesys run "+r.ID, r.ID, r.OrgID, r.CampaignID,
		q.time(r.StartedAt), q.time(r.FinishedAt), r.Report, r.Error); err != nil {
		return store.GenesysRun{}, err
	}
	return r, nil
}

// GenesysRunList returns the campaign's last runs, newest first.
func (q *queries) GenesysRunList(ctx context.Context, orgID, campaignID string, limit int) ([]store.GenesysRun, error) {
	gq, err := q.genesys()
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 20
	}
	return list(ctx, q, scanGenesysRun, "list genesys runs", gq.RunList, orgID, campaignID, limit)
}

func scanGenesysConnection(r scanner) (store.GenesysConnection, error) {
	var c store.GenesysConnection
	err := r.Scan(&c.OrgID, &c.Region, &c.APIBaseURL, &c.LoginBaseURL, &c.ClientID, &c.SecretSealed,
		timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	return c, err
}

func scanGenesysRule(r scanner) (store.GenesysRule, error) {
	var g store.GenesysRule
	err := r.Scan(&g.OrgID, &g.CampaignID, &g.Rule, &g.IntervalSeconds, &g.Enabled, &g.Progress,
		timeCol{&g.CreatedAt}, timeCol{&g.UpdatedAt})
	return g, err
}

func scanGenesysRun(r scanner) (store.GenesysRun, error) {
	var g store.GenesysRun
	err := r.Scan(&g.ID, &g.OrgID, &g.CampaignID, timeCol{&g.StartedAt}, timeCol{&g.FinishedAt}, &g.Report, &g.Error)
	return g, err
}
