package genesys_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/app"
	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/store"

	"github.com/callimport/callimport/internal/source/genesys"
	"github.com/callimport/callimport/internal/source/genesys/genesystest"
)

// BenchmarkRun imports 1,000 conversations with 50 ms of API latency under
// a 300 requests/minute limit, and reports API requests per imported
// conversation (target ≤ 0.2) and the run's duration over the shortest the
// limit allows for the requests it made, (requests−1)/300 min, floored at
// the latency of one request (target ≤ 1.1).
func BenchmarkRun(b *testing.B) {
	for range b.N {
		b.StopTimer()
		sim, client, srv, orgID, campaignID := benchSetup(b)
		sim.SetLatency(50 * time.Millisecond)
		end := simStart.Add(8 * 24 * time.Hour)
		r := genesys.NewRunner(client, srv.Ingest, genesys.RunnerConfig{OrgID: orgID, Lag: -1,
			PollInterval: 100 * time.Millisecond, Workers: 8, Now: func() time.Time { return end }})
		rule := genesys.Rule{CampaignID: campaignID, BackfillStart: simStart}
		b.StartTimer()
		started := time.Now()
		rep, err := r.Run(b.Context(), rule, genesys.Progress{})
		took := time.Since(started)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		st := sim.Stats()
		n := st.Requests + st.Tokens
		floor := max(time.Duration(n-1)*time.Minute/300, 50*time.Millisecond)
		b.ReportMetric(float64(n)/float64(max(rep.Imported, 1)), "req/imported")
		b.ReportMetric(took.Seconds()/floor.Seconds(), "duration/limit-floor")
		b.ReportMetric(float64(rep.Imported), "imported")
		b.ReportMetric(float64(st.RateLimited), "429s")
	}
}

func benchSetup(b *testing.B) (*genesystest.Server, *genesys.Client, *app.Server, string, string) {
	b.Helper()
	sim := genesystest.New(genesystest.Config{Seed: 11, Conversations: 1000, RateLimitPerMinute: 300})
	b.Cleanup(sim.Close)
	cfg := config.Serve{Storage: config.Storage{DataDir: b.TempDir()}, MaxUploadSize: 1 << 30, TokenTTL: time.Hour,
		ShutdownTimeout: time.Second, Workers: 1, OrphanAge: time.Hour}
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	srv, err := app.NewServer(b.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	org, err := srv.Store.OrgCreate(b.Context(), store.OrgCreateParams{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	camp, err := srv.Store.CampaignCreate(b.Context(), store.CampaignCreateParams{OrgID: org.ID, Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	id, secret := sim.Credentials()
	c, err := genesys.NewClient(genesys.Config{APIBaseURL: sim.URL(), ClientID: id, ClientSecret: secret})
	if err != nil {
		b.Fatal(err)
	}
	return sim, c, srv, org.ID, camp.ID
}
