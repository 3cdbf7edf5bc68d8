package storesql

// Queries holds a dialect's query texts. Each comment gives the bind
// arguments in order and the columns returned. Column lists:
//
//	org:      id, name, created_at
//	campaign: id, org_id, name, description, require_metadata, retention_days, created_at, updated_at
//	call:     id, org_id, campaign_id, status, source, file_name, size_bytes, sha256, format,
//	          blob_key, conversation_time, agent_email, external_id, metadata,
//	          audio_format, audio_codec, duration_seconds, sample_rate_hz, channels,
//	          bits_per_sample, bit_rate, silent, rejection_reason, created_at, updated_at, imported_at
//	intake:   blob_key, created_at
//	user:     id, org_id, email, role, password_hash, disabled, created_at
//	api key:  id, org_id, name, prefix, hash, scopes, created_at, revoked_at
//	client:   id, org_id, name, client_id, secret_hash, scopes, created_at, revoked_at
//	token:    hash, org_id, client_id, scopes, expires_at
//
// Inserts end with ON CONFLICT DO NOTHING.
type Queries struct {
	// MigrateLock is run first in the migration transaction ("" for none).
	MigrateLock string
	// MigrateCreateTable creates schema_migrations if missing.
	MigrateCreateTable string
	// MigrateApplied returns the applied versions.
	MigrateApplied string
	// MigrateInsert: version, applied_at.
	MigrateInsert string

	OrgInsert    string // id, name, created_at
	OrgGet       string // id → org
	OrgGetByName string // name → org
	OrgList      string // → orgs by name

	CampaignInsert string // id, org_id, name, description, require_metadata, retention_days, created_at, updated_at
	CampaignGet    string // org_id, id → campaign
	CampaignList   string // org_id → campaigns by name
	// CampaignUpdate: name, description, require_metadata, retention_days
	// (NULL keeps the column), updated_at, org_id, id → campaign (RETURNING).
	CampaignUpdate string

	// CallInsert: id, org_id, campaign_id, status, source, file_name,
	// size_bytes, sha256, format, blob_key, conversation_time, agent_email,
	// external_id, metadata, created_at, updated_at.
	CallInsert          string
	CallGet             string // org_id, id → call
	CallGetByID         string // id → call
	CallGetBySHA256     string // campaign_id, sha256 → call
	CallGetByExternalID string // campaign_id, external_id → call
	// CallGetForUpdate: org_id, id → call, locking the row where the
	// dialect can; run inside a transaction.
	CallGetForUpdate string
	// CallSetStatus: status, audio_format, audio_codec, duration_seconds,
	// sample_rate_hz, channels, bits_per_sample, bit_rate, silent (the audio
	// columns NULL keep their value), rejection_reason, imported_at,
	// updated_at, id → call (RETURNING).
	CallSetStatus string
	// CallMerge: metadata, agent_email, conversation_time, updated_at, id.
	CallMerge  string
	CallDelete string // org_id, id → call (RETURNING)
	// CallListSelect is "SELECT <call columns> FROM calls"; CallList adds
	// WHERE (org_id, campaign_id, status, source, agent_email, external_id,
	// created_at, id), ORDER BY id DESC and LIMIT.
	CallListSelect string

	IntakeInsert    string // blob_key, created_at
	IntakeDelete    string // blob_key
	IntakeListStale string // created_at bound (exclusive), limit → intakes oldest first

	UserInsert     string // id, org_id, email, role, password_hash, disabled, created_at
	UserGetByEmail string // email (lower case) → user
	UserGet        string // org_id, id → user
	UserList       string // org_id → users by email

	APIKeyInsert    string // id, org_id, name, prefix, hash, scopes, created_at
	APIKeyGetByHash string // hash → api key, not revoked
	APIKeyList      string // org_id → api keys by creation
	APIKeyRevoke    string // revoked_at, org_id, id (keeps an earlier revoked_at)

	OAuthClientInsert        string // id, org_id, name, client_id, secret_hash, scopes, created_at
	OAuthClientGetByClientID string // client_id → client, not revoked
	OAuthClientList          string // org_id → clients by creation
	OAuthClientRevoke        string // revoked_at, org_id, id (keeps an earlier revoked_at)

	TokenInsert    string // hash, org_id, client_id, scopes, expires_at, created_at
	TokenGetByHash string // hash, now → token, not expired, client not revoked
}
