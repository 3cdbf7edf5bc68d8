package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/store"
)

// auditCloseTimeout bounds the writing of the queued audit events at Close.
const auditCloseTimeout = 30 * time.Second

// wireAudit starts the audit trail on st: every channel records to it,
// and Close writes what it still queues.
func wireAudit(ctx context.Context, st store.Store, log *slog.Logger) (*audit.Trail, error) {
	as, ok := st.(store.Audit)
	if !ok {
		return nil, fmt.Errorf("audit trail: store %T has none", st)
	}
	return audit.NewTrail(ctx, audit.Config{Store: as, Logger: log.With("component", "audit")}), nil
}

// auditRecorder is the server's recorder: the trail, or Discard before it
// is built.
func (s *Server) auditRecorder() audit.Recorder {
	if s.Audit == nil {
		return audit.Discard{}
	}
	return s.Audit
}

// closeAudit writes the queued audit events; it runs before the store closes.
func (s *Server) closeAudit() error {
	if s.Audit == nil {
		return nil
	}
	return s.Audit.Shutdown(auditCloseTimeout)
}
