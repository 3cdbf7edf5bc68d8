package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/source/genesys"
	"github.com/callimport/callimport/internal/source/genesys/genesystest"
	"github.com/callimport/callimport/internal/store"
)

// wireGenesys builds the Genesys Cloud channel on s. It returns a nil run
// and service when cfg has no secret key (channel off); otherwise run looks
// for due export rules every cfg.Tick until ctx ends.
func wireGenesys(_ context.Context, s *Server, cfg config.Genesys, log *slog.Logger) (run func(ctx context.Context) error, svc *genesys.Service, err error) {
	if cfg.SecretKey == "" {
		return nil, nil, nil
	}
	st, ok := s.Store.(store.Genesys)
	if !ok {
		return nil, nil, fmt.Errorf("genesys: store %T has no genesys tables", s.Store)
	}
	sealer, err := genesys.NewSealer(cfg.SecretKey)
	if err != nil {
		return nil, nil, err
	}
	log = log.With("component", "genesys")
	svc = genesys.NewService(st, sealer, s.Ingest, genesys.ServiceConfig{
		Runner: genesys.RunnerConfig{Lag: cfg.Lag}, Logger: log})
	tick := cfg.Tick
	if tick <= 0 {
		tick = time.Minute
	}
	run = func(ctx context.Context) error {
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			if err := svc.RunDue(ctx); err != nil && ctx.Err() == nil {
				log.WarnContext(ctx, "genesys runs had errors", "error", err.Error())
			}
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
		}
	}
	return run, svc, nil
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

// genesysPreview prints, as JSON, what the campaign's export rule would
// select over (from, to] (`callimport genesys preview`).
func genesysPreview(ctx context.Context, svc *genesys.Service, orgID, campaignID string, from, to time.Time, w io.Writer) error {
	pv, err := svc.Preview(ctx, orgID, campaignID, from, to)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(pv); err != nil {
		return fmt.Errorf("write preview: %w", err)
	}
	return nil
}
