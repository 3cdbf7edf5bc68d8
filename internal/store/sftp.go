package store

import (
	"context"
	"time"
)

// SFTPAccount is a login of the hosted SFTP server. It belongs to one
// organisation and may import into CampaignIDs (all of the organisation's
// campaigns when empty).
type SFTPAccount struct {
	ID       string
	OrgID    string
	Username string
	// PasswordHash is an argon2id hash (auth.HashPassword); empty means no
	// password login.
	PasswordHash string
	// AuthorizedKeys holds OpenSSH authorized_keys lines; empty means no
	// public-key login.
	AuthorizedKeys string
	CampaignIDs    []string
	Disabled       bool
	CreatedAt      time.Time
}

// SFTPAccountCreateParams describes a new account; ID is generated when empty.
type SFTPAccountCreateParams struct {
	ID             string
	OrgID          string
	Username       string
	PasswordHash   string
	AuthorizedKeys string
	CampaignIDs    []string
}

// SFTPAccountUpdateParams changes the non-nil fields of an account.
type SFTPAccountUpdateParams struct {
	OrgID          string
	ID             string
	PasswordHash   *string
	AuthorizedKeys *string
	CampaignIDs    *[]string
	Disabled       *bool
}

// SFTPAccounts stores the hosted SFTP server's accounts. The SQL backends
// implement it; front ends assert it on their store.Store.
type SFTPAccounts interface {
	// SFTPAccountCreate returns ErrAlreadyExists if the username (usernames
	// are global, in lower case) or id is taken, ErrNotFound if the
	// organisation does not exist.
	SFTPAccountCreate(ctx context.Context, p SFTPAccountCreateParams) (SFTPAccount, error)
	// SFTPAccountGetByUsername looks the username up across organisations;
	// ErrNotFound if unknown.
	SFTPAccountGetByUsername(ctx context.Context, username string) (SFTPAccount, error)
	// SFTPAccountGet returns ErrNotFound if the organisation has no such account.
	SFTPAccountGet(ctx context.Context, orgID, id string) (SFTPAccount, error)
	// SFTPAccountList returns the organisation's accounts by username.
	SFTPAccountList(ctx context.Context, orgID string) ([]SFTPAccount, error)
	// SFTPAccountUpdate returns ErrNotFound if the organisation has no such account.
	SFTPAccountUpdate(ctx context.Context, p SFTPAccountUpdateParams) (SFTPAccount, error)
	// SFTPAccountDelete removes the account; deleting a missing one is not an error.
	SFTPAccountDelete(ctx context.Context, orgID, id string) error
}

// SFTP receipt statuses.
const (
	SFTPReceiptReceived  = "received"  // a new call
	SFTPReceiptDuplicate = "duplicate" // the call already existed
	SFTPReceiptRejected  = "rejected"  // refused; Reason says why
)

// SFTPReceipt is the outcome of one file uploaded to the hosted SFTP
// server, rendered in the campaign folder's _results and _rejected.
type SFTPReceipt struct {
	ID         string
	OrgID      string
	CampaignID string
	// FileName is the path below the campaign folder, slash-separated.
	FileName  string
	CallID    string // empty when rejected
	Status    string
	Reason    string // the public refusal message
	CreatedAt time.Time
}

// SFTPReceiptCreateParams describes a receipt; ID is generated when empty.
type SFTPReceiptCreateParams struct {
	ID, OrgID, CampaignID, FileName, CallID, Status, Reason string
}

// SFTPReceiptListParams selects a campaign's receipts created in [Since, Until).
type SFTPReceiptListParams struct {
	OrgID, CampaignID string
	Since, Until      time.Time
	// Limit defaults to 10000.
	Limit int
}

// SFTPReceipts records the hosted SFTP server's receipts.
type SFTPReceipts interface {
	// SFTPReceiptCreate returns ErrNotFound if the organisation does not exist.
	SFTPReceiptCreate(ctx context.Context, p SFTPReceiptCreateParams) (SFTPReceipt, error)
	// SFTPReceiptList returns the receipts oldest first.
	SFTPReceiptList(ctx context.Context, p SFTPReceiptListParams) ([]SFTPReceipt, error)
}
