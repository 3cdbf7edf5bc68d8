// Package privacy enforces the GDPR rules of callimport: per-campaign
// retention (calls received more than Campaign.RetentionDays days ago are
// deleted, audio and metadata) and erasure requests (one call, every call of
// an agent e-mail, or every call holding a metadata value), each with a
// receipt and an audit record that keep no personal data.
//
// # Set-up
//
// Build a Service with New over a store that implements store.Privacy,
// give it to the job queue (internal/jobs runs EnforceRetention
// periodically and RunErasure for each request), then SetEnqueuer with the
// queue so that RequestErasure can enqueue its job in the transaction that
// records the request.
//
// # Crash safety
//
// A call is erased in one transaction that deletes its row and SFTP
// receipts and records its blob key as an intake dated at the Unix epoch;
// the blob is deleted after the commit, then the intake, then the staging
// copies (Config.Staging: the tus upload records, which would otherwise
// expire after 24 hours). A crash in between
// leaves a stale intake that the orphan cleaner (internal/ingest) removes
// with its blob on its next run: nothing stays half-deleted. An erasure's
// receipt grows in the same transactions, so a retried erasure job reports
// every call erased by any attempt.
//
// # What is kept
//
// An erasure keeps its criterion (the e-mail or value searched for) only
// while it is pending or running; once done or failed it keeps only the
// criterion's SHA-256 (see CriterionSHA256). Logs and audit events carry ids
// and counts only.
//
// # What is not erased
//
// The ledger of SFTP pull sources keeps the remote path and SHA-256 of each
// fetched file (without them a file kept on the customer's server would be
// imported again); the file itself is on the customer's server. Calls
// received after an erasure ran are not erased by it.
package privacy

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/store"
)

// Defaults of Config.
const (
	BatchSizeDefault        = 100
	MaxRetentionRunDefault  = 10000
	ActionErasureRequest    = "erasure.request"
	ActionErasureDone       = "erasure.done"
	ActionErasureFailed     = "erasure.failed"
	ActionRetentionDelete   = "retention.delete"
	blobDeleteTimeoutPerRun = 5 * time.Minute
)

// Blobs deletes recordings; *blob.Bucket implements it. Deleting a missing
// key is not an error.
type Blobs interface {
	Delete(ctx context.Context, key string) error
}

// Enqueuer enqueues the job of an erasure in the transaction that records
// it; *jobs.Queue implements it.
type Enqueuer interface {
	EnqueueErasureTx(ctx context.Context, tx *sql.Tx, erasureID string) error
}

// Staging forgets the copies a channel keeps of a call outside the store
// and the blob store (the tus upload records, which hold the envelope until
// they expire); *tusupload.Handler implements it.
type Staging interface {
	ForgetCalls(ctx context.Context, callIDs []string) (int, error)
}

// Config configures a Service. Store and Blobs are required.
type Config struct {
	// Store must implement store.Privacy.
	Store store.Store
	Blobs Blobs
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Audit receives erasure.request, erasure.done, erasure.failed and
	// retention.delete events (ids and counts only). Defaults to
	// audit.Discard. A failure to record is logged, never fatal.
	Audit audit.Recorder
	// Staging are told of every erased call, after its row and blob are
	// gone (a crash in between leaves the copy to expire on its own).
	Staging []Staging
	// BatchSize is how many calls one transaction erases. Defaults to 100.
	BatchSize int
	// MaxRetentionRun bounds how many calls one retention run deletes; the
	// next run goes on. Defaults to 10000.
	MaxRetentionRun int
	// Now defaults to time.Now.
	Now func() time.Time
}

// Service runs retention and erasures.
type Service struct {
	cfg   Config
	st    store.Store
	priv  store.Privacy
	log   *slog.Logger
	audit audit.Recorder

	mu  sync.Mutex
	enq Enqueuer
}

