package genesys_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"slices"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/app/apptest"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/ingest"
	"github.com/callimport/callimport/internal/source/genesys"
	"github.com/callimport/callimport/internal/source/genesys/genesystest"
	"github.com/callimport/callimport/internal/store"
)

var simStart = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

// expectation is the independent computation on the seeded data.
type expectation struct {
	kept                       []string // conversation ids in (end, id) order
	ready, parked, failed      map[string]bool
	agentOf, queueOf, wrapUpOf map[string]string
	durationOf                 map[string]time.Duration
	directionOf                map[string]string
}

func sampledIndependent(id string, pct float64) bool {
	if pct <= 0 || pct >= 100 {
		return true
	}
	sum := sha256.Sum256([]byte(id))
	return binary.BigEndian.Uint64(sum[:8])%10000 < uint64(pct*100+0.5)
}

// expect applies rule to the seeded conversations that ended in (from, to].
func expect(d genesystest.Data, rule genesys.Rule, from, to time.Time) expectation {
	e := expectation{ready: map[string]bool{}, parked: map[string]bool{}, failed: map[string]bool{},
		agentOf: map[string]string{}, queueOf: map[string]string{}, wrapUpOf: map[string]string{},
		durationOf: map[string]time.Duration{}, directionOf: map[string]string{}}
	cs := slices.Clone(d.Conversations)
	sort.Slice(cs, func(i, j int) bool {
		if !cs[i].End.Equal(cs[j].End) {
			return cs[i].End.Before(cs[j].End)
		}
		return cs[i].ID < cs[j].ID
	})
	taken := map[string]int{}
	for _, c := range cs {
		if !c.End.After(from) || c.End.After(to) || c.MediaType != "voice" {
			continue
		}
		var leg *genesystest.Leg
		for i := range c.Legs {
			if len(rule.QueueIDs) == 0 || slices.Contains(rule.QueueIDs, c.Legs[i].QueueID) {
				leg = &c.Legs[i]
				break
			}
		}
		dur := c.Duration()
		if leg == nil || (len(rule.Directions) > 0 && !slices.Contains(rule.Directions, c.Direction)) ||
			(rule.MinDuration > 0 && dur < rule.MinDuration) || (rule.MaxDuration > 0 && dur > rule.MaxDuration) ||
			(rule.MinMOS > 0 && c.MOS > 0 && c.MOS < rule.MinMOS) || !sampledIndependent(c.ID, rule.SamplePercent) {
			continue
		}
		day := c.Start.UTC().Format(time.DateOnly)
		ak, qk := leg.UserID+day, leg.QueueID+day
		if rule.AgentDailyQuota > 0 && taken[ak] >= rule.AgentDailyQuota {
			continue
		}
		if cp := rule.QueueDailyCap[leg.QueueID]; cp > 0 && taken[qk] >= cp {
			continue
		}
		taken[ak]++
		taken[qk]++
		e.kept = append(e.kept, c.ID)
		e.agentOf[c.ID], e.queueOf[c.ID], e.wrapUpOf[c.ID] = leg.UserID, leg.QueueID, leg.WrapUpCode
		e.durationOf[c.ID], e.directionOf[c.ID] = dur, c.Direction
		switch r := c.Recordings[0]; {
		case r.FileState != "AVAILABLE":
			e.failed[c.ID] = true
		case r.NotReadyPolls >= 2: // batch and the recordings list both see it transcoding
			e.parked[c.ID] = true
		default:
			e.ready[c.ID] = true
		}
	}
	return e
}

type setup struct {
	sim    *genesystest.Server
	env    *apptest.Env
	client *genesys.Client
}

func genesystestConfig(seed int64) genesystest.Config {
	return genesystest.Config{Seed: seed, TranscodingPercent: 6, TranscodingPolls: 2}
}

