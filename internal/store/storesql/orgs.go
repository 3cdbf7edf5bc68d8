package storesql

import (
	"context"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// OrgCreate inserts an organisation; ErrAlreadyExists if its id or name is taken.
func (q *queries) OrgCreate(ctx context.Context, p store.OrgCreateParams) (call.Org, error) {
	o := call.Org{ID: p.ID, Name: p.Name, CreatedAt: now()}
	if o.ID == "" {
		o.ID = call.NewID()
	}
	if err := q.insert(ctx, q.q.OrgInsert, "create org "+o.ID, o.ID, o.Name, q.time(o.CreatedAt)); err != nil {
		return call.Org{}, err
	}
	return o, nil
}

// OrgGet returns ErrNotFound if id is unknown.
func (q *queries) OrgGet(ctx context.Context, id string) (call.Org, error) {
	o, err := scanOrg(q.ex.QueryRowContext(ctx, q.q.OrgGet, id))
	if err != nil {
		return call.Org{}, q.fail(err, "get org %s", id)
	}
	return o, nil
}

// OrgGetByName returns ErrNotFound if no organisation has that name.
func (q *queries) OrgGetByName(ctx context.Context, name string) (call.Org, error) {
	o, err := scanOrg(q.ex.QueryRowContext(ctx, q.q.OrgGetByName, name))
	if err != nil {
		return call.Org{}, q.fail(err, "get org by name %q", name)
	}
	return o, nil
}

// OrgList returns every organisation by name.
func (q *queries) OrgList(ctx context.Context) ([]call.Org, error) {
	return list(ctx, q, scanOrg, "list orgs", q.q.OrgList)
}

// CampaignCreate inserts a campaign. It returns ErrAlreadyExists if the
// organisation has a campaign of that name, ErrNotFound if the organisation
// does not exist.
func (q *queries) CampaignCreate(ctx context.Context, p store.CampaignCreateParams) (call.Campaign, error) {
	t := now()
	c := call.Campaign{
		ID: p.ID, OrgID: p.OrgID, Name: p.Name, Description: p.Description,
		RequireMetadata: p.RequireMetadata, RetentionDays: p.RetentionDays,
		MinDurationSeconds: p.MinDurationSeconds, MaxDurationSeconds: p.MaxDurationSeconds,
		RequiredChannels: p.RequiredChannels, CreatedAt: t, UpdatedAt: t,
	}
	if c.ID == "" {
		c.ID = call.NewID()
	}
	err := q.insert(ctx, q.q.CampaignInsert, "create campaign "+c.ID,
		c.ID, c.OrgID, c.Name, c.Description, c.RequireMetadata, c.RetentionDays, q.time(t), q.time(t),
		c.MinDurationSeconds, c.MaxDurationSeconds, c.RequiredChannels)
	if err != nil {
		return call.Campaign{}, err
	}
	return c, nil
}

// CampaignGet returns ErrNotFound if the organisation has no such campaign.
func (q *queries) CampaignGet(ctx context.Context, orgID, id string) (call.Campaign, error) {
	c, err := scanCampaign(q.ex.QueryRowContext(ctx, q.q.CampaignGet, orgID, id))
	if err != nil {
		return call.Campaign{}, q.fail(err, "get campaign %s", id)
	}
	return c, nil
}

// CampaignList returns the organisation's campaigns by name.
func (q *queries) CampaignList(ctx context.Context, orgID string) ([]call.Campaign, error) {
	return list(ctx, q, scanCampaign, "list campaigns", q.q.CampaignList, orgID)
}

// CampaignUpdate changes the non-nil fields. It returns ErrNotFound if the
// organisation has no such campaign, ErrAlreadyExists if the new name is
// taken (on PostgreSQL that error also aborts a surrounding transaction).
func (q *queries) CampaignUpdate(ctx context.Context, p store.CampaignUpdateParams) (call.Campaign, error) {
	var req any
	if p.RequireMetadata != nil {
		req = *p.RequireMetadata
	}
	var days any
	if p.RetentionDays != nil {
		days = *p.RetentionDays
	}
	c, err := scanCampaign(q.ex.QueryRowContext(ctx, q.q.CampaignUpdate,
		strPtr(p.Name), strPtr(p.Description), req, days, intPtr(p.MinDurationSeconds), intPtr(p.MaxDurationSeconds),
		intPtr(p.RequiredChannels), q.time(now()), p.OrgID, p.ID))
	if err != nil {
		return call.Campaign{}, q.fail(err, "update campaign %s", p.ID)
	}
	return c, q.durable(ctx)
}

// intPtr returns *n, or nil for NULL.
func intPtr(n *int) any {
	if n == nil {
		return nil
	}
	return *n
}

// strPtr returns *s, or nil for NULL.
func strPtr(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
