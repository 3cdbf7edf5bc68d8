package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/callimport/callimport/internal/audio"
	"github.com/callimport/callimport/internal/blob"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// processingMarkSize is the size from which a call is marked processing
// while it is probed.
const processingMarkSize = 16 << 20

// Processor probes received calls and moves them to imported or rejected.
// The job queue calls it; it implements jobs.CallProcessor.
type Processor struct {
	store  store.Store
	bucket *blob.Bucket
	prober audio.Prober
	log    *slog.Logger
	now    func() time.Time
	// Observe, when set, is told of every call that reaches a final status.
	Observe func(c call.Call)
}

// NewProcessor returns a Processor.
func NewProcessor(st store.Store, bucket *blob.Bucket, prober audio.Prober, log *slog.Logger) *Processor {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Processor{store: st, bucket: bucket, prober: prober, log: log, now: time.Now}
}

// ProcessCall probes call id. A call already imported or rejected is left
// alone, so a job run twice does no harm. It returns an error only when the
// work should be retried (the blob or the database could not be read).
func (p *Processor) ProcessCall(ctx context.Context, id string) error {
	c, err := p.store.CallGetByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return fmt.Errorf("get call %s: %w", id, err)
	}
	if c.Status == call.StatusImported || c.Status == call.StatusRejected {
		return nil
	}
	// Small recordings are described in milliseconds: marking them
	// processing would cost a commit for a state nobody could see.
	if c.Status == call.StatusReceived && c.SizeBytes >= processingMarkSize {
		if _, err := p.store.CallSetStatus(ctx, store.CallSetStatusParams{ID: id, Status: call.StatusProcessing, Now: p.now()}); err != nil {
			return fmt.Errorf("mark processing %s: %w", id, err)
		}
	}
	r, err := p.bucket.NewRangeReader(ctx, c.BlobKey, 0, -1)
	if err != nil {
		if errors.Is(err, blob.ErrNotFound) {
			return p.finish(ctx, c, nil, "the audio of this call is missing from storage")
		}
		return fmt.Errorf("open blob of %s: %w", id, err)
	}
	defer r.Close()
	info, err := p.prober.Probe(ctx, r, c.SizeBytes)
	if rej, ok := audio.IsRejection(err); ok {
		return p.finish(ctx, c, nil, rej.Reason)
	}
	if err != nil {
		return fmt.Errorf("probe %s: %w", id, err)
	}
	camp, err := p.store.CampaignGet(ctx, c.OrgID, c.CampaignID)
	if err != nil {
		return fmt.Errorf("get campaign of %s: %w", id, err)
	}
	rules := audio.Rules{MinDuration: time.Duration(camp.MinDurationSeconds) * time.Second,
		MaxDuration: time.Duration(camp.MaxDurationSeconds) * time.Second, Channels: camp.RequiredChannels}
	if rej, ok := audio.IsRejection(rules.Check(info)); ok {
		return p.finish(ctx, c, &info, rej.Reason)
	}
	return p.finish(ctx, c, &info, "")
}

// GiveUp marks the call rejected once the job ran out of attempts.
func (p *Processor) GiveUp(ctx context.Context, id string, cause error) error {
	c, err := p.store.CallGetByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get call %s: %w", id, err)
	}
	p.log.ErrorContext(ctx, "call processing abandoned", "call_id", id, "error", cause)
	return p.finish(ctx, c, nil, "the recording could not be processed; contact support with the call id")
}

func (p *Processor) finish(ctx context.Context, c call.Call, info *call.AudioInfo, reason string) error {
	params := store.CallSetStatusParams{ID: c.ID, Status: call.StatusImported, Audio: info, Now: p.now()}
	if reason != "" {
		params.Status = call.StatusRejected
		params.RejectionReason = reason
	}
	done, err := p.store.CallSetStatus(ctx, params)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("set status of %s: %w", c.ID, err)
	}
	if reason == "" {
		p.log.InfoContext(ctx, "call imported", "call_id", c.ID, "codec", info.Codec, "duration_seconds", info.DurationSeconds)
	} else {
		p.log.InfoContext(ctx, "call rejected", "call_id", c.ID, "reason", reason)
	}
	if p.Observe != nil {
		p.Observe(done)
	}
	return nil
}
