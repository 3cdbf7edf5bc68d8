package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/source/genesys"
	"github.com/callimport/callimport/internal/source/sftppull"
	"github.com/callimport/callimport/internal/store"
)

// wireSFTPPull builds the SFTP pull sources on s. It returns a nil run when
// cfg.Tick is 0 (off); otherwise run looks for due sources every cfg.Tick
// until ctx ends. The sealer is nil without cfg.SecretKey.
func wireSFTPPull(_ context.Context, s *Server, cfg config.SFTPPull, log *slog.Logger) (run func(ctx context.Context) error, err error) {
	if cfg.Tick <= 0 {
		return nil, nil
	}
	st, ok := s.Store.(store.SFTPPull)
	if !ok {
		return nil, fmt.Errorf("sftp pull: store %T has no pull-source tables", s.Store)
	}
	var sealer *genesys.Sealer
	if cfg.SecretKey != "" {
		if sealer, err = genesys.NewSealer(cfg.SecretKey); err != nil {
			return nil, fmt.Errorf("sftp pull: %w", err)
		}
	}
	log = log.With("component", "sftp-pull")
	r := &sftppull.Runner{Ingest: s.Ingest, Ledger: sftppull.StoreLedger{Store: st}, Log: log, Campaigns: s.Store,
		Concurrency: cfg.Concurrency, Settle: cfg.Settle}
	run = func(ctx context.Context) error {
		t := time.NewTicker(cfg.Tick)
		defer t.Stop()
		for {
			if err := r.RunDue(ctx, st, sealer); err != nil && ctx.Err() == nil {
				log.WarnContext(ctx, "sftp pull runs had errors", "error", err.Error())
			}
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
		}
	}
	return run, nil
}
