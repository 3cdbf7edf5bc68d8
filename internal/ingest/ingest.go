// Package ingest is the only intake path of callimport: every channel (REST
// API, tus uploads, web page, SFTP, pulls, Genesys) turns its protocol into
// one call to Service.Ingest, which streams the audio into the blob store
// while hashing it, refuses non-audio from the first bytes, detects
// duplicates, and commits the call row together with its probe job.
//
// Nothing is acknowledged before its bytes and row are durable; a crash
// before the commit leaves an intake record from which the orphan cleaner
// removes the blob.
package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/callimport/callimport/internal/admission"
	"github.com/callimport/callimport/internal/audio"
	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/blob"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// Enqueuer schedules the probe of a call in the same transaction as its row.
type Enqueuer interface {
	EnqueueProbeTx(ctx context.Context, tx *sql.Tx, callID string) error
}

// Config tunes the intake. The zero value means defaults.
type Config struct {
	// MaxFileSize refuses larger files with CodeTooLarge; defaults to 4 GiB.
	MaxFileSize int64
	// Logger defaults to slog.Default's handler discarding nothing; pass one.
	Logger *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
	// Observe, when set, is told of every committed recording: outcome is
	// "received" (a new call) or "duplicate".
	Observe func(source call.Source, outcome string, bytes int64, took time.Duration)
	// Admission bounds the ingests admitted at once by Admit; nil admits all.
	Admission *admission.Limiter
	// Audit receives a "call.import" event for every committed recording
	// (nil: none); see audit.go.
	Audit audit.Recorder
}

// Service is the intake path.
type Service struct {
	store  store.Store
	bucket *blob.Bucket
	enq    Enqueuer
	cfg    Config
	log    *slog.Logger
}

// New returns a Service.
func New(st store.Store, bucket *blob.Bucket, enq Enqueuer, cfg Config) *Service {
	if cfg.MaxFileSize <= 0 {
		cfg.MaxFileSize = 4 << 30
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: st, bucket: bucket, enq: enq, cfg: cfg, log: log}
}

// MaxFileSize is the configured limit, for front ends that check early.
func (s *Service) MaxFileSize() int64 { return s.cfg.MaxFileSize }

// Request is one recording arriving through a channel.
type Request struct {
	OrgID    string
	Envelope call.Envelope
	Source   call.Source
	// FileName is the sender's name for the file; it is cleaned for display
	// and never becomes a path.
	FileName string
	// Body is read once, to its end.
	Body io.Reader
}

// Result is the call the request ended as.
type Result struct {
	Call call.Call
	// Duplicate is true when the call already existed (same SHA-256 or same
	// external id with the same content in the campaign).
	Duplicate bool
}

// Ingest streams req.Body into the blob store and commits the call with its
// probe job: Stage then Commit. It returns *call.Error with CodeNotFound
// (unknown campaign), CodeInvalid (empty file), CodeNotAudio, CodeTooLarge,
// CodeConflict (same external id, other content), CodeMalformed (the body
// was cut), or CodeUnavailable (a dependency failed). Refused requests leave
// nothing stored.
func (s *Service) Ingest(ctx context.Context, req Request) (Result, error) {
	if _, err := s.campaign(ctx, req.OrgID, req.Envelope.CampaignID); err != nil {
		return Result{}, err
	}
	st, err := s.Stage(ctx, req.OrgID, req.FileName, req.Body)
	if err != nil {
		return Result{}, err
	}
	return s.Commit(ctx, st, req.Envelope, req.Source)
}

// Staged is a recording whose bytes are durable in the blob store but whose
// call is not committed yet. Pass it to Commit or Discard.
type Staged struct {
	OrgID    string
	ID       string
	BlobKey  string
	FileName string
	Format   audio.Format
	Size     int64
	SHA256   string
	// Started is when the first byte was read.
	Started time.Time
}

