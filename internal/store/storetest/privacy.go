package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

func privacyTests() []test {
	return []test{
		{"PrivacyRetentionLookups", testPrivacyRetentionLookups},
		{"PrivacyErasureLookups", testPrivacyErasureLookups},
		{"PrivacyCallErase", testPrivacyCallErase},
		{"PrivacyErasures", testPrivacyErasures},
	}
}

func privacyStore(t *testing.T, s store.Store) store.Privacy {
	t.Helper()
	p, ok := s.(store.Privacy)
	if !ok {
		t.Fatalf("%T does not implement store.Privacy", s)
	}
	return p
}

func callIDs(cs []call.Call) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

func testPrivacyRetentionLookups(t *testing.T, s store.Store) {
	f := setup(t, s)
	p := privacyStore(t, s)
	ctx := t.Context()
	days := 30
	if _, err := s.CampaignUpdate(ctx, store.CampaignUpdateParams{OrgID: f.org.ID, ID: f.campaign.ID, RetentionDays: &days}); err != nil {
		t.Fatal(err)
	}
	newCampaign(t, s, f.org.ID) // no retention
	camps, err := p.CampaignListRetained(ctx)
	wantNoErr(t, "CampaignListRetained", err)
	if len(camps) != 1 || camps[0].ID != f.campaign.ID || camps[0].RetentionDays != 30 {
		t.Errorf("CampaignListRetained = %+v", camps)
	}
	c1 := mustCreateCall(t, s, f.callParams())
	c2 := mustCreateCall(t, s, f.callParams())
	got, err := p.CallListCreatedBefore(ctx, f.org.ID, f.campaign.ID, time.Now().Add(time.Second), 10)
	wantNoErr(t, "CallListCreatedBefore", err)
	if !slices.Equal(callIDs(got), []string{c1.ID, c2.ID}) {
		t.Errorf("CallListCreatedBefore(now) = %v, want %v", callIDs(got), []string{c1.ID, c2.ID})
	}
	if got, _ := p.CallListCreatedBefore(ctx, f.org.ID, f.campaign.ID, time.Now().Add(time.Second), 1); len(got) != 1 {
		t.Errorf("limit 1: %d calls", len(got))
	}
	if got, _ := p.CallListCreatedBefore(ctx, f.org.ID, f.campaign.ID, c1.CreatedAt, 10); len(got) != 0 {
		t.Errorf("before the first call: %v", callIDs(got))
	}
	if got, _ := p.CallListCreatedBefore(ctx, "other", f.campaign.ID, time.Now().Add(time.Second), 10); len(got) != 0 {
		t.Errorf("another organisation: %v", callIDs(got))
	}
}

func testPrivacyErasureLookups(t *testing.T, s store.Store) {
	f := setup(t, s)
	other := setup(t, s)
	p := privacyStore(t, s)
	ctx := t.Context()
	second := newCampaign(t, s, f.org.ID)
	mk := func(fx fixture, campaignID, email string, meta ...call.MetaPair) call.Call {
		cp := fx.callParams()
		cp.CampaignID, cp.AgentEmail, cp.Metadata = campaignID, email, meta
		return mustCreateCall(t, s, cp)
	}
	phone := call.MetaPair{Key: "phone", Value: "+33 6 12"}
	a := mk(f, f.campaign.ID, "Ann@Example.com", call.MetaPair{Key: "q", Value: "1"}, phone)
	b := mk(f, second.ID, "ann@example.COM")
	c := mk(f, f.campaign.ID, "anne@example.com", call.MetaPair{Key: "phone", Value: "+33 6 12 "}, call.MetaPair{Key: "x", Value: "+33 6 12"})
	d := mk(f, second.ID, "", phone)
	mk(other, other.campaign.ID, "ann@example.com", phone)

	for _, tc := range []struct {
		campaign string
		want     []string
	}{{"", []string{a.ID, b.ID}}, {f.campaign.ID, []string{a.ID}}, {second.ID, []string{b.ID}}, {other.campaign.ID, nil}} {
		got, err := p.CallListByAgentEmail(ctx, f.org.ID, tc.campaign, "ann@example.com", 10)
		wantNoErr(t, "CallListByAgentEmail", err)
		if !slices.Equal(callIDs(got), tc.want) && !(len(got) == 0 && tc.want == nil) {
			t.Errorf("CallListByAgentEmail(campaign %q) = %v, want %v", tc.campaign, callIDs(got), tc.want)
		}
	}
	for _, tc := range []struct {
		campaign, key, value string
		want                 []string
	}{
		{"", "phone", "+33 6 12", []string{a.ID, d.ID}},
		{second.ID, "phone", "+33 6 12", []string{d.ID}},
		{"", "phone", "+33 6 12 ", []string{c.ID}},
		{"", "PHONE", "+33 6 12", nil},
		{"", "q", "1", []string{a.ID}},
	} {
		got, err := p.CallListByMetadata(ctx, f.org.ID, tc.campaign, tc.key, tc.value, "", 10)
		wantNoErr(t, "CallListByMetadata", err)
		if !slices.Equal(callIDs(got), tc.want) && !(len(got) == 0 && tc.want == nil) {
			t.Errorf("CallListByMetadata(%q, %q=%q) = %v, want %v", tc.campaign, tc.key, tc.value, callIDs(got), tc.want)
		}
	}
	if got, _ := p.CallListByMetadata(ctx, f.org.ID, "", "phone", "+33 6 12", "", 1); len(got) != 1 || got[0].ID != a.ID {
		t.Errorf("limit 1: %v", callIDs(got))
	}
	if got, _ := p.CallListByMetadata(ctx, f.org.ID, "", "phone", "+33 6 12", a.ID, 10); !slices.Equal(callIDs(got), []string{d.ID}) {
		t.Errorf("after %s: %v, want %s", a.ID, callIDs(got), d.ID)
	}
}

