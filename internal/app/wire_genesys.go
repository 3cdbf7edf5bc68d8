package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"text/tabwriter"
	"time"

	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/connectors"
	"github.com/callimport/callimport/internal/ingest"
	"github.com/callimport/callimport/internal/sealing"
	"github.com/callimport/callimport/internal/source/genesys"
	"github.com/callimport/callimport/internal/source/genesys/genesystest"
	"github.com/callimport/callimport/internal/store"
)

// wireGenesys builds the Genesys Cloud channel's service, its secrets
// sealed with the connectors' keyring; the connectors' scheduler runs its
// due rules every cfg.Tick (wire_connectors.go).
func wireGenesys(st store.Genesys, kr *sealing.Keyring, in *ingest.Service, cfg config.Genesys, log *slog.Logger) *genesys.Service {
	return genesys.NewService(st, kr, in, genesys.ServiceConfig{
		Runner: genesys.RunnerConfig{Lag: cfg.Lag}, Logger: log.With("component", "genesys")})
}

// genesysSimulate serves the Genesys Cloud simulator on addr until ctx ends
// (`callimport genesys simulate --addr 127.0.0.1:PORT`), after printing its
// base URL and client credentials to w.
func genesysSimulate(ctx context.Context, addr string, cfg genesystest.Config, w io.Writer) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	cfg.Listener = ln
	sim := genesystest.New(cfg)
	defer sim.Close()
	id, secret := sim.Credentials()
	fmt.Fprintf(w, "Genesys Cloud simulator: %d conversations, seed %d\n  API and login base URL  %s\n  client id               %s\n  client secret           %s\n",
		len(sim.Data().Conversations), cfg.Seed, sim.URL(), id, secret)
	<-ctx.Done()
	return nil
}

// genesysPreview prints what the campaign's export rule would select over
// (from, to], as JSON or as a table (`callimport genesys preview`).
func genesysPreview(ctx context.Context, m *connectors.Manager, orgID, campaignID string, from, to time.Time, asJSON bool, w io.Writer) error {
	pv, err := m.PreviewGenesysRule(ctx, orgID, campaignID, from, to)
	if err != nil {
		return err //nolint:wrapcheck // says what failed
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(pv); err != nil {
			return fmt.Errorf("write preview: %w", err)
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "period\t%s to %s\n", pv.From.Format(time.RFC3339), pv.To.Format(time.RFC3339))
	fmt.Fprintf(tw, "conversations\t%d\nkept\t%d\n", pv.Candidates, pv.Kept)
	for _, r := range pv.Skipped {
		fmt.Fprintf(tw, "skipped: %s\t%d\n", r.Reason, r.Count)
	}
	for _, part := range []struct {
		title string
		rows  []connectors.GenesysCount
	}{{"queue", pv.ByQueue}, {"agent", pv.ByAgent}} {
		fmt.Fprintf(tw, "\n%s\tmatched\tkept\n", part.title)
		for _, c := range part.rows {
			fmt.Fprintf(tw, "%s\t%d\t%d\n", c.Name, c.Matched, c.Kept)
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write preview: %w", err)
	}
	return nil
}
