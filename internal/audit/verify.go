package audit

import (
	"context"
	"errors"
	"fmt"

	"github.com/callimport/callimport/internal/store"
)

// Why a chain is broken (Break.Reason).
const (
	// BreakEdited: a record's fields no longer match its hash, or the chain
	// head does not match the last record.
	BreakEdited = "edited"
	// BreakMissing: a record is gone (a gap in the numbers, a record whose
	// predecessor is nowhere, or fewer records than the chain head counts).
	BreakMissing = "missing"
	// BreakReordered: the record written at this position is intact but
	// sits at another one.
	BreakReordered = "reordered"
)

// Break is the first position where a chain stops verifying.
type Break struct {
	// Seq is the number of the first record that is not as written.
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

// Verification is the outcome of verifying one organisation's chain.
type Verification struct {
	OrgID string `json:"org_id"`
	// Records is how many records were checked (up to the break).
	Records int64 `json:"records"`
	// HeadHash is the hash of the last record: note it somewhere else to
	// detect later a rewrite of the whole chain.
	HeadHash string `json:"head_hash"`
	// Break is nil when the chain is intact.
	Break *Break `json:"break,omitempty"`
}

// OK reports whether the chain is intact.
func (v Verification) OK() bool { return v.Break == nil }

var errStop = errors.New("stop")

// Verify checks orgID's chain ("" for the chain of unknown organisations):
// every record's hash, every link to the record before it, the numbering,
// and the end against the chain head. It reports the first break with
// its reason; an error means the store could not be read. Records appended
// while it runs are checked too.
func Verify(ctx context.Context, st store.Audit, orgID string) (Verification, error) {
	v := Verification{OrgID: orgID}
	before, err := head(ctx, st, orgID)
	if err != nil {
		return v, err
	}
	expected, prev := int64(1), ""
	atBefore := "" // hash of the record at before.Seq
	err = st.AuditChain(ctx, orgID, func(r store.AuditRecord) error {
		if r.Seq > expected {
			d := fmt.Sprintf("records %d to %d are missing", expected, r.Seq-1)
			if r.Seq == expected+1 {
				d = fmt.Sprintf("record %d is missing", expected)
			}
			v.Break = &Break{Seq: expected, Reason: BreakMissing, Detail: d}
			return errStop
		}
		v.Records++
		if r.Seq == expected && r.PrevHash == prev && store.AuditHash(r) == r.Hash {
			prev = r.Hash
			if r.Seq == before.Seq {
				atBefore = r.Hash
			}
			expected++
			return nil
		}
		b, err := classify(ctx, st, r, expected, prev)
		if err != nil {
			return err
		}
		v.Break = &b
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return v, fmt.Errorf("verify audit chain %q: %w", orgID, err)
	}
	if v.Break != nil {
		return v, nil
	}
	last := expected - 1
	v.HeadHash = prev
	after, err := head(ctx, st, orgID)
	if err != nil {
		return v, err
	}
	switch {
	case last < before.Seq:
		v.Break = &Break{Seq: last + 1, Reason: BreakMissing,
			Detail: fmt.Sprintf("the chain head counts %d records, the chain ends at %d", before.Seq, last)}
	case last > after.Seq:
		v.Break = &Break{Seq: after.Seq + 1, Reason: BreakEdited,
			Detail: fmt.Sprintf("records after the chain head (%d) were added outside the trail", after.Seq)}
	case before.Seq > 0 && atBefore != before.Hash:
		v.Break = &Break{Seq: before.Seq, Reason: BreakEdited, Detail: "the record does not match the chain head"}
	case after.Seq == last && after.Hash != prev:
		v.Break = &Break{Seq: last, Reason: BreakEdited, Detail: "the record does not match the chain head"}
	}
	return v, nil
}

// classify says why the record at position k (expected number k, after a
// verified record of hash prev) fails: the record written at k is found by
// its link to prev.
func classify(ctx context.Context, st store.Audit, r store.AuditRecord, k int64, prev string) (Break, error) {
	orig, err := st.AuditFollower(ctx, r.OrgID, prev)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Break{Seq: k, Reason: BreakMissing,
			Detail: fmt.Sprintf("no record links to record %d: the record written after it is gone", k-1)}, nil
	case err != nil:
		return Break{}, err
	case orig.Seq != k:
		moved := orig
		moved.Seq = k
		if store.AuditHash(moved) == orig.Hash {
			return Break{Seq: k, Reason: BreakReordered,
				Detail: fmt.Sprintf("the record written as number %d is now number %d", k, orig.Seq)}, nil
		}
		return Break{Seq: k, Reason: BreakEdited,
			Detail: fmt.Sprintf("record %d does not match its hash, nor does number %d that links to record %d", k, orig.Seq, k-1)}, nil
	}
	return Break{Seq: k, Reason: BreakEdited, Detail: fmt.Sprintf("record %d does not match its hash", k)}, nil
}

// head returns orgID's chain head; an empty one when it has none.
func head(ctx context.Context, st store.Audit, orgID string) (store.AuditHead, error) {
	heads, err := st.AuditHeads(ctx)
	if err != nil {
		return store.AuditHead{}, fmt.Errorf("verify audit chain %q: %w", orgID, err)
	}
	for _, h := range heads {
		if h.OrgID == orgID {
			return h, nil
		}
	}
	return store.AuditHead{OrgID: orgID}, nil
}

// VerifyAll verifies the chain of every organisation that has one (and of
// unknown organisations), by organisation id.
func VerifyAll(ctx context.Context, st store.Audit) ([]Verification, error) {
	heads, err := st.AuditHeads(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify audit chains: %w", err)
	}
	out := make([]Verification, 0, len(heads))
	for _, h := range heads {
		v, err := Verify(ctx, st, h.OrgID)
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}
