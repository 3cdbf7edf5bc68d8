package storesql

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/callimport/callimport/internal/store"
)

// AuditQueries are a dialect's query texts for the audit trail. Column list:
//
//	audit record: org_id, seq, at, actor_type, actor_id, action, target_type,
//	  target_id, outcome, source_ip, client, detail, prev_hash, hash
type AuditQueries struct {
	// HeadLock: org_id → seq, hash of the chain's head, created as (0, '')
	// when missing, and locked until the transaction ends (an upsert that
	// rewrites the row does both in every dialect).
	HeadLock string
	HeadSet  string // org_id, seq, hash
	Insert   string // the audit record columns
	// ListSelect is "SELECT <audit record columns> FROM audit_events";
	// AuditList adds its WHERE, ORDER BY and LIMIT.
	ListSelect string
	Chain      string // org_id, after seq, limit → audit records by seq
	Follower   string // org_id, prev_hash → audit record
	Heads      string // → org_id, seq, hash by org_id
}

var _ store.Audit = (*Store)(nil)

// auditChainPage is how many records AuditChain reads per query, so that
// no read transaction stays open for a whole chain.
const auditChainPage = 1000

func (q *queries) audit() (*AuditQueries, error) {
	if q.d.Audit == nil {
		return nil, fmt.Errorf("audit: %s dialect has no queries", q.d.Name)
	}
	return q.d.Audit, nil
}

