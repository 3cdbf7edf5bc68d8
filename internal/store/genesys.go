package store

import (
	"context"
	"time"
)

// GenesysConnection is an organisation's Genesys Cloud connection (one per
// organisation). SecretSealed is the OAuth client secret encrypted by the
// channel; the store never sees it in clear.
type GenesysConnection struct {
	OrgID        string
	Region       string
	APIBaseURL   string
	LoginBaseURL string
	ClientID     string
	SecretSealed string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// GenesysConnectionPutParams creates or replaces an organisation's connection.
type GenesysConnectionPutParams struct {
	OrgID, Region, APIBaseURL, LoginBaseURL, ClientID, SecretSealed string
}

// GenesysRule is a campaign's export rule. Rule and Progress are JSON
// documents owned by the channel (internal/source/genesys).
type GenesysRule struct {
	OrgID      string
	CampaignID string
	Rule       string
	// IntervalSeconds between runs.
	IntervalSeconds int
	Enabled         bool
	// Progress is the watermark, quota counts and parked conversations;
	// "" before the first run.
	Progress  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// GenesysRulePutParams creates or replaces a campaign's rule; its progress
// is kept.
type GenesysRulePutParams struct {
	OrgID, CampaignID, Rule string
	IntervalSeconds         int
	Enabled                 bool
}

// GenesysRun is one run in a rule's history. Report is a JSON document
// owned by the channel (counts, failures with reasons).
type GenesysRun struct {
	ID         string
	OrgID      string
	CampaignID string
	StartedAt  time.Time
	FinishedAt time.Time
	Report     string
	// Error is why the run stopped, "" when it completed.
	Error string
}

// GenesysRunAddParams records a run; ID is generated when empty.
type GenesysRunAddParams struct {
	ID, OrgID, CampaignID string
	StartedAt, FinishedAt time.Time
	Report, Error         string
}

// Genesys stores the Genesys Cloud channel's connections, rules, progress
// and run history. The SQL backends implement it; the channel asserts it
// on its store.Store.
type Genesys interface {
	// GenesysConnectionPut creates or replaces the organisation's
	// connection; ErrNotFound if the organisation does not exist.
	GenesysConnectionPut(ctx context.Context, p GenesysConnectionPutParams) (GenesysConnection, error)
	// GenesysConnectionGet returns ErrNotFound if the organisation has none.
	GenesysConnectionGet(ctx context.Context, orgID string) (GenesysConnection, error)
	// GenesysConnectionDelete removes it; deleting a missing one is not an error.
	GenesysConnectionDelete(ctx context.Context, orgID string) error
	// GenesysRulePut creates or replaces the campaign's rule, keeping its
	// progress; ErrNotFound if the organisation has no such campaign.
	GenesysRulePut(ctx context.Context, p GenesysRulePutParams) (GenesysRule, error)
	// GenesysRuleGet returns ErrNotFound if the campaign has no rule.
	GenesysRuleGet(ctx context.Context, orgID, campaignID string) (GenesysRule, error)
	// GenesysRuleList returns every enabled rule of every organisation, for
	// the scheduler.
	GenesysRuleList(ctx context.Context) ([]GenesysRule, error)
	// GenesysProgressSet stores a rule's progress; ErrNotFound if the
	// campaign has no rule.
	GenesysProgressSet(ctx context.Context, orgID, campaignID, progress string) error
	// GenesysRunAdd records a finished run.
	GenesysRunAdd(ctx context.Context, p GenesysRunAddParams) (GenesysRun, error)
	// GenesysRunList returns the campaign's last runs, newest first (limit
	// defaults to 20).
	GenesysRunList(ctx context.Context, orgID, campaignID string, limit int) ([]GenesysRun, error)
}
