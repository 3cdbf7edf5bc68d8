package app

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/connectors"
	"github.com/callimport/callimport/internal/sealing"
	"github.com/callimport/callimport/internal/source/genesys/genesystest"
	"github.com/callimport/callimport/internal/store"
)

func newTestServer(t *testing.T, mod func(*config.Serve)) *Server {
	t.Helper()
	cfg := config.Serve{Storage: config.Storage{DataDir: t.TempDir()}, ShutdownTimeout: 5 * time.Second, Workers: 1}
	cfg.Genesys.Lag = -1
	if mod != nil {
		mod(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	return srv
}

// TestWireConnectorsGenesys starts on the embedded defaults (no key
// configured: one is generated into the data dir), enters a connection and
// a rule, and lets the loop run the due rule against the simulator.
func TestWireConnectorsGenesys(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, nil)
	fi, err := os.Stat(filepath.Join(srv.cfg.DataDir, secretKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("generated key file: %v, %v", fi, err)
	}
	sim := genesystest.New(genesystest.Config{Seed: 1, Conversations: 20, TranscodingPercent: -1})
	defer sim.Close()
	ctx := t.Context()
	org, err := srv.Store.OrgCreate(ctx, store.OrgCreateParams{Name: "g"})
	if err != nil {
		t.Fatal(err)
	}
	camp, err := srv.Store.CampaignCreate(ctx, store.CampaignCreateParams{OrgID: org.ID, Name: "g"})
	if err != nil {
		t.Fatal(err)
	}
	id, secret := sim.Credentials()
	m := srv.Connectors
	if _, err := m.PutGenesysConnection(ctx, org.ID, connectors.GenesysConnectionInput{APIBaseURL: sim.URL(), ClientID: id,
		ClientSecret: &secret}); err != nil {
		t.Fatal(err)
	}
	backfill := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	if _, err := m.PutGenesysRule(ctx, org.ID, camp.ID, connectors.GenesysRuleInput{BackfillStart: backfill,
		IntervalSeconds: 3600, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.RunGenesysLoop(rctx, 20*time.Millisecond) }()
	gs := srv.Store.(store.Genesys)
	var runs []store.GenesysRun
	for range 500 {
		if runs, err = gs.GenesysRunList(ctx, org.ID, camp.ID, 5); err != nil || len(runs) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // more ticks: not due again for an hour
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	runs, _ = gs.GenesysRunList(ctx, org.ID, camp.ID, 5)
	if len(runs) != 1 || runs[0].Error != "" {
		t.Fatalf("runs %+v", runs)
	}
	calls, _, err := srv.Store.CallList(ctx, store.CallListParams{OrgID: org.ID, CampaignID: camp.ID})
	if err != nil || len(calls) == 0 {
		t.Fatalf("%d calls, %v", len(calls), err)
	}
	rule, err := m.GetGenesysRule(ctx, org.ID, camp.ID)
	if err != nil || rule.LastImportAt == nil || rule.Quiet || rule.NextRunAt == nil || rule.Watermark == nil {
		t.Fatalf("rule health %+v, %v", rule, err)
	}
	var out bytes.Buffer
	if err := genesysPreview(ctx, m, org.ID, camp.ID, backfill, time.Now(), true, &out); err != nil {
		t.Fatal(err)
	}
	var pv connectors.GenesysPreview
	if err := json.Unmarshal(out.Bytes(), &pv); err != nil || pv.Kept < len(calls) || len(pv.ByQueue) == 0 {
		t.Fatalf("preview %s: %v", out.Bytes(), err)
	}
	out.Reset()
	if err := genesysPreview(ctx, m, org.ID, camp.ID, backfill, time.Now(), false, &out); err != nil ||
		!strings.Contains(out.String(), "kept") {
		t.Fatalf("preview table %q: %v", out.String(), err)
	}
	// The command, by campaign name, with the server's data dir.
	out.Reset()
	var errOut bytes.Buffer
	code := Main(ctx, []string{"genesys", "preview", "--data-dir", srv.cfg.DataDir, "--campaign", "g", "--from", "2026-05-01",
		"--to", time.Now().UTC().Format(time.RFC3339), "--json"}, IO{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	var pv2 connectors.GenesysPreview
	if code != 0 || json.Unmarshal(out.Bytes(), &pv2) != nil || pv2.Kept != pv.Kept {
		t.Fatalf("genesys preview: exit %d, %s %s", code, out.Bytes(), errOut.Bytes())
	}
	code = Main(ctx, []string{"genesys", "preview", "--data-dir", srv.cfg.DataDir, "--campaign", "nope", "--from", "2026-05-01",
		"--to", "2026-05-02"}, IO{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	if code != 1 || !strings.Contains(errOut.String(), "no campaign") {
		t.Fatalf("unknown campaign: exit %d, %s", code, errOut.Bytes())
	}
}

// TestWireConnectorsPull lets the loop run a due source whose stored
// password was sealed under a key this server lacks: the failure lands in
// the source's run history, once (the next run is scheduled).
func TestWireConnectorsPull(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, func(c *config.Serve) { c.SFTPPull.Tick = 20 * time.Millisecond })
	ctx := t.Context()
	org, _ := srv.Store.OrgCreate(ctx, store.OrgCreateParams{Name: "p"})
	camp, _ := srv.Store.CampaignCreate(ctx, store.CampaignCreateParams{OrgID: org.ID, Name: "p"})
	other, _ := sealing.New(sealing.NewKey())
	sealed, _ := other.Seal(org.ID, "pw")
	st := srv.Store.(store.SFTPPull)
	src, err := st.PullSourcePut(ctx, store.PullSourcePutParams{OrgID: org.ID, CampaignID: camp.ID, Host: "127.0.0.1", Port: 1,
		Username: "u", PasswordSealed: sealed, HostKeyFingerprint: "SHA256:x", AfterAction: "keep",
		IntervalSeconds: 3600, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Connectors.RunPullLoop(rctx, 20*time.Millisecond) }()
	for range 200 {
		if runs, err := st.PullRunList(ctx, src.ID, 0); err != nil || len(runs) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // a few more ticks: not due again
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	runs, err := st.PullRunList(ctx, src.ID, 0)
	if err != nil || len(runs) != 1 || !strings.Contains(runs[0].Errors, "not configured") {
		t.Fatalf("runs = %+v, %v", runs, err)
	}
	got, err := srv.Connectors.GetPullSource(ctx, org.ID, src.ID)
	if err != nil || got.LastRunAt == nil || got.LastImportAt != nil || got.NextRunAt == nil || !got.NextRunAt.After(time.Now()) {
		t.Fatalf("source health %+v, %v", got.Health, err)
	}
}

// TestConnectorKeys: CALLIMPORT_SECRET_KEY wins; the deprecated
// per-channel keys still work, the second one as a previous key.
func TestConnectorKeys(t *testing.T) {
	t.Parallel()
	k1, k2, k3 := sealing.NewKey(), sealing.NewKey(), sealing.NewKey()
	log := slog.New(slog.DiscardHandler)
	for _, c := range []struct {
		name     string
		cfg      config.Serve
		primary  string
		previous int
	}{
		{"new", config.Serve{Connectors: config.Connectors{SecretKey: k1, SecretKeyPrevious: k2 + "," + k3}}, k1, 2},
		{"legacy genesys", config.Serve{Genesys: config.Genesys{SecretKey: k1}}, k1, 0},
		{"legacy both", config.Serve{Genesys: config.Genesys{SecretKey: k1}, SFTPPull: config.SFTPPull{SecretKey: k2}}, k1, 1},
		{"legacy same", config.Serve{Genesys: config.Genesys{SecretKey: k1}, SFTPPull: config.SFTPPull{SecretKey: k1}}, k1, 0},
		{"new over legacy", config.Serve{Connectors: config.Connectors{SecretKey: k3}, SFTPPull: config.SFTPPull{SecretKey: k2}}, k3, 1},
	} {
		p, prev := connectorKeys(c.cfg, log)
		if p != c.primary || len(prev) != c.previous {
			t.Errorf("%s: primary %v, %d previous; want %d", c.name, p == c.primary, len(prev), c.previous)
		}
	}
	// During a rollout the server opens what the old key sealed and seals
	// under the new one.
	oldKR, _ := sealing.New(k1)
	sealed, _ := oldKR.Seal("org", "secret")
	kr, err := connectorKeyring(config.Serve{Connectors: config.Connectors{SecretKey: k2, SecretKeyPrevious: k1}}, true, log)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := kr.Open("org", sealed); err != nil || got != "secret" {
		t.Errorf("rollout: open under the previous key: %q, %v", got, err)
	}
	if resealed, _ := kr.Seal("org", "secret"); sealing.SealedKeyID(resealed) == sealing.SealedKeyID(sealed) {
		t.Error("rollout: sealed under the previous key")
	}
	bad := config.Serve{Storage: config.Storage{DataDir: t.TempDir()}, Connectors: config.Connectors{SecretKey: "c2hvcnQ="}}
	if _, err := connectorKeyring(bad, false, log); err == nil {
		t.Error("short key accepted")
	}
}
