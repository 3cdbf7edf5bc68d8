package store

import (
	"context"
	"time"

	"github.com/callimport/callimport/internal/call"
)

// Erasure kinds: what an erasure request matches calls by.
const (
	ErasureByCall       = "call"
	ErasureByAgentEmail = "agent_email"
	ErasureByMetadata   = "metadata"
)

// Erasure statuses.
const (
	ErasurePending = "pending"
	ErasureRunning = "running"
	ErasureDone    = "done"
	ErasureFailed  = "failed"
)

// Erasure is a request to erase calls (internal/privacy). Criterion holds
// what is searched for (a call id, an agent e-mail or a metadata value)
// only while the request is pending or running: ErasureFinish clears it, so
// that a finished request keeps no personal data but CriterionSHA256.
type Erasure struct {
	ID         string
	OrgID      string
	CampaignID string // "" = every campaign of the organisation
	Kind       string // one of the ErasureBy* constants
	// MetadataKey is the key of a metadata erasure ("" for other kinds).
	MetadataKey     string
	CriterionSHA256 string
	Criterion       string
	Status          string // one of the Erasure* statuses
	// Receipt is the JSON receipt owned by internal/privacy; "" until done.
	Receipt     string
	Error       string
	RequestedBy string
	CreatedAt   time.Time
	FinishedAt  *time.Time
}

// ErasureCreateParams creates a pending erasure; ID is generated when empty.
type ErasureCreateParams struct {
	ID, OrgID, CampaignID, Kind, MetadataKey string
	CriterionSHA256, Criterion, RequestedBy  string
}

// ErasureFinishParams ends an erasure: Status is ErasureDone or
// ErasureFailed; the criterion is cleared.
type ErasureFinishParams struct {
	ID, Status, Receipt, Error string
	At                         time.Time
}

// Privacy is what retention and erasure (internal/privacy) need. The SQL
// backends implement it; the package asserts it on its store.Store.
type Privacy interface {
	// CampaignListRetained returns every campaign of every organisation
	// whose RetentionDays is above 0, by organisation and id.
	CampaignListRetained(ctx context.Context) ([]call.Campaign, error)
	// CallListCreatedBefore returns up to limit calls of the organisation's
	// campaign whose CreatedAt (the time the call was received) is before t,
	// by id. It walks the campaign's ids (time-ordered, call.NewID) up to
	// t's, so a call whose id is later than its CreatedAt (clock skew
	// between processes) is only found once t passes its id's time.
	CallListCreatedBefore(ctx context.Context, orgID, campaignID string, t time.Time, limit int) ([]call.Call, error)
	// CallListByAgentEmail returns up to limit calls of the organisation
	// (and of campaignID unless "") whose agent e-mail equals email, ignoring
	// ASCII case, by id.
	CallListByAgentEmail(ctx context.Context, orgID, campaignID, email string, limit int) ([]call.Call, error)
	// CallListByMetadata returns up to limit calls of the organisation (and
	// of campaignID unless "") with ids above afterID ("" for the first)
	// having a metadata pair with exactly this key and exactly this value
	// (case-sensitive, untrimmed), by id. It reads every call of the
	// organisation after afterID: page with the last id returned.
	CallListByMetadata(ctx context.Context, orgID, campaignID, key, value, afterID string, limit int) ([]call.Call, error)
	// CallErase removes the organisation's call in one transaction with its
	// SFTP receipts, and records its blob key as an intake dated at the Unix
	// epoch so that the orphan cleaner removes the blob if the caller does
	// not (crash between the commit and the blob's deletion). The caller
	// deletes the blob, then the intake. ErrNotFound if there is no such call.
	CallErase(ctx context.Context, orgID, id string) (call.Call, error)

	// ErasureCreate records a pending erasure.
	ErasureCreate(ctx context.Context, p ErasureCreateParams) (Erasure, error)
	// ErasureGet returns ErrNotFound if the organisation has no such erasure.
	ErasureGet(ctx context.Context, orgID, id string) (Erasure, error)
	// ErasureGetByID reads an erasure whatever its organisation (for jobs).
	ErasureGetByID(ctx context.Context, id string) (Erasure, error)
	// ErasureList returns the organisation's last erasures, newest first
	// (limit defaults to 100).
	ErasureList(ctx context.Context, orgID string, limit int) ([]Erasure, error)
	// ErasureStart moves a pending erasure to running (a running one stays
	// running, for a retried job); ErrNotFound if it is unknown.
	ErasureStart(ctx context.Context, id string) error
	// ErasureSaveReceipt records the receipt of a running erasure so far
	// (in the transaction that erased its calls); ErrNotFound if unknown.
	ErasureSaveReceipt(ctx context.Context, id, receipt string) error
	// ErasureFinish sets the outcome and clears the criterion; ErrNotFound
	// if the erasure is unknown.
	ErasureFinish(ctx context.Context, p ErasureFinishParams) error
}