// New returns a Service; it fails if cfg.Store does not implement
// store.Privacy or a required field is missing.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Blobs == nil {
		return nil, errors.New("new privacy service: Store and Blobs are required")
	}
	priv, ok := cfg.Store.(store.Privacy)
	if !ok {
		return nil, errors.New("new privacy service: the store does not implement store.Privacy")
	}
	cfg.Logger = cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	if cfg.Audit == nil {
		cfg.Audit = audit.Discard{}
	}
	cfg.BatchSize = cmp.Or(cfg.BatchSize, BatchSizeDefault)
	cfg.MaxRetentionRun = cmp.Or(cfg.MaxRetentionRun, MaxRetentionRunDefault)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, st: cfg.Store, priv: priv, audit: cfg.Audit,
		log: cfg.Logger.With(slog.String("component", "privacy"))}, nil
}

// SetEnqueuer sets the queue that RequestErasure enqueues in; it must be
// called before RequestErasure (the queue needs the Service as its handler,
// so it exists only after New).
func (s *Service) SetEnqueuer(e Enqueuer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enq = e
}

// AddStaging adds a staging copy keeper to Config.Staging (for one built
// after the Service).
func (s *Service) AddStaging(st Staging) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.Staging = append(s.cfg.Staging, st)
}

func (s *Service) staging() []Staging {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.cfg.Staging)
}

func (s *Service) enqueuer() Enqueuer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.enq
}

// CriterionSHA256 returns the hex SHA-256 kept in place of an erasure's
// criterion: of the call id for a call, of the e-mail trimmed and
// lower-cased for an agent e-mail, of the value exactly as given for
// metadata. Whoever holds the value can recompute it to find the receipt;
// note that short values (phone numbers) can be recovered from it by trying
// them all.
func CriterionSHA256(kind, criterion string) string {
	if kind == store.ErasureByAgentEmail {
		criterion = normEmail(criterion)
	}
	sum := sha256.Sum256([]byte(criterion))
	return hex.EncodeToString(sum[:])
}

func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// record hands e to the audit recorder, logging a failure.
func (s *Service) record(ctx context.Context, e audit.Event) {
	if err := s.audit.Record(ctx, e); err != nil {
		s.log.WarnContext(ctx, "audit record failed", slog.String("action", e.Action), slog.Any("err", err))
	}
}

// eraseBatch erases calls (by org and id) in one transaction, calling
// inTx inside it (to save a receipt), then deletes their blobs and intakes.
// It returns the calls erased (a call already gone is skipped).
func (s *Service) eraseBatch(ctx context.Context, ids []callRef, inTx func(tx store.Tx, erased []ErasedCall) error) ([]ErasedCall, error) {
	var erased []ErasedCall
	var keys []string
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		erased, keys = erased[:0], keys[:0]
		p, ok := tx.(store.Privacy)
		if !ok {
			return errors.New("erase calls: the store's transactions do not implement store.Privacy")
		}
		for _, r := range ids {
			c, err := p.CallErase(ctx, r.orgID, r.id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return fmt.Errorf("erase call %s: %w", r.id, err)
			}
			erased = append(erased, ErasedCall{ID: c.ID, CampaignID: c.CampaignID, ReceivedAt: c.CreatedAt.UTC(), SHA256: c.SHA256})
			if c.BlobKey != "" {
				keys = append(keys, c.BlobKey)
			}
		}
		if inTx != nil {
			return inTx(tx, erased)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The rows are gone: finish the blobs even if ctx ends (the orphan
	// cleaner would otherwise do it later).
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), blobDeleteTimeoutPerRun)
	defer cancel()
	for _, k := range keys {
		if err := s.cfg.Blobs.Delete(bctx, k); err != nil {
			return erased, fmt.Errorf("delete blob of erased call: %w", err)
		}
		if err := s.st.IntakeDelete(bctx, k); err != nil {
			return erased, fmt.Errorf("forget intake of erased call: %w", err)
		}
	}
	if len(erased) > 0 {
		ids := make([]string, len(erased))
		for i, c := range erased {
			ids[i] = c.ID
		}
		for _, st := range s.staging() {
			if _, err := st.ForgetCalls(bctx, ids); err != nil {
				return erased, fmt.Errorf("forget staging copies of erased calls: %w", err)
			}
		}
	}
	return erased, nil
}

// callRef names a call to erase.
type callRef struct{ orgID, id string }
