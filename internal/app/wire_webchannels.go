package app

import (
	"fmt"
	"log/slog"

	"github.com/callimport/callimport/internal/source/genesys"
	"github.com/callimport/callimport/internal/source/sftppull"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/webui"
)

// webChannels gives the web settings pages what they drive: the Genesys
// service (stateless: a second one beside the scheduler's is fine), the
// pull runner for "Run now" and the sealer of pull secrets.
func webChannels(s *Server, log *slog.Logger) (webui.Channels, error) {
	ch := webui.Channels{SFTPAddress: s.cfg.SFTPAddr}
	if k := s.cfg.Genesys.SecretKey; k != "" {
		if gs, ok := s.Store.(store.Genesys); ok {
			sealer, err := genesys.NewSealer(k)
			if err != nil {
				return ch, fmt.Errorf("genesys: %w", err)
			}
			ch.Genesys = genesys.NewService(gs, sealer, s.Ingest, genesys.ServiceConfig{
				Runner: genesys.RunnerConfig{Lag: s.cfg.Genesys.Lag}, Logger: log.With("component", "genesys")})
		}
	}
	if ps, ok := s.Store.(store.SFTPPull); ok {
		if k := s.cfg.SFTPPull.SecretKey; k != "" {
			sealer, err := genesys.NewSealer(k)
			if err != nil {
				return ch, fmt.Errorf("sftp pull: %w", err)
			}
			ch.PullSealer = sealer
		}
		ch.PullRunner = &sftppull.Runner{Ingest: s.Ingest, Ledger: sftppull.StoreLedger{Store: ps},
			Log: log.With("component", "sftp-pull"), Concurrency: s.cfg.SFTPPull.Concurrency, Settle: s.cfg.SFTPPull.Settle}
	}
	return ch, nil
}
