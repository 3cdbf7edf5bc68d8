package storetest

import (
	"testing"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

func orgTests() []test {
	return []test{
		{"OrgRoundTrip", testOrgRoundTrip},
		{"OrgDuplicate", testOrgDuplicate},
		{"CampaignRoundTrip", testCampaignRoundTrip},
		{"CampaignDuplicateName", testCampaignDuplicateName},
		{"CampaignUpdate", testCampaignUpdate},
		{"CampaignOtherOrg", testCampaignOtherOrg},
	}
}

func testOrgRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	before := time.Now()
	b, err := s.OrgCreate(ctx, store.OrgCreateParams{Name: "Beta"})
	wantNoErr(t, "OrgCreate", err)
	if b.ID == "" || b.Name != "Beta" {
		t.Errorf("OrgCreate = %+v, want a generated id and name Beta", b)
	}
	wantRecent(t, "CreatedAt", b.CreatedAt, before)
	a, err := s.OrgCreate(ctx, store.OrgCreateParams{ID: "org-alpha", Name: "Alpha"})
	wantNoErr(t, "OrgCreate with id", err)
	if a.ID != "org-alpha" {
		t.Errorf("OrgCreate ID = %q, want org-alpha", a.ID)
	}

	got, err := s.OrgGet(ctx, b.ID)
	wantNoErr(t, "OrgGet", err)
	wantEqual(t, "OrgGet", got, b)
	got, err = s.OrgGetByName(ctx, "Alpha")
	wantNoErr(t, "OrgGetByName", err)
	wantEqual(t, "OrgGetByName", got, a)

	orgs, err := s.OrgList(ctx)
	wantNoErr(t, "OrgList", err)
	wantEqual(t, "OrgList", orgs, []call.Org{a, b})

	_, err = s.OrgGet(ctx, "nope")
	wantErr(t, "OrgGet unknown", err, store.ErrNotFound)
	_, err = s.OrgGetByName(ctx, "nope")
	wantErr(t, "OrgGetByName unknown", err, store.ErrNotFound)
}

func testOrgDuplicate(t *testing.T, s store.Store) {
	ctx := t.Context()
	o, err := s.OrgCreate(ctx, store.OrgCreateParams{Name: "Same"})
	wantNoErr(t, "OrgCreate", err)
	_, err = s.OrgCreate(ctx, store.OrgCreateParams{Name: "Same"})
	wantErr(t, "OrgCreate same name", err, store.ErrAlreadyExists)
	_, err = s.OrgCreate(ctx, store.OrgCreateParams{ID: o.ID, Name: "Other"})
	wantErr(t, "OrgCreate same id", err, store.ErrAlreadyExists)
}

func testCampaignRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	org := newOrg(t, s)
	before := time.Now()
	z, err := s.CampaignCreate(ctx, store.CampaignCreateParams{
		OrgID: org.ID, Name: "Zeta", Description: "Qualité — été", RequireMetadata: true, RetentionDays: 90,
	})
	wantNoErr(t, "CampaignCreate", err)
	wantRecent(t, "CreatedAt", z.CreatedAt, before)
	if !z.UpdatedAt.Equal(z.CreatedAt) {
		t.Errorf("UpdatedAt = %s, want CreatedAt %s", z.UpdatedAt, z.CreatedAt)
	}
	want := call.Campaign{
		ID: z.ID, OrgID: org.ID, Name: "Zeta", Description: "Qualité — été", RequireMetadata: true,
		RetentionDays: 90, CreatedAt: z.CreatedAt, UpdatedAt: z.UpdatedAt,
	}
	wantEqual(t, "CampaignCreate", z, want)
	a, err := s.CampaignCreate(ctx, store.CampaignCreateParams{ID: "camp-a", OrgID: org.ID, Name: "Alpha"})
	wantNoErr(t, "CampaignCreate with id", err)
	if a.ID != "camp-a" || a.RequireMetadata || a.RetentionDays != 0 {
		t.Errorf("CampaignCreate = %+v", a)
	}

	got, err := s.CampaignGet(ctx, org.ID, z.ID)
	wantNoErr(t, "CampaignGet", err)
	wantEqual(t, "CampaignGet", got, want)
	list, err := s.CampaignList(ctx, org.ID)
	wantNoErr(t, "CampaignList", err)
	wantEqual(t, "CampaignList", list, []call.Campaign{a, z})

	_, err = s.CampaignGet(ctx, org.ID, "nope")
	wantErr(t, "CampaignGet unknown", err, store.ErrNotFound)
	_, err = s.CampaignCreate(ctx, store.CampaignCreateParams{OrgID: "no-such-org", Name: "X"})
	wantErr(t, "CampaignCreate unknown org", err, store.ErrNotFound)
	empty, err := s.CampaignList(ctx, "no-such-org")
	wantNoErr(t, "CampaignList unknown org", err)
	if len(empty) != 0 {
		t.Errorf("CampaignList unknown org = %v, want none", empty)
	}
}

