package storesql

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// CallCreate inserts a call in status received. It returns ErrAlreadyExists
// if the campaign already has a call with the same id, SHA-256 or (non-empty)
// external id, and ErrNotFound if the campaign is not the organisation's.
// A duplicate does not abort a surrounding transaction.
func (q *queries) CallCreate(ctx context.Context, p store.CallCreateParams) (call.Call, error) {
	if p.ID == "" {
		return call.Call{}, errors.New("create call: the id is required")
	}
	meta, err := encodeMetadata(p.Metadata)
	if err != nil {
		return call.Call{}, fmt.Errorf("create call %s: %w", p.ID, err)
	}
	t := now()
	c := call.Call{
		ID: p.ID, OrgID: p.OrgID, CampaignID: p.CampaignID, Status: call.StatusReceived,
		Source: p.Source, FileName: p.FileName, SizeBytes: p.SizeBytes, SHA256: p.SHA256,
		Format: p.Format, BlobKey: p.BlobKey, ConversationTime: normPtr(p.ConversationTime),
		AgentEmail: p.AgentEmail, ExternalID: p.ExternalID, Metadata: clonePairs(p.Metadata),
		CreatedAt: t, UpdatedAt: t,
	}
	err = q.insert(ctx, q.q.CallInsert, "create call "+c.ID,
		c.ID, c.OrgID, c.CampaignID, string(c.Status), string(c.Source), c.FileName, c.SizeBytes,
		c.SHA256, c.Format, c.BlobKey, q.timePtr(c.ConversationTime), c.AgentEmail, c.ExternalID,
		meta, q.time(t), q.time(t))
	if err != nil {
		return call.Call{}, err
	}
	return c, nil
}

// CallGet returns ErrNotFound if the organisation has no such call.
func (q *queries) CallGet(ctx context.Context, orgID, id string) (call.Call, error) {
	c, err := scanCall(q.ex.QueryRowContext(ctx, q.q.CallGet, orgID, id))
	if err != nil {
		return call.Call{}, q.fail(err, "get call %s", id)
	}
	return c, nil
}

// CallGetByID reads a call whatever its organisation (for jobs).
func (q *queries) CallGetByID(ctx context.Context, id string) (call.Call, error) {
	c, err := scanCall(q.ex.QueryRowContext(ctx, q.q.CallGetByID, id))
	if err != nil {
		return call.Call{}, q.fail(err, "get call %s", id)
	}
	return c, nil
}

// CallGetBySHA256 returns the campaign's call with that SHA-256, or ErrNotFound.
func (q *queries) CallGetBySHA256(ctx context.Context, campaignID, sha256 string) (call.Call, error) {
	c, err := scanCall(q.ex.QueryRowContext(ctx, q.q.CallGetBySHA256, campaignID, sha256))
	if err != nil {
		return call.Call{}, q.fail(err, "get call by sha256 %s", sha256)
	}
	return c, nil
}

// CallGetByExternalID returns the campaign's call with that external id, or
// ErrNotFound (always for an empty external id).
func (q *queries) CallGetByExternalID(ctx context.Context, campaignID, externalID string) (call.Call, error) {
	if externalID == "" {
		return call.Call{}, fmt.Errorf("get call by external id: %w", store.ErrNotFound)
	}
	c, err := scanCall(q.ex.QueryRowContext(ctx, q.q.CallGetByExternalID, campaignID, externalID))
	if err != nil {
		return call.Call{}, q.fail(err, "get call by external id %q", externalID)
	}
	return c, nil
}

// CallSetStatus moves call p.ID to p.Status. p.Audio, when set, replaces the
// audio description (nil keeps it); the rejection reason becomes
// p.RejectionReason; ImportedAt becomes p.Now (time.Now when zero) for
// imported and nil otherwise. It returns ErrNotFound for an unknown call.
func (q *queries) CallSetStatus(ctx context.Context, p store.CallSetStatusParams) (call.Call, error) {
	if !p.Status.Valid() {
		return call.Call{}, fmt.Errorf("set call %s status: unknown status %q", p.ID, p.Status)
	}
	t := p.Now
	if t.IsZero() {
		t = time.Now()
	}
	var imported any
	if p.Status == call.StatusImported {
		imported = q.time(t)
	}
	a := make([]any, 8)
	if p.Audio != nil {
		a = []any{p.Audio.Format, p.Audio.Codec, p.Audio.DurationSeconds, p.Audio.SampleRateHz,
			p.Audio.Channels, p.Audio.BitsPerSample, p.Audio.BitRate, p.Audio.Silent}
	}
	args := append([]any{string(p.Status)}, a...)
	args = append(args, p.RejectionReason, imported, q.time(t), p.ID)
	c, err := scanCall(q.ex.QueryRowContext(ctx, q.q.CallSetStatus, args...))
	if err != nil {
		return call.Call{}, q.fail(err, "set call %s status", p.ID)
	}
	return c, nil
}

// CallMergeMetadata appends the pairs of p.Metadata whose keys the call does
// not have yet (in their order), and sets the agent e-mail and conversation
// time if the call has none. Existing values are never changed. It returns
// ErrNotFound if the organisation has no such call. It does not check the
// metadata limits of the envelope.
func (q *queries) CallMergeMetadata(ctx context.Context, p store.CallMergeMetadataParams) (call.Call, error) {
	var out call.Call
	err := q.atomic(ctx, func(q *queries) error {
		c, err := scanCall(q.ex.QueryRowContext(ctx, q.q.CallGetForUpdate, p.OrgID, p.ID))
		if err != nil {
			return q.fail(err, "merge call %s metadata", p.ID)
		}
		have := make(map[string]bool, len(c.Metadata))
		for _, m := range c.Metadata {
			have[m.Key] = true
		}
		for _, m := range p.Metadata {
			if !have[m.Key] {
				c.Metadata = append(c.Metadata, m)
				have[m.Key] = true
			}
		}
		if c.AgentEmail == "" {
			c.AgentEmail = p.AgentEmail
		}
		if c.ConversationTime == nil {
			c.ConversationTime = normPtr(p.ConversationTime)
		}
		meta, err := encodeMetadata(c.Metadata)
		if err != nil {
			return fmt.Errorf("merge call %s metadata: %w", p.ID, err)
		}
		c.UpdatedAt = now()
		err = q.update(ctx, q.q.CallMerge, "merge call "+p.ID+" metadata",
			meta, c.AgentEmail, q.timePtr(c.ConversationTime), q.time(c.UpdatedAt), c.ID)
		if err != nil {
			return err
		}
		out = c
		return nil
	})
	return out, err
}

// CallDelete removes the organisation's call and returns it, or ErrNotFound.
func (q *queries) CallDelete(ctx context.Context, orgID, id string) (call.Call, error) {
	c, err := scanCall(q.ex.QueryRowContext(ctx, q.q.CallDelete, orgID, id))
	if err != nil {
		return call.Call{}, q.fail(err, "delete call %s", id)
	}
	return c, q.durable(ctx)
}

func clonePairs(p []call.MetaPair) []call.MetaPair {
	if len(p) == 0 {
		return nil
	}
	return append([]call.MetaPair(nil), p...)
}
