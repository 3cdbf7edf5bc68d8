package app

import (
	"log/slog"

	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/ingest"
	"github.com/callimport/callimport/internal/source/sftppull"
	"github.com/callimport/callimport/internal/store"
)

// wireSFTPPull builds the runner of SFTP pull sources, or nil when
// cfg.Tick is 0 (off). Its secrets are opened with the connectors'
// keyring; the connectors' scheduler runs it (wire_connectors.go).
func wireSFTPPull(st interface {
	store.SFTPPull
	sftppull.Campaigns
}, in *ingest.Service, cfg config.SFTPPull, log *slog.Logger) *sftppull.Runner {
	if cfg.Tick <= 0 {
		return nil
	}
	return &sftppull.Runner{Ingest: in, Ledger: sftppull.StoreLedger{Store: st}, Log: log.With("component", "sftp-pull"), Campaigns: st,
		Concurrency: cfg.Concurrency, Settle: cfg.Settle}
}