func testCampaignDuplicateName(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s)
	_, err := s.CampaignCreate(ctx, store.CampaignCreateParams{OrgID: f.org.ID, Name: f.campaign.Name})
	wantErr(t, "CampaignCreate same name", err, store.ErrAlreadyExists)
	_, err = s.CampaignCreate(ctx, store.CampaignCreateParams{ID: f.campaign.ID, OrgID: f.org.ID, Name: "other"})
	wantErr(t, "CampaignCreate same id", err, store.ErrAlreadyExists)
	other := newOrg(t, s)
	_, err = s.CampaignCreate(ctx, store.CampaignCreateParams{OrgID: other.ID, Name: f.campaign.Name})
	wantNoErr(t, "CampaignCreate same name in another org", err)
}

func testCampaignUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s)
	c := f.campaign

	got, err := s.CampaignUpdate(ctx, store.CampaignUpdateParams{OrgID: f.org.ID, ID: c.ID})
	wantNoErr(t, "CampaignUpdate nothing", err)
	c.UpdatedAt = got.UpdatedAt
	wantEqual(t, "CampaignUpdate nothing", got, c)

	got, err = s.CampaignUpdate(ctx, store.CampaignUpdateParams{
		OrgID: f.org.ID, ID: c.ID, Description: ptr("new"), RequireMetadata: ptr(true), RetentionDays: ptr(30),
	})
	wantNoErr(t, "CampaignUpdate", err)
	c.Description, c.RequireMetadata, c.RetentionDays = "new", true, 30
	if got.UpdatedAt.Before(c.UpdatedAt) {
		t.Errorf("UpdatedAt went back: %s < %s", got.UpdatedAt, c.UpdatedAt)
	}
	c.UpdatedAt = got.UpdatedAt
	wantEqual(t, "CampaignUpdate", got, c)

	got, err = s.CampaignUpdate(ctx, store.CampaignUpdateParams{
		OrgID: f.org.ID, ID: c.ID, Name: ptr("renamed"), Description: ptr(""), RequireMetadata: ptr(false), RetentionDays: ptr(0),
	})
	wantNoErr(t, "CampaignUpdate to zero values", err)
	c.Name, c.Description, c.RequireMetadata, c.RetentionDays, c.UpdatedAt = "renamed", "", false, 0, got.UpdatedAt
	wantEqual(t, "CampaignUpdate to zero values", got, c)
	read, err := s.CampaignGet(ctx, f.org.ID, c.ID)
	wantNoErr(t, "CampaignGet", err)
	wantEqual(t, "CampaignGet after update", read, c)

	taken := newCampaign(t, s, f.org.ID)
	_, err = s.CampaignUpdate(ctx, store.CampaignUpdateParams{OrgID: f.org.ID, ID: c.ID, Name: ptr(taken.Name)})
	wantErr(t, "CampaignUpdate to a taken name", err, store.ErrAlreadyExists)
	_, err = s.CampaignUpdate(ctx, store.CampaignUpdateParams{OrgID: f.org.ID, ID: "nope", Name: ptr("x")})
	wantErr(t, "CampaignUpdate unknown", err, store.ErrNotFound)
}

func testCampaignOtherOrg(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s)
	other := newOrg(t, s)
	_, err := s.CampaignGet(ctx, other.ID, f.campaign.ID)
	wantErr(t, "CampaignGet from another org", err, store.ErrNotFound)
	_, err = s.CampaignUpdate(ctx, store.CampaignUpdateParams{OrgID: other.ID, ID: f.campaign.ID, Name: ptr("stolen")})
	wantErr(t, "CampaignUpdate from another org", err, store.ErrNotFound)
	list, err := s.CampaignList(ctx, other.ID)
	wantNoErr(t, "CampaignList", err)
	if len(list) != 0 {
		t.Errorf("CampaignList of another org = %v, want none", list)
	}
	got, err := s.CampaignGet(ctx, f.org.ID, f.campaign.ID)
	wantNoErr(t, "CampaignGet", err)
	wantEqual(t, "campaign after another org's update", got, f.campaign)
}
