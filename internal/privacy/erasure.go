package privacy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// FailedMessage is the error an erasure shows once its job gave up.
const FailedMessage = "the erasure could not be completed; the calls listed were erased; request it again to erase the rest"

// ErasureRequest asks for calls to be erased. Exactly one of CallID,
// AgentEmail and Metadata must be set.
type ErasureRequest struct {
	OrgID string
	// CampaignID restricts the erasure to one campaign ("" = every campaign
	// of the organisation).
	CampaignID string
	CallID     string
	// AgentEmail matches calls whose agent e-mail is equal, ignoring ASCII
	// case and surrounding spaces.
	AgentEmail string
	// Metadata matches calls holding a pair with exactly this key and
	// exactly this value (case-sensitive, spaces kept).
	Metadata *call.MetaPair
	// Actor, SourceIP and Client describe the requester for the audit.
	Actor    audit.Actor
	SourceIP string
	Client   string
}

// Receipt lists what an erasure erased.
type Receipt struct {
	ErasedCount int          `json:"erased_count"`
	Calls       []ErasedCall `json:"calls"`
}

// ErasedCall is one erased call as its receipt shows it (no personal data).
type ErasedCall struct {
	ID         string    `json:"id"`
	CampaignID string    `json:"campaign_id"`
	ReceivedAt time.Time `json:"received_at"`
	SHA256     string    `json:"sha256"`
}

// Erasure is an erasure request as shown to its organisation.
type Erasure struct {
	ID              string
	CampaignID      string
	Kind            string
	MetadataKey     string
	CriterionSHA256 string
	Status          string
	// Receipt is nil until the erasure is done or failed.
	Receipt    *Receipt
	Error      string
	CreatedAt  time.Time
	FinishedAt *time.Time
}

func toErasure(e store.Erasure) Erasure {
	out := Erasure{ID: e.ID, CampaignID: e.CampaignID, Kind: e.Kind, MetadataKey: e.MetadataKey,
		CriterionSHA256: e.CriterionSHA256, Status: e.Status, Error: e.Error, CreatedAt: e.CreatedAt.UTC(),
		FinishedAt: e.FinishedAt}
	if e.Status == store.ErasureDone || e.Status == store.ErasureFailed {
		r := decodeReceipt(e.Receipt)
		out.Receipt = &r
	}
	if out.FinishedAt != nil {
		t := out.FinishedAt.UTC()
		out.FinishedAt = &t
	}
	return out
}

func decodeReceipt(s string) Receipt {
	r := Receipt{Calls: []ErasedCall{}}
	if s != "" {
		_ = json.Unmarshal([]byte(s), &r) // our own JSON
	}
	if r.Calls == nil {
		r.Calls = []ErasedCall{}
	}
	r.ErasedCount = len(r.Calls)
	return r
}

// check validates r and returns its kind, key and criterion.
func (r ErasureRequest) check() (kind, key, criterion string, err error) {
	var fields []call.FieldError
	bad := func(f, reason string) { fields = append(fields, call.FieldError{Field: f, Reason: reason}) }
	set := 0
	if r.CallID != "" {
		set++
		kind, criterion = store.ErasureByCall, r.CallID
	}
	if r.AgentEmail != "" {
		set++
		kind, criterion = store.ErasureByAgentEmail, normEmail(r.AgentEmail)
		if reason := call.CheckEmail(criterion); reason != "" {
			bad("agent_email", reason)
		}
	}
	if r.Metadata != nil {
		set++
		kind, key, criterion = store.ErasureByMetadata, r.Metadata.Key, r.Metadata.Value
		for _, reason := range call.CheckMetadata([]call.MetaPair{*r.Metadata}) {
			bad("metadata", strings.TrimPrefix(reason, "pair 1: "))
		}
		if r.Metadata.Value == "" {
			bad("metadata.value", "must not be empty")
		}
	}
	if set != 1 {
		bad("call_id", "exactly one of call_id, agent_email and metadata must be given")
	}
	if len(fields) > 0 {
		return "", "", "", &call.Error{Code: call.CodeInvalid, Message: "invalid erasure request", Fields: fields}
	}
	return kind, key, criterion, nil
}

