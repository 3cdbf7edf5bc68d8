package main_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/source/genesys"
	"github.com/callimport/callimport/internal/source/genesys/genesystest"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/store/storesqlite"
)

// genesysServe is a `callimport serve` process running the Genesys channel,
// with its own SQLite store opened beside it by the test (as the admin
// commands do) to configure the connection and read the outcome.
type genesysServe struct {
	*proc
	st     *storesqlite.DB
	org    string
	camp   string
	keyEnv string
}

// A short lease lets the restarted server take over the killed one's run
// quickly (a dead process's lease lapses; it is never stolen while renewed).
var genesysArgs = []string{"--genesys-tick", "100ms", "--genesys-lag", "1m", "--connector-lease", "3s"}

func startGenesysServe(t *testing.T, dataDir, keyEnv string) *genesysServe {
	t.Helper()
	p := startServeEnv(t, dataDir, []string{"CALLIMPORT_GENESYS_SECRET_KEY=" + keyEnv}, genesysArgs...)
	st, err := storesqlite.Open(t.Context(), storesqlite.Config{Path: filepath.Join(dataDir, "callimport.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return &genesysServe{proc: p, st: st, keyEnv: keyEnv}
}

// configure stores the connection to sim and an export rule on the
// bootstrap campaign, which the running server then picks up by itself.
func (g *genesysServe) configure(t *testing.T, sim *genesystest.Server) {
	t.Helper()
	orgs, err := g.st.OrgList(t.Context())
	if err != nil || len(orgs) != 1 {
		t.Fatalf("orgs %v: %v", orgs, err)
	}
	g.org, g.camp = orgs[0].ID, g.Camp
	sealer, err := genesys.NewSealer(g.keyEnv)
	if err != nil {
		t.Fatal(err)
	}
	svc := genesys.NewService(g.st, sealer, nil, genesys.ServiceConfig{})
	id, secret := sim.Credentials()
	if err := svc.PutConnection(t.Context(), g.org, genesys.Connection{APIBaseURL: sim.URL(), ClientID: id, ClientSecret: secret}); err != nil {
		t.Fatal(err)
	}
	qs := sim.Data().Queues
	rule := genesys.Rule{CampaignID: g.camp, QueueIDs: []string{qs[0].ID, qs[1].ID, qs[2].ID},
		MinDuration: 30 * time.Second, AgentDailyQuota: 4, SamplePercent: 80,
		BackfillStart: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}
	if err := svc.PutRule(t.Context(), g.org, genesys.RuleSettings{Rule: rule, Interval: time.Hour, Enabled: true}); err != nil {
		t.Fatal(err)
	}
}

// conversations returns the campaign's calls by conversation id, failing
// on a conversation imported twice.
func (g *genesysServe) conversations(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	cursor := ""
	for {
		cs, next, err := g.st.CallList(t.Context(), store.CallListParams{OrgID: g.org, CampaignID: g.camp, Cursor: cursor, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if _, dup := out[c.ExternalID]; dup {
				t.Fatalf("conversation %s imported twice", c.ExternalID)
			}
			out[c.ExternalID] = c.SHA256
		}
		if cursor = next; cursor == "" {
			return out
		}
	}
}

// completedRun waits for a run that started after since and completed.
func (g *genesysServe) completedRun(t *testing.T, since time.Time) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		runs, err := g.st.GenesysRunList(t.Context(), g.org, g.camp, 5)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			if r.Error == "" && r.StartedAt.After(since) {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no completed Genesys run after %s; stderr:\n%s", since, g.logs(t))
}

// TestGenesysKillAndRestart SIGKILLs a server in the middle of a Genesys
// run, restarts it, and checks that it ends with exactly the calls an
// uninterrupted server imports from the same organisation, none twice.
func TestGenesysKillAndRestart(t *testing.T) {
	t.Parallel()
	sim := genesystest.New(genesystest.Config{Seed: 21, TranscodingPercent: -1})
	t.Cleanup(sim.Close)
	sim.SetLatency(15 * time.Millisecond)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	keyB64 := base64.StdEncoding.EncodeToString(key)

	// The reference: one server, no interruption.
	ref := startGenesysServe(t, t.TempDir(), keyB64)
	start := time.Now()
	ref.configure(t, sim)
	ref.completedRun(t, start.Add(-time.Second))
	want := ref.conversations(t)
	if len(want) < 20 {
		t.Fatalf("the rule selects only %d conversations: too few to interrupt a run", len(want))
	}

	// The victim: killed once a third of the calls are in.
	dir := t.TempDir()
	victim := startGenesysServe(t, dir, keyB64)
	victim.configure(t, sim)
	deadline := time.Now().Add(60 * time.Second)
	for len(victim.conversations(t)) < len(want)/3 {
		if time.Now().After(deadline) {
			t.Fatalf("the run did not import a third of %d conversations in 60 s", len(want))
		}
		time.Sleep(5 * time.Millisecond)
	}
	victim.kill(syscall.SIGKILL)
	atKill := len(victim.conversations(t))
	if atKill >= len(want) {
		t.Fatalf("the run finished (%d calls) before the kill: nothing was interrupted", atKill)
	}
	restarted := time.Now()
	again := startGenesysServe(t, dir, keyB64)
	again.org, again.camp = victim.org, victim.camp
	again.completedRun(t, restarted)
	got := again.conversations(t)
	t.Logf("%d conversations selected; %d imported at the kill; %d after the restart", len(want), atKill, len(got))
	for id, sum := range want {
		if got[id] != sum {
			t.Errorf("conversation %s: sha256 %q after the restart, want %q", id, got[id], sum)
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("conversation %s imported but not selected by the uninterrupted run", id)
		}
	}
	if t.Failed() {
		fmt.Println(again.logs(t))
	}
}
