package storesql

import (
	"context"
	"fmt"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// PrivacyQueries are a dialect's query texts for retention and erasure.
// Column list:
//
//	erasure: id, org_id, campaign_id, kind, metadata_key, criterion_sha256, criterion,
//	  status, receipt, error, requested_by, created_at, finished_at
type PrivacyQueries struct {
	CampaignListRetained string // → campaigns with retention_days > 0
	// CallListCreatedBefore: org_id, campaign_id, id bound, before, limit →
	// calls by id (walking the index on org_id, campaign_id, id).
	CallListCreatedBefore string
	// CallListByAgentEmail: org_id, campaign_id, campaign_id, email, limit →
	// calls by id ('' campaign = any; e-mail compared lower-cased).
	CallListByAgentEmail string
	// CallListByMetadata: org_id, after id, campaign_id, campaign_id, key,
	// value, limit → calls by id.
	CallListByMetadata  string
	ReceiptDeleteByCall string // org_id, call_id: the SFTP receipts of a call
	ErasureInsert       string // the erasure columns
	ErasureGet          string // org_id, id → erasure
	ErasureGetByID      string // id → erasure
	ErasureList         string // org_id, limit → erasures newest first
	ErasureStart        string // id: pending → running (running stays)
	ErasureSaveReceipt  string // receipt, id
	// ErasureFinish: status, receipt, error, finished_at, id; clears the
	// criterion.
	ErasureFinish string
}

var _ store.Privacy = (*Store)(nil)

func (q *queries) privacy() (*PrivacyQueries, error) {
	if q.d.Privacy == nil {
		return nil, fmt.Errorf("privacy: %s dialect has no queries", q.d.Name)
	}
	return q.d.Privacy, nil
}

// CampaignListRetained returns the campaigns with a retention period.
func (q *queries) CampaignListRetained(ctx context.Context) ([]call.Campaign, error) {
	pq, err := q.privacy()
	if err != nil {
		return nil, err
	}
	return list(ctx, q, scanCampaign, "list retained campaigns", pq.CampaignListRetained)
}

// CallListCreatedBefore returns the campaign's calls received before t.
func (q *queries) CallListCreatedBefore(ctx context.Context, orgID, campaignID string, t time.Time, limit int) ([]call.Call, error) {
	pq, err := q.privacy()
	if err != nil {
		return nil, err
	}
	return list(ctx, q, scanCall, "list calls before retention limit", pq.CallListCreatedBefore,
		orgID, campaignID, idAfter(t), q.time(t), max(limit, 1))
}

// idAfter returns a string above every UUIDv7 (call.NewID) made up to t's
// millisecond and below those of later milliseconds.
func idAfter(t time.Time) string {
	ms := uint64(max(t.UnixMilli()+1, 0))
	return fmt.Sprintf("%08x-%04x-0000-0000-000000000000", ms>>16, ms&0xffff)
}

// CallListByAgentEmail returns the organisation's calls of an agent e-mail.
func (q *queries) CallListByAgentEmail(ctx context.Context, orgID, campaignID, email string, limit int) ([]call.Call, error) {
	pq, err := q.privacy()
	if err != nil {
		return nil, err
	}
	if email == "" {
		return nil, nil
	}
	return list(ctx, q, scanCall, "list calls by agent e-mail", pq.CallListByAgentEmail,
		orgID, campaignID, campaignID, email, max(limit, 1))
}

// CallListByMetadata returns the organisation's calls holding key = value.
func (q *queries) CallListByMetadata(ctx context.Context, orgID, campaignID, key, value, afterID string, limit int) ([]call.Call, error) {
	pq, err := q.privacy()
	if err != nil {
		return nil, err
	}
	return list(ctx, q, scanCall, "list calls by metadata", pq.CallListByMetadata,
		orgID, afterID, campaignID, campaignID, key, value, max(limit, 1))
}

// CallErase removes a call and its receipts, leaving its blob key as an
// already stale intake for the orphan cleaner.
func (q *queries) CallErase(ctx context.Context, orgID, id string) (call.Call, error) {
	pq, err := q.privacy()
	if err != nil {
		return call.Call{}, err
	}
	var out call.Call
	err = q.atomic(ctx, func(q *queries) error {
		c, err := scanCall(q.ex.QueryRowContext(ctx, q.q.CallDelete, orgID, id))
		if err != nil {
			return q.fail(err, "erase call %s", id)
		}
		if c.BlobKey != "" {
			if _, err := q.ex.ExecContext(ctx, q.q.IntakeInsert, c.BlobKey, q.time(time.Unix(0, 0))); err != nil {
				return q.fail(err, "erase call %s: record blob", id)
			}
		}
		if _, err := q.ex.ExecContext(ctx, pq.ReceiptDeleteByCall, orgID, id); err != nil {
			return q.fail(err, "erase call %s: receipts", id)
		}
		out = c
		return nil
	})
	if err != nil {
		return call.Call{}, err
	}
	return out, nil
}

// ErasureCreate records a pending erasure.
func (q *queries) ErasureCreate(ctx context.Context, p store.ErasureCreateParams) (store.Erasure, error) {
	pq, err := q.privacy()
	if err != nil {
		return store.Erasure{}, err
	}
	if p.ID == "" {
		p.ID = call.NewID()
	}
	e := store.Erasure{ID: p.ID, OrgID: p.OrgID, CampaignID: p.CampaignID, Kind: p.Kind, MetadataKey: p.MetadataKey,
		CriterionSHA256: p.CriterionSHA256, Criterion: p.Criterion, Status: store.ErasurePending,
		RequestedBy: p.RequestedBy, CreatedAt: now()}
	if err := q.insert(ctx, pq.ErasureInsert, "create erasure "+e.ID, e.ID, e.OrgID, e.CampaignID, e.Kind,
		e.MetadataKey, e.CriterionSHA256, e.Criterion, e.Status, e.Receipt, e.Error, e.RequestedBy,
		q.time(e.CreatedAt), nil); err != nil {
		return store.Erasure{}, err
	}
	return e, nil
}

// ErasureGet returns the organisation's erasure, or ErrNotFound.
func (q *queries) ErasureGet(ctx context.Context, orgID, id string) (store.Erasure, error) {
	pq, err := q.privacy()
	if err != nil {
		return store.Erasure{}, err
	}
	e, err := scanErasure(q.ex.QueryRowContext(ctx, pq.ErasureGet, orgID, id))
	if err != nil {
		return store.Erasure{}, q.fail(err, "get erasure %s", id)
	}
	return e, nil
}

// ErasureGetByID returns an erasure whatever its organisation.
func (q *queries) ErasureGetByID(ctx context.Context, id string) (store.Erasure, error) {
	pq, err := q.privacy()
	if err != nil {
		return store.Erasure{}, err
	}
	e, err := scanErasure(q.ex.QueryRowContext(ctx, pq.ErasureGetByID, id))
	if err != nil {
		return store.Erasure{}, q.fail(err, "get erasure %s", id)
	}
	return e, nil
}

// ErasureList returns the organisation's last erasures, newest first.
func (q *queries) ErasureList(ctx context.Context, orgID string, limit int) ([]store.Erasure, error) {
	pq, err := q.privacy()
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	return list(ctx, q, scanErasure, "list erasures", pq.ErasureList, orgID, limit)
}

// ErasureStart moves a pending erasure to running.
func (q *queries) ErasureStart(ctx context.Context, id string) error {
	pq, err := q.privacy()
	if err != nil {
		return err
	}
	return q.update(ctx, pq.ErasureStart, "start erasure "+id, id)
}

// ErasureSaveReceipt records a running erasure's receipt so far.
func (q *queries) ErasureSaveReceipt(ctx context.Context, id, receipt string) error {
	pq, err := q.privacy()
	if err != nil {
		return err
	}
	return q.update(ctx, pq.ErasureSaveReceipt, "save erasure receipt "+id, receipt, id)
}

// ErasureFinish records the outcome and clears the criterion.
func (q *queries) ErasureFinish(ctx context.Context, p store.ErasureFinishParams) error {
	pq, err := q.privacy()
	if err != nil {
		return err
	}
	at := p.At
	if at.IsZero() {
		at = time.Now()
	}
	return q.update(ctx, pq.ErasureFinish, "finish erasure "+p.ID, p.Status, p.Receipt, p.Error, q.time(at), p.ID)
}

func scanErasure(r scanner) (store.Erasure, error) {
	var e store.Erasure
	err := r.Scan(&e.ID, &e.OrgID, &e.CampaignID, &e.Kind, &e.MetadataKey, &e.CriterionSHA256, &e.Criterion,
		&e.Status, &e.Receipt, &e.Error, &e.RequestedBy, timeCol{&e.CreatedAt}, nullTimeCol{&e.FinishedAt})
	return e, err
}
