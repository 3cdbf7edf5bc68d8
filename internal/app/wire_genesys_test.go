package app

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/source/genesys"
	"github.com/callimport/callimport/internal/source/genesys/genesystest"
	"github.com/callimport/callimport/internal/store"
)

// TestWireGenesys builds the channel on a real server and lets its loop run
// a due rule against the simulator.
func TestWireGenesys(t *testing.T) {
	t.Parallel()
	cfg := config.Serve{Storage: config.Storage{DataDir: t.TempDir()}, ShutdownTimeout: 5 * time.Second, Workers: 1}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	srv, err := NewServer(t.Context(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	if run, svc, err := wireGenesys(t.Context(), srv, config.Genesys{}, log); run != nil || svc != nil || err != nil {
		t.Fatalf("no key: %v %v %v", run != nil, svc != nil, err)
	}
	if _, _, err := wireGenesys(t.Context(), srv, config.Genesys{SecretKey: "c2hvcnQ="}, log); err == nil {
		t.Fatal("short key accepted")
	}
	run, svc, err := wireGenesys(t.Context(), srv, config.Genesys{SecretKey: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		Tick: time.Hour, Lag: -1}, log)
	if err != nil {
		t.Fatal(err)
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
	if err := svc.PutConnection(ctx, org.ID, genesys.Connection{APIBaseURL: sim.URL(), ClientID: id, ClientSecret: secret}); err != nil {
		t.Fatal(err)
	}
	rule := genesys.Rule{CampaignID: camp.ID, BackfillStart: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}
	if err := svc.PutRule(ctx, org.ID, genesys.RuleSettings{Rule: rule, Interval: time.Hour, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run(rctx) }()
	gs := srv.Store.(store.Genesys)
	var runs []store.GenesysRun
	for range 300 {
		if runs, err = gs.GenesysRunList(ctx, org.ID, camp.ID, 5); err != nil || len(runs) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Error != "" {
		t.Fatalf("runs %+v", runs)
	}
	calls, _, err := srv.Store.CallList(ctx, store.CallListParams{OrgID: org.ID, CampaignID: camp.ID})
	if err != nil || len(calls) == 0 {
		t.Fatalf("%d calls, %v", len(calls), err)
	}
	var out bytes.Buffer
	if err := genesysPreview(ctx, svc, org.ID, camp.ID, rule.BackfillStart, time.Now(), &out); err != nil {
		t.Fatal(err)
	}
	var pv genesys.Preview
	if err := json.Unmarshal(out.Bytes(), &pv); err != nil || pv.Kept < len(calls) {
		t.Fatalf("preview %s: %v", out.Bytes(), err)
	}
}

func TestGenesysSimulate(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	var out syncWriter
	done := make(chan error, 1)
	go func() {
		done <- genesysSimulate(ctx, "127.0.0.1:0", genesystest.Config{Seed: 3, Conversations: 5}, &out)
	}()
	for range 200 {
		if strings.Contains(out.String(), "client secret") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil || !strings.Contains(out.String(), "http://127.0.0.1:") {
		t.Fatalf("%v: %s", err, out.String())
	}
}

type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