// AuditAppend appends recs at the end of their organisations' chains in
// one transaction. Chain heads are locked in organisation order, so that
// concurrent appenders never deadlock.
func (q *queries) AuditAppend(ctx context.Context, recs []store.AuditRecord) ([]store.AuditRecord, error) {
	aq, err := q.audit()
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, nil
	}
	out := slices.Clone(recs)
	orgs := make([]string, 0, 4)
	for i := range out {
		if !slices.Contains(orgs, out[i].OrgID) {
			orgs = append(orgs, out[i].OrgID)
		}
		if out[i].At.IsZero() {
			out[i].At = now()
		}
		out[i].At = Norm(out[i].At)
	}
	slices.Sort(orgs)
	err = q.atomic(ctx, func(q *queries) error {
		insert, done, err := q.prepare(ctx, aq.Insert)
		if err != nil {
			return err
		}
		defer done()
		for _, org := range orgs {
			var head store.AuditHead
			if err := q.ex.QueryRowContext(ctx, aq.HeadLock, org).Scan(&head.Seq, &head.Hash); err != nil {
				return q.fail(err, "lock audit chain %q", org)
			}
			for i := range out {
				r := &out[i]
				if r.OrgID != org {
					continue
				}
				head.Seq++
				r.Seq, r.PrevHash = head.Seq, head.Hash
				r.Hash = store.AuditHash(*r)
				head.Hash = r.Hash
				detail, err := encodeDetail(r.Detail)
				if err != nil {
					return err
				}
				if _, err := insert(ctx, r.OrgID, r.Seq, q.time(r.At), r.ActorType, r.ActorID,
					r.Action, r.TargetType, r.TargetID, r.Outcome, r.SourceIP, r.Client, detail, r.PrevHash,
					r.Hash); err != nil {
					return q.fail(err, "append audit record %q/%d", org, r.Seq)
				}
			}
			if _, err := q.ex.ExecContext(ctx, aq.HeadSet, org, head.Seq, head.Hash); err != nil {
				return q.fail(err, "move audit chain head %q", org)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// prepare returns query prepared once for the transaction (a batch of
// many rows then parses it once), or run directly when q cannot prepare.
func (q *queries) prepare(ctx context.Context, query string) (exec func(ctx context.Context, args ...any) (sql.Result, error), done func(), err error) {
	p, ok := q.ex.(interface {
		PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	})
	if !ok {
		return func(ctx context.Context, args ...any) (sql.Result, error) {
			return q.ex.ExecContext(ctx, query, args...)
		}, func() {}, nil
	}
	st, err := p.PrepareContext(ctx, query)
	if err != nil {
		return nil, nil, q.fail(err, "prepare")
	}
	return st.ExecContext, func() { _ = st.Close() }, nil
}

// AuditList returns a page of p.OrgID's records matching the filters.
func (q *queries) AuditList(ctx context.Context, p store.AuditListParams) ([]store.AuditRecord, string, error) {
	aq, err := q.audit()
	if err != nil {
		return nil, "", err
	}
	limit := p.Limit
	if limit <= 0 {
		limit = store.DefaultAuditListLimit
	}
	limit = min(limit, store.MaxAuditListLimit)
	var where []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, fmt.Sprintf(cond, q.d.Placeholder(len(args))))
	}
	add("org_id = %s", p.OrgID)
	for _, f := range []struct{ col, v string }{
		{"action", p.Action}, {"actor_id", p.ActorID}, {"target_id", p.TargetID}, {"outcome", p.Outcome},
	} {
		if f.v != "" {
			add(f.col+" = %s", f.v)
		}
	}
	if p.Since != nil {
		add("at >= %s", q.time(*p.Since))
	}
	if p.Until != nil {
		add("at < %s", q.time(*p.Until))
	}
	order, after := "DESC", "seq < %s"
	if p.Ascending {
		order, after = "ASC", "seq > %s"
	}
	if p.Cursor != "" {
		seq, err := decodeAuditCursor(p.Cursor)
		if err != nil {
			return nil, "", err
		}
		add(after, seq)
	}
	args = append(args, limit+1)
	query := aq.ListSelect + " WHERE " + strings.Join(where, " AND ") + " ORDER BY seq " + order +
		" LIMIT " + q.d.Placeholder(len(args))
	recs, err := list(ctx, q, scanAuditRecord, "list audit records", query, args...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(recs) > limit {
		recs = recs[:limit]
		next = encodeAuditCursor(recs[limit-1].Seq)
	}
	return recs, next, nil
}

// AuditChain calls fn with every record of orgID's chain in Seq order,
// reading a page at a time.
func (q *queries) AuditChain(ctx context.Context, orgID string, fn func(store.AuditRecord) error) error {
	aq, err := q.audit()
	if err != nil {
		return err
	}
	after := int64(0)
	for {
		recs, err := list(ctx, q, scanAuditRecord, "read audit chain", aq.Chain, orgID, after, auditChainPage)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if err := fn(r); err != nil {
				return err
			}
			after = r.Seq
		}
		if len(recs) < auditChainPage {
			return nil
		}
	}
}

// AuditFollower returns the record whose PrevHash is prevHash.
func (q *queries) AuditFollower(ctx context.Context, orgID, prevHash string) (store.AuditRecord, error) {
	aq, err := q.audit()
	if err != nil {
		return store.AuditRecord{}, err
	}
	r, err := scanAuditRecord(q.ex.QueryRowContext(ctx, aq.Follower, orgID, prevHash))
	if err != nil {
		return store.AuditRecord{}, q.fail(err, "find audit record after %s", prevHash)
	}
	return r, nil
}

// AuditHeads returns the head of every chain, by OrgID.
func (q *queries) AuditHeads(ctx context.Context) ([]store.AuditHead, error) {
	aq, err := q.audit()
	if err != nil {
		return nil, err
	}
	heads, err := list(ctx, q, func(r scanner) (store.AuditHead, error) {
		var h store.AuditHead
		err := r.Scan(&h.OrgID, &h.Seq, &h.Hash)
		return h, err
	}, "list audit chain heads", aq.Heads)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(heads, func(a, b store.AuditHead) int { return cmp.Compare(a.OrgID, b.OrgID) })
	return heads, nil
}

func scanAuditRecord(r scanner) (store.AuditRecord, error) {
	var a store.AuditRecord
	var detail string
	err := r.Scan(&a.OrgID, &a.Seq, timeCol{&a.At}, &a.ActorType, &a.ActorID, &a.Action, &a.TargetType,
		&a.TargetID, &a.Outcome, &a.SourceIP, &a.Client, &detail, &a.PrevHash, &a.Hash)
	if err != nil {
		return store.AuditRecord{}, err
	}
	if detail != "" {
		if err := json.Unmarshal([]byte(detail), &a.Detail); err != nil {
			// A detail that is not a JSON object of strings was edited:
			// keep its text so that the record's hash shows the change.
			a.Detail = map[string]string{"": detail}
		}
	}
	return a, nil
}

// encodeDetail returns d as a JSON object with sorted keys ("" when empty).
func encodeDetail(d map[string]string) (string, error) {
	if len(d) == 0 {
		return "", nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("encode audit detail: %w", err)
	}
	return string(b), nil
}

// encodeAuditCursor returns the opaque cursor of the page after seq.
func encodeAuditCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("audit:" + strconv.FormatInt(seq, 10)))
}

func decodeAuditCursor(cursor string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil {
		if s, ok := strings.CutPrefix(string(b), "audit:"); ok {
			if seq, err := strconv.ParseInt(s, 10, 64); err == nil && seq > 0 && strconv.FormatInt(seq, 10) == s {
				return seq, nil
			}
		}
	}
	return 0, fmt.Errorf("decode audit cursor: %w", store.ErrInvalidCursor)
}