// RequestErasure validates r, records a pending erasure and enqueues its
// job in one transaction, and records an erasure.request audit event. It
// returns a *call.Error with CodeInvalid for a bad request and CodeNotFound
// if the campaign, or the call of a call erasure, is not the
// organisation's.
func (s *Service) RequestErasure(ctx context.Context, r ErasureRequest) (Erasure, error) {
	kind, key, criterion, err := r.check()
	if err != nil {
		return Erasure{}, err
	}
	enq := s.enqueuer()
	if enq == nil {
		return Erasure{}, errors.New("request erasure: no job queue (SetEnqueuer was not called)")
	}
	if r.CampaignID != "" {
		if _, err := s.st.CampaignGet(ctx, r.OrgID, r.CampaignID); err != nil {
			return Erasure{}, notFound(err, "campaign")
		}
	}
	if kind == store.ErasureByCall {
		c, err := s.st.CallGet(ctx, r.OrgID, r.CallID)
		if err == nil && r.CampaignID != "" && c.CampaignID != r.CampaignID {
			err = store.ErrNotFound
		}
		if err != nil {
			return Erasure{}, notFound(err, "call")
		}
	}
	var e store.Erasure
	err = s.st.InTx(ctx, func(tx store.Tx) error {
		p, ok := tx.(store.Privacy)
		if !ok {
			return errors.New("the store's transactions do not implement store.Privacy")
		}
		var err error
		e, err = p.ErasureCreate(ctx, store.ErasureCreateParams{OrgID: r.OrgID, CampaignID: r.CampaignID, Kind: kind,
			MetadataKey: key, CriterionSHA256: CriterionSHA256(kind, criterion), Criterion: criterion,
			RequestedBy: r.Actor.Type + ":" + r.Actor.ID})
		if err != nil {
			return err
		}
		return enq.EnqueueErasureTx(ctx, tx.SQLTx(), e.ID)
	})
	if err != nil {
		return Erasure{}, fmt.Errorf("request erasure: %w", err)
	}
	s.log.InfoContext(ctx, "erasure requested", slog.String("org_id", r.OrgID), slog.String("erasure_id", e.ID),
		slog.String("kind", kind))
	s.record(ctx, audit.Event{OrgID: r.OrgID, Actor: r.Actor, Action: ActionErasureRequest, TargetType: "erasure",
		TargetID: e.ID, Outcome: audit.OutcomeSuccess, SourceIP: r.SourceIP, Client: r.Client,
		Detail: map[string]string{"kind": kind, "campaign_id": r.CampaignID}})
	return toErasure(e), nil
}

func notFound(err error, what string) error {
	if errors.Is(err, store.ErrNotFound) {
		return call.Errorf(call.CodeNotFound, "no such %s", what)
	}
	return err
}

// DeleteCall erases one call of the organisation at once (DELETE
// /v1/calls/{id}): row, SFTP receipts, audio and staging copies, crash-safe
// like an erasure but without an erasure record. It returns a *call.Error
// with CodeNotFound if the organisation has no such call. Once the row is
// gone it succeeds: a blob it could not delete is left to the orphan
// cleaner (logged).
func (s *Service) DeleteCall(ctx context.Context, orgID, id string) error {
	erased, err := s.eraseBatch(ctx, []callRef{{orgID: orgID, id: id}}, func(_ store.Tx, erased []ErasedCall) error {
		if len(erased) == 0 {
			return call.Errorf(call.CodeNotFound, "call not found")
		}
		return nil
	})
	if err != nil && len(erased) > 0 {
		s.log.WarnContext(ctx, "deleted call's audio left to the orphan cleaner", slog.String("call_id", id), slog.Any("err", err))
		return nil
	}
	return err
}

// GetErasure returns the organisation's erasure; a *call.Error with
// CodeNotFound if it has none of that id.
func (s *Service) GetErasure(ctx context.Context, orgID, id string) (Erasure, error) {
	e, err := s.priv.ErasureGet(ctx, orgID, id)
	if err != nil {
		return Erasure{}, notFound(err, "erasure")
	}
	return toErasure(e), nil
}

// ListErasures returns the organisation's last limit erasures, newest first
// (limit defaults to 100).
func (s *Service) ListErasures(ctx context.Context, orgID string, limit int) ([]Erasure, error) {
	es, err := s.priv.ErasureList(ctx, orgID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Erasure, len(es))
	for i, e := range es {
		out[i] = toErasure(e)
	}
	return out, nil
}

