// Package store defines the metadata store of callimport: organisations,
// campaigns, calls, credentials and intake bookkeeping. Backends live in
// child packages (storesqlite, storepg) and pass the shared conformance suite
// in storetest.
//
// Every method that takes an organisation id only sees that organisation's
// rows: another organisation's id answers ErrNotFound, exactly as if it did
// not exist.
package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/callimport/callimport/internal/call"
)

// Sentinel errors returned (wrapped) by every backend.
var (
	// ErrNotFound: no such row, or it belongs to another organisation.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: a unique constraint refused the write (same name,
	// same SHA-256 or external id in a campaign, ...).
	ErrAlreadyExists = errors.New("already exists")
	// ErrInvalidCursor: a paging cursor that this store did not produce.
	ErrInvalidCursor = errors.New("invalid cursor")
	// ErrUnavailable: the database cannot be reached or is shutting down
	// (connection refused or lost, server starting or stopping, too many
	// connections); the same request may succeed later.
	ErrUnavailable = errors.New("database unavailable")
)

// Store is the metadata store. Queries run outside a transaction; InTx runs
// fn inside one and commits when fn returns nil.
type Store interface {
	Queries
	// InTx runs fn in a transaction, committed if fn returns nil and rolled
	// back otherwise. fn must only use tx (the SQLite backend has a single
	// connection: using the Store inside fn deadlocks).
	InTx(ctx context.Context, fn func(tx Tx) error) error
	// DB is the underlying pool, shared with the job queue (River).
	DB() *sql.DB
	// Dialect is "sqlite" or "postgres".
	Dialect() string
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	Close() error
}

// Tx is a transaction: the same queries, plus the *sql.Tx so that jobs can be
// enqueued in the same commit.
type Tx interface {
	Queries
	SQLTx() *sql.Tx
}

// Queries are the operations available inside and outside transactions.
type Queries interface {
	OrgCreate(ctx context.Context, p OrgCreateParams) (call.Org, error)
	// OrgGet returns ErrNotFound if id is unknown.
	OrgGet(ctx context.Context, id string) (call.Org, error)
	// OrgGetByName returns ErrNotFound if no organisation has that name.
	OrgGetByName(ctx context.Context, name string) (call.Org, error)
	OrgList(ctx context.Context) ([]call.Org, error)

	// CampaignCreate returns ErrAlreadyExists if the organisation has a
	// campaign of that name.
	CampaignCreate(ctx context.Context, p CampaignCreateParams) (call.Campaign, error)
	CampaignGet(ctx context.Context, orgID, id string) (call.Campaign, error)
	// CampaignList returns the organisation's campaigns by name.
	CampaignList(ctx context.Context, orgID string) ([]call.Campaign, error)
	// CampaignUpdate changes the fields that are non-nil.
	CampaignUpdate(ctx context.Context, p CampaignUpdateParams) (call.Campaign, error)

	// CallCreate inserts a call in status received. It returns
	// ErrAlreadyExists if the campaign already has a call with the same
	// SHA-256 or the same external id.
	CallCreate(ctx context.Context, p CallCreateParams) (call.Call, error)
	CallGet(ctx context.Context, orgID, id string) (call.Call, error)
	// CallGetByID reads a call whatever its organisation (for jobs).
	CallGetByID(ctx context.Context, id string) (call.Call, error)
	CallGetBySHA256(ctx context.Context, campaignID, sha256 string) (call.Call, error)
	CallGetByExternalID(ctx context.Context, campaignID, externalID string) (call.Call, error)
	// CallList returns up to p.Limit calls, newest first, and the cursor of
	// the next page ("" at the end).
	CallList(ctx context.Context, p CallListParams) ([]call.Call, string, error)
	// CallSetStatus moves a call to p.Status with its audio description or
	// rejection reason; ImportedAt is set when the status is imported.
	CallSetStatus(ctx context.Context, p CallSetStatusParams) (call.Call, error)
	// CallMergeMetadata adds pairs whose keys the call does not have yet.
	CallMergeMetadata(ctx context.Context, p CallMergeMetadataParams) (call.Call, error)
	// CallDelete removes the call and returns it (for its blob key).
	CallDelete(ctx context.Context, orgID, id string) (call.Call, error)

	// IntakeCreate records a blob being written before its call exists, so
	// that a crash leaves something to clean up.
	IntakeCreate(ctx context.Context, p IntakeCreateParams) error
	// IntakeDelete forgets an intake once its call is committed or its blob
	// removed. Deleting an unknown key is not an error.
	IntakeDelete(ctx context.Context, blobKey string) error
	// IntakeListStale returns intakes started before olderThan.
	IntakeListStale(ctx context.Context, olderThan time.Time, limit int) ([]Intake, error)

	UserCreate(ctx context.Context, p UserCreateParams) (User, error)
	// UserGetByEmail looks the e-mail up across organisations (it is unique).
	UserGetByEmail(ctx context.Context, email string) (User, error)
	UserGet(ctx context.Context, orgID, id string) (User, error)
	UserList(ctx context.Context, orgID string) ([]User, error)

	APIKeyCreate(ctx context.Context, p APIKeyCreateParams) (APIKey, error)
	// APIKeyGetByHash returns ErrNotFound for unknown and for revoked keys.
	APIKeyGetByHash(ctx context.Context, hash string) (APIKey, error)
	APIKeyList(ctx context.Context, orgID string) ([]APIKey, error)
	APIKeyRevoke(ctx context.Context, orgID, id string) error

	OAuthClientCreate(ctx context.Context, p OAuthClientCreateParams) (OAuthClient, error)
	// OAuthClientGetByClientID returns ErrNotFound for unknown and for revoked clients.
	OAuthClientGetByClientID(ctx context.Context, clientID string) (OAuthClient, error)
	OAuthClientList(ctx context.Context, orgID string) ([]OAuthClient, error)
	OAuthClientRevoke(ctx context.Context, orgID, id string) error

	// TokenCreate stores an issued bearer token by its hash.
	TokenCreate(ctx context.Context, p TokenCreateParams) error
	// TokenGetByHash returns ErrNotFound for unknown tokens and for tokens
	// past their expiry or whose client was revoked.
	TokenGetByHash(ctx context.Context, hash string, now time.Time) (Token, error)
}
