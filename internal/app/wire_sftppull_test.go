package app

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/store"
)

// TestWireSFTPPull builds the pull sources on a real server and lets the
// loop run a due source whose stored password cannot be read without a key:
// the failure lands in the source's run history.
func TestWireSFTPPull(t *testing.T) {
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
	if run, err := wireSFTPPull(t.Context(), srv, config.SFTPPull{}, log); run != nil || err != nil {
		t.Fatalf("off: %v %v", run != nil, err)
	}
	if _, err := wireSFTPPull(t.Context(), srv, config.SFTPPull{Tick: time.Second, SecretKey: "c2hvcnQ="}, log); err == nil {
		t.Fatal("short key accepted")
	}
	run, err := wireSFTPPull(t.Context(), srv, config.SFTPPull{Tick: 20 * time.Millisecond}, log)
	if err != nil || run == nil {
		t.Fatalf("wire: %v", err)
	}
	ctx := t.Context()
	org, err := srv.Store.OrgCreate(ctx, store.OrgCreateParams{Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	camp, err := srv.Store.CampaignCreate(ctx, store.CampaignCreateParams{OrgID: org.ID, Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	st := srv.Store.(store.SFTPPull)
	src, err := st.PullSourcePut(ctx, store.PullSourcePutParams{OrgID: org.ID, CampaignID: camp.ID, Host: "127.0.0.1", Port: 1,
		Username: "u", PasswordSealed: "v1:AAAA", HostKeyFingerprint: "SHA256:x", AfterAction: "keep",
		IntervalSeconds: 3600, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run(rctx) }()
	var runs []store.PullRun
	for range 200 {
		if runs, err = st.PullRunList(ctx, src.ID, 0); err != nil || len(runs) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // a few more ticks: not due again
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	runs, err = st.PullRunList(ctx, src.ID, 0)
	if err != nil || len(runs) != 1 || !strings.Contains(runs[0].Errors, "secret key required") {
		t.Fatalf("runs = %+v, %v", runs, err)
	}
}