// RunErasure does the work of an erasure: it erases every matching call of
// the organisation (and campaign), in transactions of Config.BatchSize calls
// that also save the receipt so far, then marks the erasure done with its
// receipt, clears its criterion and records erasure.done. An unknown or
// finished erasure is not an error. An error is worth retrying: a retry
// goes on where the last attempt stopped.
func (s *Service) RunErasure(ctx context.Context, id string) error {
	e, err := s.priv.ErasureGetByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("run erasure %s: %w", id, err)
	}
	if e.Status == store.ErasureDone || e.Status == store.ErasureFailed {
		return nil
	}
	if err := s.priv.ErasureStart(ctx, id); err != nil {
		return fmt.Errorf("run erasure %s: %w", id, err)
	}
	receipt := decodeReceipt(e.Receipt)
	after := "" // metadata: the last id looked at, so that each call is read once
	for {
		calls, err := s.matching(ctx, e, after)
		if err != nil {
			return fmt.Errorf("run erasure %s: %w", id, err)
		}
		if len(calls) == 0 {
			break
		}
		refs := make([]callRef, len(calls))
		for i, c := range calls {
			refs[i] = callRef{orgID: e.OrgID, id: c.ID}
		}
		after = calls[len(calls)-1].ID
		var next Receipt
		_, err = s.eraseBatch(ctx, refs, func(tx store.Tx, erased []ErasedCall) error {
			next = Receipt{Calls: append(append([]ErasedCall{}, receipt.Calls...), erased...)}
			next.ErasedCount = len(next.Calls)
			b, err := json.Marshal(next)
			if err != nil {
				return err
			}
			return tx.(store.Privacy).ErasureSaveReceipt(ctx, id, string(b))
		})
		if next.Calls != nil {
			receipt = next
		}
		if err != nil {
			return fmt.Errorf("run erasure %s: %w", id, err)
		}
		if e.Kind == store.ErasureByCall || len(calls) < s.cfg.BatchSize {
			break
		}
	}
	b, err := json.Marshal(receipt)
	if err != nil {
		return fmt.Errorf("run erasure %s: %w", id, err)
	}
	if err := s.priv.ErasureFinish(ctx, store.ErasureFinishParams{ID: id, Status: store.ErasureDone,
		Receipt: string(b), At: s.cfg.Now()}); err != nil {
		return fmt.Errorf("run erasure %s: %w", id, err)
	}
	s.log.InfoContext(ctx, "erasure done", slog.String("org_id", e.OrgID), slog.String("erasure_id", id),
		slog.Int("erased", receipt.ErasedCount))
	s.record(ctx, audit.Event{OrgID: e.OrgID, Actor: audit.Actor{Type: audit.ActorSystem}, Action: ActionErasureDone,
		TargetType: "erasure", TargetID: id, Outcome: audit.OutcomeSuccess,
		Detail: map[string]string{"kind": e.Kind, "count": strconv.Itoa(receipt.ErasedCount), "call_ids": callIDs(receipt)}})
	return nil
}

// FailErasure marks an unfinished erasure failed once its job gave up
// (cause is logged, not kept), keeping the receipt of what was erased, and
// records erasure.failed. A finished or unknown erasure is left alone.
func (s *Service) FailErasure(ctx context.Context, id string, cause error) error {
	e, err := s.priv.ErasureGetByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("fail erasure %s: %w", id, err)
	}
	if e.Status == store.ErasureDone || e.Status == store.ErasureFailed {
		return nil
	}
	receipt := decodeReceipt(e.Receipt)
	b, err := json.Marshal(receipt)
	if err != nil {
		return fmt.Errorf("fail erasure %s: %w", id, err)
	}
	if err := s.priv.ErasureFinish(ctx, store.ErasureFinishParams{ID: id, Status: store.ErasureFailed,
		Receipt: string(b), Error: FailedMessage, At: s.cfg.Now()}); err != nil {
		return fmt.Errorf("fail erasure %s: %w", id, err)
	}
	s.log.ErrorContext(ctx, "erasure failed", slog.String("org_id", e.OrgID), slog.String("erasure_id", id),
		slog.Int("erased", receipt.ErasedCount), slog.Any("err", cause))
	s.record(ctx, audit.Event{OrgID: e.OrgID, Actor: audit.Actor{Type: audit.ActorSystem}, Action: ActionErasureFailed,
		TargetType: "erasure", TargetID: id, Outcome: audit.OutcomeFailure,
		Detail: map[string]string{"kind": e.Kind, "count": strconv.Itoa(receipt.ErasedCount), "call_ids": callIDs(receipt)}})
	return nil
}

// matching returns the next calls the erasure e matches (for metadata,
// after afterID).
func (s *Service) matching(ctx context.Context, e store.Erasure, afterID string) ([]call.Call, error) {
	switch e.Kind {
	case store.ErasureByCall:
		c, err := s.st.CallGet(ctx, e.OrgID, e.Criterion)
		if errors.Is(err, store.ErrNotFound) || (err == nil && e.CampaignID != "" && c.CampaignID != e.CampaignID) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []call.Call{c}, nil
	case store.ErasureByAgentEmail:
		return s.priv.CallListByAgentEmail(ctx, e.OrgID, e.CampaignID, e.Criterion, s.cfg.BatchSize)
	case store.ErasureByMetadata:
		return s.priv.CallListByMetadata(ctx, e.OrgID, e.CampaignID, e.MetadataKey, e.Criterion, afterID, s.cfg.BatchSize)
	}
	return nil, fmt.Errorf("unknown erasure kind %q", e.Kind)
}

// maxAuditIDs bounds the call ids an audit event lists (the receipt has
// them all).
const maxAuditIDs = 200

// callIDs joins the erased call ids for an audit detail, at most
// maxAuditIDs of them followed by ",..." when there are more.
func callIDs(r Receipt) string {
	ids := make([]string, 0, min(len(r.Calls), maxAuditIDs+1))
	for i, c := range r.Calls {
		if i == maxAuditIDs {
			ids = append(ids, "...")
			break
		}
		ids = append(ids, c.ID)
	}
	return strings.Join(ids, ",")
}
