package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

func callListTests() []test {
	return []test{
		{"CallListFilters", testCallListFilters},
		{"CallListPaging", testCallListPaging},
		{"CallListLimits", testCallListLimits},
	}
}

func ids(calls []call.Call) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.ID
	}
	return out
}

func testCallListFilters(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s)
	g := fixture{org: f.org, campaign: newCampaign(t, s, f.org.ID)}
	other := setup(t, s)
	mustCreateCall(t, s, other.callParams()) // never listed

	var all []call.Call // in creation order
	add := func(fx fixture, edit func(p *store.CallCreateParams)) call.Call {
		p := fx.callParams()
		if edit != nil {
			edit(&p)
		}
		c := mustCreateCall(t, s, p)
		all = append(all, c)
		return c
	}
	a := add(f, nil)
	b := add(f, func(p *store.CallCreateParams) { p.Source = call.SourceWeb; p.AgentEmail = "ann@example.com" })
	mid := time.Now()
	time.Sleep(2 * time.Millisecond) // created_at of a and b are before mid, of the rest after
	c := add(g, func(p *store.CallCreateParams) { p.AgentEmail = "ann@example.com"; p.ExternalID = "x-1" })
	d := add(f, func(p *store.CallCreateParams) { p.ExternalID = "x-1" })
	e := add(g, func(p *store.CallCreateParams) { p.Source = call.SourceGenesys })
	_, err := s.CallSetStatus(ctx, store.CallSetStatusParams{ID: b.ID, Status: call.StatusImported})
	wantNoErr(t, "CallSetStatus", err)
	_, err = s.CallSetStatus(ctx, store.CallSetStatusParams{ID: e.ID, Status: call.StatusImported})
	wantNoErr(t, "CallSetStatus", err)
	_, err = s.CallSetStatus(ctx, store.CallSetStatusParams{ID: c.ID, Status: call.StatusRejected, RejectionReason: "x"})
	wantNoErr(t, "CallSetStatus", err)

	newestFirst := func(cs ...call.Call) []string {
		out := ids(cs)
		slices.Sort(out)
		slices.Reverse(out)
		return out
	}
	for _, tc := range []struct {
		name string
		p    store.CallListParams
		want []string
	}{
		{"org", store.CallListParams{}, newestFirst(a, b, c, d, e)},
		{"campaign", store.CallListParams{CampaignID: g.campaign.ID}, newestFirst(c, e)},
		{"status", store.CallListParams{Status: call.StatusImported}, newestFirst(b, e)},
		{"status received", store.CallListParams{Status: call.StatusReceived}, newestFirst(a, d)},
		{"campaign and status", store.CallListParams{CampaignID: f.campaign.ID, Status: call.StatusImported}, newestFirst(b)},
		{"source", store.CallListParams{Source: call.SourceWeb}, newestFirst(b)},
		{"agent", store.CallListParams{AgentEmail: "ann@example.com"}, newestFirst(b, c)},
		{"external id", store.CallListParams{ExternalID: "x-1"}, newestFirst(c, d)},
		{"external id and campaign", store.CallListParams{ExternalID: "x-1", CampaignID: f.campaign.ID}, newestFirst(d)},
		{"created after", store.CallListParams{CreatedAfter: &mid}, newestFirst(c, d, e)},
		{"created before", store.CallListParams{CreatedBefore: &mid}, newestFirst(a, b)},
		{"created after is inclusive", store.CallListParams{CreatedAfter: &c.CreatedAt}, newestFirst(c, d, e)},
		{"created before is exclusive", store.CallListParams{CreatedBefore: &c.CreatedAt}, newestFirst(a, b)},
		{"everything", store.CallListParams{
			CampaignID: g.campaign.ID, Status: call.StatusRejected, Source: call.SourceAPI,
			AgentEmail: "ann@example.com", ExternalID: "x-1", CreatedAfter: &mid, CreatedBefore: ptr(time.Now().Add(time.Hour)),
		}, newestFirst(c)},
		{"nothing matches", store.CallListParams{AgentEmail: "nobody@example.com"}, nil},
		{"unknown org", store.CallListParams{OrgID: "nope"}, nil},
	} {
		p := tc.p
		if p.OrgID == "" {
			p.OrgID = f.org.ID
		}
		got, next, err := s.CallList(ctx, p)
		if err != nil {
			t.Errorf("%s: CallList: %v", tc.name, err)
			continue
		}
		if g := ids(got); !slices.Equal(g, tc.want) {
			t.Errorf("%s: CallList = %v, want %v", tc.name, g, tc.want)
		}
		if next != "" {
			t.Errorf("%s: cursor %q on the last page, want none", tc.name, next)
		}
	}

	// Listed calls are complete.
	got, _, err := s.CallList(ctx, store.CallListParams{OrgID: f.org.ID, Status: call.StatusRejected})
	wantNoErr(t, "CallList", err)
	want, err := s.CallGet(ctx, f.org.ID, c.ID)
	wantNoErr(t, "CallGet", err)
	if len(got) == 1 {
		wantEqual(t, "listed call", got[0], want)
	}
}

func testCallListPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s)
	const n = 120
	want := make([]string, 0, n)
	err := s.InTx(ctx, func(tx store.Tx) error {
		for range n {
			c, err := tx.CallCreate(ctx, f.callParams())
			if err != nil {
				return err
			}
			want = append(want, c.ID)
		}
		return nil
	})
	wantNoErr(t, "create calls", err)
	slices.Sort(want)
	slices.Reverse(want)

	for _, limit := range []int{1, 7, 40, 50, 119, 120, 121} {
		var got []string
		cursor, pages := "", 0
		for {
			page, next, err := s.CallList(ctx, store.CallListParams{OrgID: f.org.ID, CampaignID: f.campaign.ID, Limit: limit, Cursor: cursor})
			if err != nil {
				t.Fatalf("limit %d: CallList page %d: %v", limit, pages, err)
			}
			pages++
			if len(page) > limit {
				t.Fatalf("limit %d: page of %d calls", limit, len(page))
			}
			if next != "" && len(page) != limit {
				t.Errorf("limit %d: short page of %d calls with a next cursor", limit, len(page))
			}
			got = append(got, ids(page)...)
			if next == "" {
				break
			}
			if pages > n+1 {
				t.Fatalf("limit %d: paging does not end", limit)
			}
			cursor = next
		}
		if !slices.Equal(got, want) {
			t.Errorf("limit %d: paging returned %d calls (newest first, no gaps or duplicates: %v)", limit, len(got), len(got) == n)
		}
		if wantPages := (n + limit - 1) / limit; pages != wantPages {
			t.Errorf("limit %d: %d pages, want %d", limit, pages, wantPages)
		}
	}

	// Paging with a filter, and with calls created while paging.
	first, next, err := s.CallList(ctx, store.CallListParams{OrgID: f.org.ID, Limit: 60})
	wantNoErr(t, "CallList", err)
	mustCreateCall(t, s, f.callParams())
	rest, last, err := s.CallList(ctx, store.CallListParams{OrgID: f.org.ID, Limit: 60, Cursor: next})
	wantNoErr(t, "CallList second page", err)
	if got := append(ids(first), ids(rest)...); !slices.Equal(got, want) || last != "" {
		t.Errorf("two pages of 60 with a call created between them: %d calls, cursor %q", len(got), last)
	}
}

func testCallListLimits(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s)
	err := s.InTx(ctx, func(tx store.Tx) error {
		for range store.DefaultCallListLimit + 1 {
			if _, err := tx.CallCreate(ctx, f.callParams()); err != nil {
				return err
			}
		}
		return nil
	})
	wantNoErr(t, "create calls", err)

	page, next, err := s.CallList(ctx, store.CallListParams{OrgID: f.org.ID})
	wantNoErr(t, "CallList without limit", err)
	if len(page) != store.DefaultCallListLimit || next == "" {
		t.Errorf("CallList without limit = %d calls, cursor %q; want %d and a cursor", len(page), next, store.DefaultCallListLimit)
	}
	page, next, err = s.CallList(ctx, store.CallListParams{OrgID: f.org.ID, Limit: 100_000})
	wantNoErr(t, "CallList with a huge limit", err)
	if len(page) != store.DefaultCallListLimit+1 || next != "" {
		t.Errorf("CallList with a huge limit = %d calls, cursor %q", len(page), next)
	}

	for _, bad := range []string{"!!!", "bm90IGJhc2U2NA==", "bm90LWEtY3Vyc29y", "not-a-cursor"} {
		_, _, err = s.CallList(ctx, store.CallListParams{OrgID: f.org.ID, Cursor: bad})
		if !errors.Is(err, store.ErrInvalidCursor) {
			t.Errorf("CallList with cursor %q: error %v, want a malformed-cursor error", bad, err)
		}
	}
}