func newSetup(t *testing.T, cfg genesystest.Config, ccfg genesys.Config) setup {
	t.Helper()
	sim := genesystest.New(cfg)
	t.Cleanup(sim.Close)
	env := apptest.Start(t, apptest.Options{})
	id, secret := sim.Credentials()
	ccfg.APIBaseURL, ccfg.ClientID, ccfg.ClientSecret = sim.URL(), id, secret
	c, err := genesys.NewClient(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	return setup{sim: sim, env: env, client: c}
}

func (s setup) runner(t *testing.T, in genesys.Ingester, orgID string, now time.Time) *genesys.Runner {
	t.Helper()
	if in == nil {
		in = s.env.Server.Ingest
	}
	return genesys.NewRunner(s.client, in, genesys.RunnerConfig{OrgID: orgID, Lag: -1,
		PollInterval: time.Millisecond, Now: func() time.Time { return now }})
}

// calls returns the external ids of the campaign's calls, checking none twice.
func calls(t *testing.T, st store.Store, orgID, campaignID string) map[string]call.Call {
	t.Helper()
	out := map[string]call.Call{}
	cursor := ""
	for range 100 {
		cs, next, err := st.CallList(t.Context(), store.CallListParams{OrgID: orgID, CampaignID: campaignID, Cursor: cursor, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if _, dup := out[c.ExternalID]; dup {
				t.Fatalf("conversation %s imported twice", c.ExternalID)
			}
			out[c.ExternalID] = c
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	return out
}

func baseRule(sim *genesystest.Server, campaignID string) genesys.Rule {
	qs := sim.Data().Queues
	return genesys.Rule{CampaignID: campaignID, QueueIDs: []string{qs[0].ID, qs[1].ID, qs[2].ID},
		Directions: []string{"inbound", "outbound"}, MinDuration: 30 * time.Second, MaxDuration: 40 * time.Minute,
		MinMOS: 3.2, AgentDailyQuota: 3, QueueDailyCap: map[string]int{qs[1].ID: 4}, SamplePercent: 70,
		BackfillStart: simStart}
}

func TestFullRunImportsExactlyTheSelection(t *testing.T) {
	t.Parallel()
	s := newSetup(t, genesystest.Config{Seed: 42, TranscodingPercent: 6, TranscodingPolls: 2}, genesys.Config{})
	rule := baseRule(s.sim, s.env.A.CampaignID)
	end := simStart.Add(8 * 24 * time.Hour)
	want := expect(s.sim.Data(), rule, simStart, end)
	if len(want.ready) < 40 || len(want.parked) == 0 || len(want.kept) >= 250 {
		t.Fatalf("fixture too weak: kept %d ready %d parked %d failed %d", len(want.kept), len(want.ready), len(want.parked), len(want.failed))
	}
	r := s.runner(t, nil, s.env.A.OrgID, end)

	pv, err := r.Preview(t.Context(), rule, simStart, end)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.Run(t.Context(), rule, genesys.Progress{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Interrupted != nil {
		t.Fatalf("interrupted: %v", rep.Interrupted)
	}
	if rep.Selected != len(want.kept) || pv.Kept != rep.Selected || rep.Imported != len(want.ready) ||
		rep.Parked != len(want.parked) || len(rep.Failed) != len(want.failed) || !rep.Progress.Watermark.Equal(end) {
		t.Fatalf("run: selected %d (preview %d) imported %d parked %d failed %d wm %s; want %d, %d, %d, %d",
			rep.Selected, pv.Kept, rep.Imported, rep.Parked, len(rep.Failed), rep.Progress.Watermark,
			len(want.kept), len(want.ready), len(want.parked), len(want.failed))
	}
	sum := 0
	for _, c := range pv.ByQueue {
		sum += c.Kept
	}
	if sum != pv.Kept {
		t.Fatalf("preview per queue sums to %d, kept %d", sum, pv.Kept)
	}
	got := calls(t, s.env.Store, s.env.A.OrgID, s.env.A.CampaignID)
	if len(got) != len(want.ready) {
		t.Fatalf("%d calls stored, want %d", len(got), len(want.ready))
	}
	users := map[string]genesystest.User{}
	for _, u := range s.sim.Data().Users {
		users[u.ID] = u
	}
	for id := range want.ready {
		c, ok := got[id]
		if !ok {
			t.Fatalf("conversation %s not imported", id)
		}
		if c.Source != call.SourceGenesys || c.AgentEmail != users[want.agentOf[id]].Email {
			t.Fatalf("call %s: source %s agent %q want %q", id, c.Source, c.AgentEmail, users[want.agentOf[id]].Email)
		}
		meta := map[string]string{}
		for _, p := range c.Metadata {
			meta[p.Key] = p.Value
		}
		if meta["genesys_conversation_id"] != id || meta["queue_id"] != want.queueOf[id] || meta["queue"] == "" ||
			meta["direction"] != want.directionOf[id] || meta["wrap_up_code"] == "" {
			t.Fatalf("call %s metadata %v", id, meta)
		}
	}

	// The parked conversations come in on the next run; nothing twice.
	rep2, err := r.Run(t.Context(), rule, rep.Progress)
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Imported != len(want.parked) || rep2.Parked != 0 || rep2.Selected != 0 {
		t.Fatalf("second run: imported %d parked %d selected %d; want %d", rep2.Imported, rep2.Parked, rep2.Selected, len(want.parked))
	}
	if got := calls(t, s.env.Store, s.env.A.OrgID, s.env.A.CampaignID); len(got) != len(want.ready)+len(want.parked) {
		t.Fatalf("%d calls after the second run", len(got))
	}
	st := s.sim.Stats()
	if st.Requests*5 > len(want.kept) {
		t.Logf("API requests %d for %d kept conversations (%v)", st.Requests, len(want.kept), st.ByRoute)
	}
}

// TestStableAcrossRuns runs day by day and in one go: same calls, quotas exact.
func TestStableAcrossRuns(t *testing.T) {
	t.Parallel()
	s := newSetup(t, genesystest.Config{Seed: 7, TranscodingPercent: -1}, genesys.Config{})
	end := simStart.Add(8 * 24 * time.Hour)
	ruleA := baseRule(s.sim, s.env.A.CampaignID)
	ruleB := baseRule(s.sim, s.env.B.CampaignID)
	if _, err := s.runner(t, nil, s.env.A.OrgID, end).Run(t.Context(), ruleA, genesys.Progress{}); err != nil {
		t.Fatal(err)
	}
	var prog genesys.Progress
	for now := simStart.Add(7 * time.Hour); !now.After(end); now = now.Add(17 * time.Hour) {
		rep, err := s.runner(t, nil, s.env.B.OrgID, now).Run(t.Context(), ruleB, prog)
		if err != nil {
			t.Fatal(err)
		}
		prog = rep.Progress
	}
	if _, err := s.runner(t, nil, s.env.B.OrgID, end).Run(t.Context(), ruleB, prog); err != nil {
		t.Fatal(err)
	}
	a := calls(t, s.env.Store, s.env.A.OrgID, s.env.A.CampaignID)
	b := calls(t, s.env.Store, s.env.B.OrgID, s.env.B.CampaignID)
	want := expect(s.sim.Data(), ruleA, simStart, end)
	if len(a) != len(want.ready) || len(b) != len(a) {
		t.Fatalf("one run %d calls, day by day %d, want %d", len(a), len(b), len(want.ready))
	}
	for id := range a {
		if _, ok := b[id]; !ok {
			t.Fatalf("%s imported in one run only", id)
		}
	}
}

// cutIngester cancels the run after n imports, as a crash would.
type cutIngester struct {
	in     genesys.Ingester
	n      atomic.Int64
	cancel context.CancelFunc
}

func (c *cutIngester) Ingest(ctx context.Context, req ingest.Request) (ingest.Result, error) {
	if c.n.Add(-1) < 0 {
		c.cancel()
		return ingest.Result{}, &call.Error{Code: call.CodeUnavailable, Message: "crashed"}
	}
	return c.in.Ingest(ctx, req)
}

func TestCrashThenRestart(t *testing.T) {
	t.Parallel()
	s := newSetup(t, genesystest.Config{Seed: 9, TranscodingPercent: -1}, genesys.Config{})
	end := simStart.Add(8 * 24 * time.Hour)
	rule := baseRule(s.sim, s.env.A.CampaignID)
	want := expect(s.sim.Data(), rule, simStart, end)
	ctx, cancel := context.WithCancel(t.Context())
	cut := &cutIngester{in: s.env.Server.Ingest, cancel: cancel}
	cut.n.Store(int64(len(want.ready) / 2))
	rep, err := s.runner(t, cut, s.env.A.OrgID, end).Run(ctx, rule, genesys.Progress{})
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if err == nil && !rep.Progress.Watermark.Before(end) {
		t.Fatalf("watermark advanced to %s past an interrupted run", rep.Progress.Watermark)
	}
	// Restart from the saved progress, and again from nothing (progress lost).
	for _, p := range []genesys.Progress{rep.Progress, {}} {
		if _, err := s.runner(t, nil, s.env.A.OrgID, end).Run(t.Context(), rule, p); err != nil {
			t.Fatal(err)
		}
	}
	got := calls(t, s.env.Store, s.env.A.OrgID, s.env.A.CampaignID)
	if len(got) != len(want.ready) {
		t.Fatalf("%d calls after restart, want %d", len(got), len(want.ready))
	}
	for id := range want.ready {
		if _, ok := got[id]; !ok {
			t.Fatalf("%s missing after restart", id)
		}
	}
}

func TestRateLimitAndFaults(t *testing.T) {
	t.Parallel()
	s := newSetup(t, genesystest.Config{Seed: 3, Conversations: 60, TranscodingPercent: -1,
		RateLimitPerMinute: 4, RateWindow: time.Second}, genesys.Config{RequestsPerMinute: -1})
	end := simStart.Add(8 * 24 * time.Hour)
	rule := genesys.Rule{CampaignID: s.env.A.CampaignID, BackfillStart: simStart}
	want := expect(s.sim.Data(), rule, simStart, end)
	r := s.runner(t, nil, s.env.A.OrgID, end)
	if _, err := s.client.TestConnection(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.sim.ExpireTokens()
	s.sim.FailNext(2)
	s.sim.ExpireNextDownloads(3) // re-requested through the recordings list
	rep, err := r.Run(t.Context(), rule, genesys.Progress{})
	if err != nil {
		t.Fatal(err)
	}
	st := s.sim.Stats()
	if rep.Imported != len(want.ready) || len(rep.Failed) != len(want.failed) || st.RateLimited == 0 || st.Tokens != 2 {
		t.Fatalf("imported %d failed %v (want %d, %d); 429s %d tokens %d", rep.Imported, rep.Failed,
			len(want.ready), len(want.failed), st.RateLimited, st.Tokens)
	}
	if st.ByRoute["GET /api/v2/conversations/{cid}/recordings"] < 3 {
		t.Fatalf("expired media URLs were not re-requested: %v", st.ByRoute)
	}
	if st.MaxInWindow > 4 {
		t.Fatalf("%d requests served within one window", st.MaxInWindow)
	}
}

func TestClientBudgetAvoids429(t *testing.T) {
	t.Parallel()
	s := newSetup(t, genesystest.Config{Seed: 4, Conversations: 40, TranscodingPercent: -1,
		RateLimitPerMinute: 6, RateWindow: time.Second}, genesys.Config{RequestsPerMinute: 6, RateWindow: time.Second + 250*time.Millisecond})
	end := simStart.Add(8 * 24 * time.Hour)
	rule := genesys.Rule{CampaignID: s.env.A.CampaignID, BackfillStart: simStart}
	rep, err := s.runner(t, nil, s.env.A.OrgID, end).Run(t.Context(), rule, genesys.Progress{})
	if err != nil {
		t.Fatal(err)
	}
	if st := s.sim.Stats(); st.RateLimited != 0 || rep.Imported == 0 {
		t.Fatalf("429s %d, imported %d", st.RateLimited, rep.Imported)
	}
}

func TestNewClientRegions(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"mypurecloud.ie": "https://api.mypurecloud.ie", "eu_central_1": "https://api.mypurecloud.de"} {
		c, err := genesys.NewClient(genesys.Config{Region: in, ClientID: "x", ClientSecret: "y"})
		if err != nil {
			t.Fatal(err)
		}
		if a, l := c.BaseURLs(); a != want || l != "https://login."+a[len("https://api."):] {
			t.Fatalf("%s: %s %s", in, a, l)
		}
	}
	for _, bad := range []genesys.Config{{Region: "", ClientID: "x", ClientSecret: "y"}, {Region: "mypurecloud.ie"},
		{APIBaseURL: "ftp://x", ClientID: "x", ClientSecret: "y"}} {
		if _, err := genesys.NewClient(bad); err == nil {
			t.Fatalf("%+v accepted", bad)
		}
	}
}

// TestDeepWindowsAreSplit: a window with more hits than the server pages
// through is split until every conversation is found.
func TestDeepWindowsAreSplit(t *testing.T) {
	t.Parallel()
	s := newSetup(t, genesystest.Config{Seed: 6, Conversations: 150, TranscodingPercent: -1, MaxResults: 100}, genesys.Config{})
	end := simStart.Add(8 * 24 * time.Hour)
	rule := genesys.Rule{CampaignID: s.env.A.CampaignID, BackfillStart: simStart, SamplePercent: 50}
	want := expect(s.sim.Data(), rule, simStart, end)
	pv, err := s.runner(t, nil, s.env.A.OrgID, end).Preview(t.Context(), rule, simStart, end)
	if err != nil {
		t.Fatal(err)
	}
	if pv.Kept != len(want.kept) || pv.Candidates < 100 {
		t.Fatalf("preview kept %d of %d, want %d", pv.Kept, pv.Candidates, len(want.kept))
	}
}
