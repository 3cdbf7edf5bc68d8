package store

import (
	"time"

	"github.com/callimport/callimport/internal/call"
)

// OrgCreateParams describes a new organisation; ID is generated when empty.
type OrgCreateParams struct {
	ID   string
	Name string
}

// CampaignCreateParams describes a new campaign; ID is generated when empty.
type CampaignCreateParams struct {
	ID                 string
	OrgID              string
	Name               string
	Description        string
	RequireMetadata    bool
	RetentionDays      int
	MinDurationSeconds int
	MaxDurationSeconds int
	RequiredChannels   int
}

// CampaignUpdateParams changes the non-nil fields of campaign ID in OrgID.
type CampaignUpdateParams struct {
	OrgID              string
	ID                 string
	Name               *string
	Description        *string
	RequireMetadata    *bool
	RetentionDays      *int
	MinDurationSeconds *int
	MaxDurationSeconds *int
	RequiredChannels   *int
}

// CallCreateParams describes a new call; ID must be set (the blob is
// written under it first).
type CallCreateParams struct {
	ID               string
	OrgID            string
	CampaignID       string
	Source           call.Source
	FileName         string
	SizeBytes        int64
	SHA256           string
	Format           string
	BlobKey          string
	ConversationTime *time.Time
	AgentEmail       string
	ExternalID       string
	Metadata         []call.MetaPair
}

// Page sizes of CallList.
const (
	DefaultCallListLimit = 50
	MaxCallListLimit     = 500
)

// CallListParams filters an organisation's calls. Zero values do not filter.
type CallListParams struct {
	OrgID         string
	CampaignID    string
	Status        call.Status
	Source        call.Source
	AgentEmail    string
	ExternalID    string
	CreatedAfter  *time.Time // inclusive
	CreatedBefore *time.Time // exclusive
	// Cursor is the value returned with the previous page.
	Cursor string
	// Limit defaults to 50 and is capped at 500.
	Limit int
}

// CallSetStatusParams moves call ID to Status.
type CallSetStatusParams struct {
	ID              string
	Status          call.Status
	Audio           *call.AudioInfo
	RejectionReason string
	Now             time.Time
}

// CallMergeMetadataParams adds metadata (and envelope fields still empty)
// to call ID of OrgID.
type CallMergeMetadataParams struct {
	OrgID            string
	ID               string
	Metadata         []call.MetaPair
	AgentEmail       string
	ConversationTime *time.Time
}

// IntakeCreateParams records a blob write in progress.
type IntakeCreateParams struct {
	BlobKey   string
	CreatedAt time.Time
}

// Intake is a blob write in progress (or left by a crash).
type Intake struct {
	BlobKey   string
	CreatedAt time.Time
}

// Role of a web user.
type Role string

// The roles.
const (
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
)

// User is a person who signs in to the web application.
type User struct {
	ID           string
	OrgID        string
	Email        string
	Role         Role
	PasswordHash string
	Disabled     bool
	CreatedAt    time.Time
}

// UserCreateParams describes a new user; ID is generated when empty.
type UserCreateParams struct {
	ID           string
	OrgID        string
	Email        string
	Role         Role
	PasswordHash string
}

// Scope is a permission carried by an API key, OAuth client or token.
type Scope string

// The scopes.
const (
	ScopeCallsWrite Scope = "calls:write"
	ScopeCallsRead  Scope = "calls:read"
	ScopeAdmin      Scope = "admin"
)

// APIKey is a long-lived credential; only its hash is kept.
type APIKey struct {
	ID        string
	OrgID     string
	Name      string
	Prefix    string // first characters, shown to recognise a key
	Hash      string
	Scopes    []Scope
	CreatedAt time.Time
	RevokedAt *time.Time
}

// APIKeyCreateParams describes a new API key; ID is generated when empty.
type APIKeyCreateParams struct {
	ID     string
	OrgID  string
	Name   string
	Prefix string
	Hash   string
	Scopes []Scope
}

// OAuthClient is a client-credentials client; only its secret's hash is kept.
type OAuthClient struct {
	ID         string
	OrgID      string
	Name       string
	ClientID   string
	SecretHash string
	Scopes     []Scope
	CreatedAt  time.Time
	RevokedAt  *time.Time
}

// OAuthClientCreateParams describes a new OAuth client; ID is generated when empty.
type OAuthClientCreateParams struct {
	ID         string
	OrgID      string
	Name       string
	ClientID   string
	SecretHash string
	Scopes     []Scope
}

// Token is an issued bearer token; only its hash is kept.
type Token struct {
	Hash      string
	OrgID     string
	ClientID  string // OAuthClient.ID
	Scopes    []Scope
	ExpiresAt time.Time
}

// TokenCreateParams records an issued token.
type TokenCreateParams struct {
	Hash      string
	OrgID     string
	ClientID  string
	Scopes    []Scope
	ExpiresAt time.Time
	CreatedAt time.Time
}
