package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/store"
)

func genesysTests() []test {
	return []test{
		{"GenesysConnection", testGenesysConnection},
		{"GenesysRuleProgressRuns", testGenesysRuleProgressRuns},
	}
}

func genesysStore(t *testing.T, s store.Store) store.Genesys {
	t.Helper()
	g, ok := s.(store.Genesys)
	if !ok {
		t.Fatalf("%T does not implement store.Genesys", s)
	}
	return g
}

func testGenesysConnection(t *testing.T, s store.Store) {
	f := setup(t, s)
	g := genesysStore(t, s)
	ctx := t.Context()
	if _, err := g.GenesysConnectionGet(ctx, f.org.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GenesysConnectionGet before put: %v, want ErrNotFound", err)
	}
	c, err := g.GenesysConnectionPut(ctx, store.GenesysConnectionPutParams{OrgID: f.org.ID, Region: "mypurecloud.ie",
		ClientID: "cid", SecretSealed: "sealed1"})
	if err != nil {
		t.Fatalf("GenesysConnectionPut: %v", err)
	}
	c2, err := g.GenesysConnectionPut(ctx, store.GenesysConnectionPutParams{OrgID: f.org.ID,
		APIBaseURL: "http://127.0.0.1:1", ClientID: "cid2", SecretSealed: "sealed2"})
	if err != nil {
		t.Fatalf("GenesysConnectionPut again: %v", err)
	}
	got, err := g.GenesysConnectionGet(ctx, f.org.ID)
	if err != nil || got.ClientID != "cid2" || got.SecretSealed != "sealed2" || got.Region != "" ||
		got.APIBaseURL != "http://127.0.0.1:1" || !got.CreatedAt.Equal(c.CreatedAt) || got.UpdatedAt.Before(c2.CreatedAt) {
		t.Fatalf("GenesysConnectionGet = %+v, %v", got, err)
	}
	if _, err := g.GenesysConnectionPut(ctx, store.GenesysConnectionPutParams{OrgID: "no-such-org", ClientID: "x", SecretSealed: "y"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GenesysConnectionPut for a missing org: %v, want ErrNotFound", err)
	}
	for range 2 {
		if err := g.GenesysConnectionDelete(ctx, f.org.ID); err != nil {
			t.Fatalf("GenesysConnectionDelete: %v", err)
		}
	}
	if _, err := g.GenesysConnectionGet(ctx, f.org.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GenesysConnectionGet after delete: %v, want ErrNotFound", err)
	}
}

func testGenesysRuleProgressRuns(t *testing.T, s store.Store) {
	f := setup(t, s)
	other := setup(t, s)
	g := genesysStore(t, s)
	ctx := t.Context()
	if err := g.GenesysProgressSet(ctx, f.org.ID, f.campaign.ID, `{}`); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GenesysProgressSet without a rule: %v, want ErrNotFound", err)
	}
	r, err := g.GenesysRulePut(ctx, store.GenesysRulePutParams{OrgID: f.org.ID, CampaignID: f.campaign.ID,
		Rule: `{"a":1}`, IntervalSeconds: 900, Enabled: true})
	if err != nil || r.Progress != "" || r.Rule != `{"a":1}` || !r.Enabled {
		t.Fatalf("GenesysRulePut = %+v, %v", r, err)
	}
	if _, err := g.GenesysRulePut(ctx, store.GenesysRulePutParams{OrgID: other.org.ID, CampaignID: f.campaign.ID,
		Rule: `{}`, IntervalSeconds: 1}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GenesysRulePut on another org's campaign: %v, want ErrNotFound", err)
	}
	if err := g.GenesysProgressSet(ctx, f.org.ID, f.campaign.ID, `{"watermark":"x"}`); err != nil {
		t.Fatalf("GenesysProgressSet: %v", err)
	}
	r, err = g.GenesysRulePut(ctx, store.GenesysRulePutParams{OrgID: f.org.ID, CampaignID: f.campaign.ID,
		Rule: `{"a":2}`, IntervalSeconds: 600})
	if err != nil || r.Progress != `{"watermark":"x"}` || r.Rule != `{"a":2}` || r.Enabled || r.IntervalSeconds != 600 {
		t.Fatalf("GenesysRulePut again = %+v, %v", r, err)
	}
	if _, err := g.GenesysRulePut(ctx, store.GenesysRulePutParams{OrgID: other.org.ID, CampaignID: other.campaign.ID,
		Rule: `{}`, IntervalSeconds: 60, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	list, err := g.GenesysRuleList(ctx)
	if err != nil {
		t.Fatalf("GenesysRuleList: %v", err)
	}
	found := map[string]bool{}
	for _, l := range list {
		found[l.CampaignID] = true
	}
	if found[f.campaign.ID] || !found[other.campaign.ID] {
		t.Fatalf("GenesysRuleList: disabled listed or enabled missing: %v", found)
	}
	if _, err := g.GenesysRuleGet(ctx, other.org.ID, f.campaign.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GenesysRuleGet from another org: %v, want ErrNotFound", err)
	}
	t0 := time.Now().UTC().Truncate(time.Second)
	for i := range 3 {
		if _, err := g.GenesysRunAdd(ctx, store.GenesysRunAddParams{OrgID: f.org.ID, CampaignID: f.campaign.ID,
			StartedAt: t0.Add(time.Duration(i) * time.Minute), FinishedAt: t0.Add(time.Duration(i)*time.Minute + time.Second),
			Report: `{"imported":1}`, Error: map[bool]string{true: "boom"}[i == 2]}); err != nil {
			t.Fatalf("GenesysRunAdd: %v", err)
		}
	}
	if _, err := g.GenesysRunAdd(ctx, store.GenesysRunAddParams{OrgID: other.org.ID, CampaignID: f.campaign.ID,
		StartedAt: t0, FinishedAt: t0, Report: `{}`}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GenesysRunAdd on another org's campaign: %v, want ErrNotFound", err)
	}
	runs, err := g.GenesysRunList(ctx, f.org.ID, f.campaign.ID, 2)
	if err != nil || len(runs) != 2 || runs[0].Error != "boom" || !runs[0].StartedAt.Equal(t0.Add(2*time.Minute)) ||
		runs[1].Report != `{"imported":1}` {
		t.Fatalf("GenesysRunList = %+v, %v", runs, err)
	}
}