func testPrivacyCallErase(t *testing.T, s store.Store) {
	f := setup(t, s)
	other := setup(t, s)
	p := privacyStore(t, s)
	ctx := t.Context()
	c := mustCreateCall(t, s, f.callParams())
	keep := mustCreateCall(t, s, f.callParams())
	if r, ok := s.(store.SFTPReceipts); ok {
		for _, id := range []string{c.ID, keep.ID} {
			if _, err := r.SFTPReceiptCreate(ctx, store.SFTPReceiptCreateParams{OrgID: f.org.ID, CampaignID: f.campaign.ID,
				FileName: "secret-name.wav", CallID: id, Status: store.SFTPReceiptReceived}); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, err := p.CallErase(ctx, other.org.ID, c.ID)
	wantErr(t, "CallErase of another organisation", err, store.ErrNotFound)
	got, err := p.CallErase(ctx, f.org.ID, c.ID)
	wantNoErr(t, "CallErase", err)
	if got.ID != c.ID || got.BlobKey != c.BlobKey {
		t.Errorf("CallErase = %+v", got)
	}
	_, err = s.CallGetByID(ctx, c.ID)
	wantErr(t, "CallGetByID after erase", err, store.ErrNotFound)
	_, err = p.CallErase(ctx, f.org.ID, c.ID)
	wantErr(t, "CallErase again", err, store.ErrNotFound)
	in, err := s.IntakeListStale(ctx, time.Unix(1, 0), 10)
	wantNoErr(t, "IntakeListStale", err)
	if len(in) != 1 || in[0].BlobKey != c.BlobKey {
		t.Errorf("stale intakes %+v, want the erased call's blob", in)
	}
	if r, ok := s.(store.SFTPReceipts); ok {
		rs, err := r.SFTPReceiptList(ctx, store.SFTPReceiptListParams{OrgID: f.org.ID, CampaignID: f.campaign.ID,
			Since: time.Now().Add(-time.Hour), Until: time.Now().Add(time.Hour)})
		wantNoErr(t, "SFTPReceiptList", err)
		if len(rs) != 1 || rs[0].CallID != keep.ID {
			t.Errorf("receipts after erase %+v, want only the other call's", rs)
		}
	}
}

func testPrivacyErasures(t *testing.T, s store.Store) {
	f := setup(t, s)
	other := setup(t, s)
	p := privacyStore(t, s)
	ctx := t.Context()
	e, err := p.ErasureCreate(ctx, store.ErasureCreateParams{OrgID: f.org.ID, CampaignID: f.campaign.ID,
		Kind: store.ErasureByMetadata, MetadataKey: "phone", CriterionSHA256: "abc", Criterion: "+33", RequestedBy: "api_key:k"})
	wantNoErr(t, "ErasureCreate", err)
	if e.ID == "" || e.Status != store.ErasurePending || e.CreatedAt.IsZero() {
		t.Errorf("ErasureCreate = %+v", e)
	}
	got, err := p.ErasureGet(ctx, f.org.ID, e.ID)
	wantNoErr(t, "ErasureGet", err)
	if got.Criterion != "+33" || got.MetadataKey != "phone" || got.Kind != store.ErasureByMetadata || !got.CreatedAt.Equal(e.CreatedAt) || got.FinishedAt != nil {
		t.Errorf("ErasureGet = %+v, want %+v", got, e)
	}
	_, err = p.ErasureGet(ctx, other.org.ID, e.ID)
	wantErr(t, "ErasureGet of another organisation", err, store.ErrNotFound)
	wantNoErr(t, "ErasureStart", p.ErasureStart(ctx, e.ID))
	wantNoErr(t, "ErasureStart again", p.ErasureStart(ctx, e.ID))
	wantNoErr(t, "ErasureSaveReceipt", p.ErasureSaveReceipt(ctx, e.ID, `{"calls":[]}`))
	if got, _ := p.ErasureGetByID(ctx, e.ID); got.Status != store.ErasureRunning || got.Receipt != `{"calls":[]}` {
		t.Errorf("running erasure %+v", got)
	}
	wantNoErr(t, "ErasureFinish", p.ErasureFinish(ctx, store.ErasureFinishParams{ID: e.ID, Status: store.ErasureDone, Receipt: `{"x":1}`}))
	got, err = p.ErasureGetByID(ctx, e.ID)
	wantNoErr(t, "ErasureGetByID", err)
	if got.Status != store.ErasureDone || got.Criterion != "" || got.CriterionSHA256 != "abc" || got.Receipt != `{"x":1}` || got.FinishedAt == nil {
		t.Errorf("finished erasure %+v", got)
	}
	wantErr(t, "ErasureStart when done", p.ErasureStart(ctx, e.ID), store.ErrNotFound)
	wantErr(t, "ErasureFinish unknown", p.ErasureFinish(ctx, store.ErasureFinishParams{ID: "nope", Status: store.ErasureDone}), store.ErrNotFound)
	e2, err := p.ErasureCreate(ctx, store.ErasureCreateParams{OrgID: f.org.ID, Kind: store.ErasureByCall, CriterionSHA256: "d"})
	wantNoErr(t, "ErasureCreate", err)
	list, err := p.ErasureList(ctx, f.org.ID, 0)
	wantNoErr(t, "ErasureList", err)
	if len(list) != 2 || list[0].ID != e2.ID || list[1].ID != e.ID {
		t.Errorf("ErasureList = %+v", list)
	}
	if list, _ := p.ErasureList(ctx, other.org.ID, 0); len(list) != 0 {
		t.Errorf("another organisation lists %d erasures", len(list))
	}
}