// Stage sniffs the first bytes of body (refusing non-audio before anything
// is kept) and streams it into the blob store while hashing it. Front ends
// that learn the envelope only after the file (multipart forms where the file
// comes first) stage, then Commit or Discard.
func (s *Service) Stage(ctx context.Context, orgID, fileName string, body io.Reader) (Staged, error) {
	started := s.cfg.Now()
	head := make([]byte, audio.SniffSize)
	n, err := io.ReadFull(body, head)
	switch {
	case n == 0 && (err == nil || errors.Is(err, io.EOF)):
		return Staged{}, &call.Error{Code: call.CodeInvalid, Message: "the file is empty",
			Fields: []call.FieldError{{Field: "file", Reason: "is empty"}}}
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF):
		return Staged{}, readError(err)
	}
	head = head[:n]
	format := audio.Sniff(head)
	if format == "" {
		return Staged{}, &call.Error{Code: call.CodeNotAudio,
			Message: "the file is not a recording in a supported format (WAV, MP3, FLAC, Ogg, WebM, M4A)",
			Fields:  []call.FieldError{{Field: "file", Reason: "is not audio"}}}
	}
	id := call.NewID()
	// The campaign is not known yet when the file comes first in a form, so
	// the key holds the organisation and the call only.
	key := blob.CallsPrefix + orgID + "/" + id
	if err := blob.ValidateKey(key); err != nil {
		return Staged{}, fmt.Errorf("call key: %w", err)
	}
	size, sum, err := s.write(ctx, key, io.MultiReader(bytes.NewReader(head), body))
	if err != nil {
		return Staged{}, err
	}
	return Staged{OrgID: orgID, ID: id, BlobKey: key, FileName: call.CleanFileName(fileName),
		Format: format, Size: size, SHA256: sum, Started: started}, nil
}

// Discard removes a staged recording that will not be committed.
func (s *Service) Discard(ctx context.Context, st Staged) { s.discard(ctx, st.BlobKey) }

// Commit turns a staged recording into a call of env's campaign, with its
// probe job in the same transaction. A refusal discards the staged bytes; a
// duplicate returns the existing call. When the database cannot be reached
// (store.ErrUnavailable) the bytes are left to the orphan cleaner, since
// the commit may have happened.
func (s *Service) Commit(ctx context.Context, st Staged, env call.Envelope, source call.Source) (Result, error) {
	camp, err := s.campaign(ctx, st.OrgID, env.CampaignID)
	if err != nil {
		s.discard(ctx, st.BlobKey)
		return Result{}, err
	}
	p := store.CallCreateParams{
		ID: st.ID, OrgID: st.OrgID, CampaignID: camp.ID, Source: source,
		FileName: st.FileName, SizeBytes: st.Size, SHA256: st.SHA256,
		Format: string(st.Format), BlobKey: st.BlobKey, ConversationTime: env.ConversationTime,
		AgentEmail: env.AgentEmail, ExternalID: env.ExternalID, Metadata: env.Metadata,
	}
	var created call.Call
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		c, err := tx.CallCreate(ctx, p)
		if err != nil {
			return err
		}
		if err := s.enq.EnqueueProbeTx(ctx, tx.SQLTx(), c.ID); err != nil {
			return fmt.Errorf("enqueue probe: %w", err)
		}
		if err := tx.IntakeDelete(ctx, st.BlobKey); err != nil {
			return fmt.Errorf("forget intake: %w", err)
		}
		created = c
		return nil
	})
	if err == nil {
		s.log.InfoContext(ctx, "call received", "call_id", created.ID, "campaign_id", camp.ID,
			"source", string(source), "size_bytes", st.Size, "format", string(st.Format))
		s.observe(st, source, "received")
		s.audit(ctx, created, source, false)
		return Result{Call: created}, nil
	}
	if errors.Is(err, store.ErrUnavailable) {
		// The connection failed, perhaps during COMMIT: the call may be
		// committed without us knowing. Its bytes stay, with their intake
		// if the commit did not happen, for the orphan cleaner, which
		// never removes a blob that a call points to.
		return Result{}, unavailable("commit call", err)
	}
	s.discard(ctx, st.BlobKey)
	if !errors.Is(err, store.ErrAlreadyExists) {
		return Result{}, unavailable("commit call", err)
	}
	res, err := s.existing(ctx, st.OrgID, p)
	if err == nil {
		s.observe(st, source, "duplicate")
		s.audit(ctx, res.Call, source, true)
	}
	return res, err
}

func (s *Service) observe(st Staged, source call.Source, outcome string) {
	if s.cfg.Observe != nil {
		s.cfg.Observe(source, outcome, st.Size, s.cfg.Now().Sub(st.Started))
	}
}

func (s *Service) campaign(ctx context.Context, orgID, id string) (call.Campaign, error) {
	camp, err := s.store.CampaignGet(ctx, orgID, id)
	if errors.Is(err, store.ErrNotFound) {
		return call.Campaign{}, &call.Error{Code: call.CodeNotFound, Message: "campaign not found",
			Fields: []call.FieldError{{Field: "campaign_id", Reason: "no such campaign"}}}
	}
	if err != nil {
		return call.Campaign{}, unavailable("get campaign", err)
	}
	return camp, nil
}

