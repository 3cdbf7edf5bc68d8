package app

import (
	"fmt"
	"log/slog"

	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/privacy"
)

// wirePrivacy builds retention and erasure on s's store and bucket. The
// service is given to the job queue as its privacy worker; once the queue
// exists, SetEnqueuer(queue) lets it accept erasure requests.
// Its erasure.* and retention.delete events go to s's audit trail, which
// must be wired before it.
func wirePrivacy(s *Server, cfg config.Privacy, log *slog.Logger) (*privacy.Service, error) {
	svc, err := privacy.New(privacy.Config{Store: s.Store, Blobs: s.Bucket, Logger: log, BatchSize: cfg.BatchSize, Audit: s.auditRecorder()})
	if err != nil {
		return nil, fmt.Errorf("privacy: %w", err)
	}
	return svc, nil
}
