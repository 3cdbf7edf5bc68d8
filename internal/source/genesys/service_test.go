package genesys_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/source/genesys"
	"github.com/callimport/callimport/internal/store"
)

const testKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes

func TestSealer(t *testing.T) {
	t.Parallel()
	s, err := genesys.NewSealer(testKey)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal("org1", "top secret")
	if err != nil || strings.Contains(sealed, "top secret") {
		t.Fatalf("sealed %q, %v", sealed, err)
	}
	if got, err := s.Open("org1", sealed); err != nil || got != "top secret" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := s.Open("org2", sealed); !errors.Is(err, genesys.ErrUnseal) {
		t.Fatalf("open for another org: %v", err)
	}
	other, _ := genesys.NewSealer(base64.StdEncoding.EncodeToString(make([]byte, 32)))
	if _, err := other.Open("org1", sealed); !errors.Is(err, genesys.ErrUnseal) {
		t.Fatalf("open with another key: %v", err)
	}
	if _, err := genesys.NewSealer("c2hvcnQ="); err == nil {
		t.Fatal("short key accepted")
	}
}

func TestServiceRunsFromTheStore(t *testing.T) {
	t.Parallel()
	s := newSetup(t, genesystestConfig(5), genesys.Config{})
	gs, ok := s.env.Store.(store.Genesys)
	if !ok {
		t.Fatalf("%T is not a store.Genesys", s.env.Store)
	}
	sealer, err := genesys.NewSealer(testKey)
	if err != nil {
		t.Fatal(err)
	}
	end := simStart.Add(8 * 24 * time.Hour)
	svc := genesys.NewService(gs, sealer, s.env.Server.Ingest, genesys.ServiceConfig{
		Runner: genesys.RunnerConfig{Lag: -1, PollInterval: time.Millisecond, Now: func() time.Time { return end }}})
	ctx := t.Context()
	id, secret := s.sim.Credentials()
	org := s.env.A.OrgID
	if err := svc.PutConnection(ctx, org, genesys.Connection{APIBaseURL: s.sim.URL(), ClientID: id, ClientSecret: secret}); err != nil {
		t.Fatal(err)
	}
	if conn, err := gs.GenesysConnectionGet(ctx, org); err != nil || strings.Contains(conn.SecretSealed, secret) {
		t.Fatalf("stored connection %+v, %v", conn, err)
	}
	if o, err := svc.TestConnection(ctx, org); err != nil || o.Name == "" {
		t.Fatalf("test connection: %+v %v", o, err)
	}
	rule := baseRule(s.sim, s.env.A.CampaignID)
	if err := svc.PutRule(ctx, org, genesys.RuleSettings{Rule: rule, Interval: time.Hour, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	pv, err := svc.Preview(ctx, org, s.env.A.CampaignID, simStart, end)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := svc.RunRule(ctx, org, s.env.A.CampaignID)
	if err != nil {
		t.Fatal(err)
	}
	want := expect(s.sim.Data(), rule, simStart, end)
	if rep.Selected != len(want.kept) || pv.Kept != rep.Selected || rep.Imported != len(want.ready) {
		t.Fatalf("selected %d preview %d imported %d; want %d, %d", rep.Selected, pv.Kept, rep.Imported, len(want.kept), len(want.ready))
	}
	rep2, err := svc.RunRule(ctx, org, s.env.A.CampaignID)
	if err != nil || rep2.Selected != 0 || rep2.Imported != len(want.parked) {
		t.Fatalf("second run: %+v %v", rep2, err)
	}
	all, err := gs.GenesysRunList(ctx, org, s.env.A.CampaignID, 10)
	if err != nil {
		t.Fatal(err)
	}
	// The test server's own scheduler may also have tried the enabled rule
	// (at its start, or later on a loaded machine); it cannot open a secret
	// sealed under this test's key, so its runs fail. Ours are the others.
	var runs []store.GenesysRun
	for _, r := range all {
		if r.Error == "" {
			runs = append(runs, r)
		} else if !strings.Contains(r.Error, "cannot decrypt") {
			t.Errorf("unexpected failed run: %s", r.Error)
		}
	}
	if len(runs) != 2 {
		t.Fatalf("runs %d of %d", len(runs), len(all))
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(runs[1].Report), &doc); err != nil || doc["imported"] != float64(rep.Imported) {
		t.Fatalf("history %s, %v", runs[1].Report, err)
	}
	// A connection sealed for org A cannot be used by org B.
	conn, _ := gs.GenesysConnectionGet(ctx, org)
	if _, err := gs.GenesysConnectionPut(ctx, store.GenesysConnectionPutParams{OrgID: s.env.B.OrgID, APIBaseURL: conn.APIBaseURL,
		ClientID: conn.ClientID, SecretSealed: conn.SecretSealed}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.TestConnection(ctx, s.env.B.OrgID); !errors.Is(err, genesys.ErrUnseal) {
		t.Fatalf("moved secret: %v", err)
	}
}