// existing resolves a unique-constraint refusal into the existing call
// (duplicate) or a conflict.
func (s *Service) existing(ctx context.Context, orgID string, p store.CallCreateParams) (Result, error) {
	if p.ExternalID != "" {
		c, err := s.store.CallGetByExternalID(ctx, p.CampaignID, p.ExternalID)
		switch {
		case err == nil && c.OrgID == orgID:
			if c.SHA256 != p.SHA256 {
				return Result{}, &call.Error{Code: call.CodeConflict,
					Message: "a call with this external_id already exists with different audio",
					Fields:  []call.FieldError{{Field: "external_id", Reason: "already used by call " + c.ID}}}
			}
			return Result{Call: c, Duplicate: true}, nil
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return Result{}, unavailable("get call by external id", err)
		}
	}
	c, err := s.store.CallGetBySHA256(ctx, p.CampaignID, p.SHA256)
	if err != nil || c.OrgID != orgID {
		return Result{}, unavailable("get duplicate call", fmt.Errorf("unique refusal without a match: %w", err))
	}
	return Result{Call: c, Duplicate: true}, nil
}

// write streams r into key, hashing it, and returns its size and SHA-256.
// On any failure the partial blob and its intake are removed.
//
// The intake row, which lets the orphan cleaner find the blob if the call
// is never committed, is recorded while the bytes are copied into a
// temporary object (a crash then leaves only a temporary file, removed by
// the bucket's sweep) and must be committed before the object is made
// visible under its key. So a slow database write (SQLite has one writer,
// shared with the jobs) does not hold up the sender.
func (s *Service) write(ctx context.Context, key string, r io.Reader) (int64, string, error) {
	intake := s.recordIntake(ctx, key)
	w, err := s.bucket.NewWriter(ctx, key)
	if err != nil {
		_ = intake.wait()
		s.forget(ctx, key)
		return 0, "", unavailable("open blob writer", err)
	}
	h := sha256.New()
	n, err := copyHashed(w, h, intake.guard(r), s.cfg.MaxFileSize+1)
	if err == nil && n > s.cfg.MaxFileSize {
		err = &call.Error{Code: call.CodeTooLarge,
			Message: fmt.Sprintf("the file is larger than the limit of %d bytes", s.cfg.MaxFileSize),
			Fields:  []call.FieldError{{Field: "file", Reason: "is too large"}}}
	}
	if ierr := intake.wait(); err != nil || ierr != nil {
		abortErr := w.Abort()
		s.forget(ctx, key) // even after a failed create, which may have happened
		if abortErr != nil {
			s.log.WarnContext(ctx, "abort blob write", "blob_key", key, "error", abortErr)
		}
		var we *writeError
		switch {
		case ierr != nil:
			return 0, "", unavailable("record intake", ierr)
		case errors.As(err, &we):
			return 0, "", unavailable("write blob", we.err)
		}
		return 0, "", readError(err)
	}
	if err := w.Close(); err != nil {
		s.discard(ctx, key)
		return 0, "", unavailable("close blob", err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// discard removes a written blob and its intake; failures are left to the
// orphan cleaner.
func (s *Service) discard(ctx context.Context, key string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := s.bucket.Delete(ctx, key); err != nil {
		s.log.WarnContext(ctx, "delete discarded blob", "blob_key", key, "error", err)
		return
	}
	s.forget(ctx, key)
}

func (s *Service) forget(ctx context.Context, key string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := s.store.IntakeDelete(ctx, key); err != nil {
		s.log.WarnContext(ctx, "forget intake", "blob_key", key, "error", err)
	}
}

// readError classifies a failure while reading the sender's body. A body
// error that is already a *call.Error (e.g. a size limit of the front end)
// passes through.
func readError(err error) error {
	if _, ok := errors.AsType[*call.Error](err); ok {
		return err
	}
	return &call.Error{Code: call.CodeMalformed, Message: "the upload was interrupted before the end of the file", Err: err}
}

func unavailable(op string, err error) error {
	if _, ok := errors.AsType[*call.Error](err); ok {
		return err
	}
	return &call.Error{Code: call.CodeUnavailable, Message: "storage is unavailable, try again later", Err: fmt.Errorf("%s: %w", op, err)}
}
