package bench

import (
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callimport/callimport/internal/app"
	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/telemetry"
)

// target is a server the benchmarks upload to.
type target struct {
	URL, Key, Campaign string
}

// appEnv is callimport running in this process on its embedded defaults.
type appEnv struct {
	target
	srv   *app.Server
	orgID string
}

// startApp runs callimport in-process with exactly the defaults of
// `callimport serve --data-dir D --http-addr 127.0.0.1:0` (SQLite with
// synchronous=FULL, file:// blobs with fsync, 8 workers, info logs, which
// are formatted and then discarded), with an organisation, a campaign and
// an API key of every scope. CALLIMPORT_BENCH_SERVE_ARGS adds flags (see
// serveArgs).
func startApp(tb testing.TB) *appEnv {
	tb.Helper()
	dir := tb.TempDir()
	var cfg config.Serve
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	config.BindServe(&config.Flags{FS: fs, Getenv: func(string) string { return "" }}, &cfg)
	args := append([]string{"--data-dir", dir, "--http-addr", "127.0.0.1:0", "--sftp-addr", "127.0.0.1:0"}, serveArgs()...)
	if err := fs.Parse(args); err != nil {
		tb.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	log := telemetry.NewLogger(io.Discard, cfg.LogLevel)
	ctx, cancel := context.WithCancel(context.WithoutCancel(tb.Context()))
	srv, err := app.NewServer(ctx, cfg, log)
	if err != nil {
		cancel()
		tb.Fatalf("new server: %v", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, ln) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			tb.Errorf("server: %v", err)
		}
		if err := srv.Close(); err != nil {
			tb.Errorf("close server: %v", err)
		}
	})
	org, err := srv.Store.OrgCreate(tb.Context(), store.OrgCreateParams{Name: "Bench org"})
	if err != nil {
		tb.Fatal(err)
	}
	all := []store.Scope{store.ScopeAdmin, store.ScopeCallsWrite, store.ScopeCallsRead}
	_, key, err := srv.Auth.CreateAPIKey(tb.Context(), org.ID, "bench key", all)
	if err != nil {
		tb.Fatal(err)
	}
	e := &appEnv{target: target{URL: "http://" + ln.Addr().String(), Key: key}, srv: srv, orgID: org.ID}
	e.Campaign = e.newCampaign(tb, "Bench campaign")
	return e
}

// serveArgsEnv holds extra `serve` flags for every callimport the
// benchmarks start, to compare settings (e.g. "--sqlite-synchronous NORMAL"
// or "--database postgres://..."); empty means the embedded defaults.
const serveArgsEnv = "CALLIMPORT_BENCH_SERVE_ARGS"

func serveArgs() []string { return strings.Fields(os.Getenv(serveArgsEnv)) }

// newCampaign creates a campaign in the benchmark's organisation.
func (e *appEnv) newCampaign(tb testing.TB, name string) string {
	tb.Helper()
	c, err := e.srv.Store.CampaignCreate(tb.Context(), store.CampaignCreateParams{OrgID: e.orgID, Name: name})
	if err != nil {
		tb.Fatal(err)
	}
	return c.ID
}

// startBaseline runs the baseline server in-process on 127.0.0.1 and
// returns its URL and its folder.
func startBaseline(tb testing.TB) (string, string) {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "baseline")
	if err := os.Mkdir(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(tb.Context()))
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- NewBaseline(dir).Serve(ctx, ln) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("baseline: %v", err)
		}
	})
	return "http://" + ln.Addr().String(), dir
}

// emptyDir removes what a round left in dir (untimed, between rounds).
func emptyDir(tb testing.TB, dir string) {
	tb.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			tb.Fatal(err)
		}
	}
}
