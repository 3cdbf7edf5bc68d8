package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
)

// AuditRecord is one record of an organisation's audit chain (package
// audit describes the fields). Records are append-only: Seq numbers an
// organisation's records from 1 without gaps, PrevHash is the Hash of the
// record before it ("" for the first), and Hash is AuditHash of the record.
// OrgID "" is the chain of events whose organisation is unknown (failed
// sign-ins).
type AuditRecord struct {
	OrgID      string
	Seq        int64
	At         time.Time
	ActorType  string
	ActorID    string
	Action     string
	TargetType string
	TargetID   string
	Outcome    string
	SourceIP   string
	Client     string
	// Detail holds extra non-personal facts; nil when none.
	Detail   map[string]string
	PrevHash string
	Hash     string
}

// auditHashVersion starts every hashed encoding, so that the encoding can
// change later without ambiguity.
const auditHashVersion = "callimport-audit-v1"

// AuditHash returns the hex SHA-256 of r's canonical encoding: every field
// but Hash (Seq and PrevHash included), each written as its length in bytes,
// a colon and its bytes, in a fixed order. At is encoded in UTC with
// microsecond precision (as stored) and Detail as JSON with sorted keys.
// Changing, removing or moving a record therefore changes a hash that the
// next record, or the chain head, still holds.
func AuditHash(r AuditRecord) string {
	detail := ""
	if len(r.Detail) > 0 {
		b, _ := json.Marshal(r.Detail) // map keys are sorted; strings cannot fail
		detail = string(b)
	}
	h := sha256.New()
	var buf []byte
	for _, f := range [...]string{
		auditHashVersion, r.OrgID, strconv.FormatInt(r.Seq, 10),
		r.At.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000Z"),
		r.ActorType, r.ActorID, r.Action, r.TargetType, r.TargetID, r.Outcome, r.SourceIP, r.Client,
		detail, r.PrevHash,
	} {
		buf = strconv.AppendInt(buf[:0], int64(len(f)), 10)
		buf = append(buf, ':')
		buf = append(buf, f...)
		_, _ = h.Write(buf)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// AuditHead is the end of an organisation's chain as the store last wrote
// it: the number and hash of its last record. Verifying a chain against
// its head shows records removed from its end.
type AuditHead struct {
	OrgID string
	Seq   int64
	Hash  string
}

// AuditListParams selects records of one organisation. Zero fields do not
// filter.
type AuditListParams struct {
	OrgID    string
	Action   string
	ActorID  string
	TargetID string
	Outcome  string
	// Since and Until bound At: Since <= At < Until.
	Since, Until *time.Time
	// Ascending lists oldest first (exports); the default is newest first.
	Ascending bool
	// Cursor is the next cursor of the previous page.
	Cursor string
	// Limit defaults to DefaultAuditListLimit and is capped at MaxAuditListLimit.
	Limit int
}

// Paging bounds of AuditList.
const (
	DefaultAuditListLimit = 100
	MaxAuditListLimit     = 1000
)

// Audit keeps the access audit trail. The SQL backends implement it; the
// audit package asserts it on its store.Store.
type Audit interface {
	// AuditAppend appends records (OrgID, At and the event fields set; Seq,
	// PrevHash and Hash are ignored) in one transaction, each at the end of
	// its organisation's chain in the order given, and returns them with
	// Seq, PrevHash and Hash filled. Appends to one organisation are
	// serialised, across processes too, so that concurrent appends never
	// fork a chain. Nothing ever updates or deletes a record.
	AuditAppend(ctx context.Context, recs []AuditRecord) ([]AuditRecord, error)
	// AuditList returns up to p.Limit records of p.OrgID matching the
	// filters, by Seq (newest first unless p.Ascending), and the cursor of
	// the next page ("" after the last). A cursor this method did not
	// return answers an error wrapping ErrInvalidCursor.
	AuditList(ctx context.Context, p AuditListParams) ([]AuditRecord, string, error)
	// AuditChain calls fn with every record of orgID's chain in Seq order,
	// stopping at fn's first error (returned as is).
	AuditChain(ctx context.Context, orgID string, fn func(AuditRecord) error) error
	// AuditFollower returns the record of orgID whose PrevHash is prevHash
	// (the record written after the one of that hash); ErrNotFound if none.
	AuditFollower(ctx context.Context, orgID, prevHash string) (AuditRecord, error)
	// AuditHeads returns the head of every chain, by OrgID.
	AuditHeads(ctx context.Context) ([]AuditHead, error)
}
