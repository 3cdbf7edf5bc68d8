package storesqlite

import "github.com/callimport/callimport/internal/store/storesql"

const (
	orgCols      = `id, name, created_at`
	campaignCols = `id, org_id, name, description, require_metadata, retention_days, created_at, updated_at,
		min_duration_seconds, max_duration_seconds, required_channels`
	callCols = `id, org_id, campaign_id, status, source, file_name, size_bytes, sha256, format,
		blob_key, conversation_time, agent_email, external_id, metadata,
		audio_format, audio_codec, duration_seconds, sample_rate_hz, channels,
		bits_per_sample, bit_rate, silent, rejection_reason, created_at, updated_at, imported_at`
	userCols   = `id, org_id, email, role, password_hash, disabled, created_at`
	apiKeyCols = `id, org_id, name, prefix, hash, scopes, created_at, revoked_at`
	clientCols = `id, org_id, name, client_id, secret_hash, scopes, created_at, revoked_at`
)

// newQueries returns the SQLite query set. The write lock of BEGIN IMMEDIATE
// (_txlock=immediate) serialises read-modify-write transactions, so no row
// locks are needed.
func newQueries() *storesql.Queries {
	return &storesql.Queries{
		MigrateLock: ``,
		MigrateCreateTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    TEXT NOT NULL PRIMARY KEY,
		applied_at TEXT NOT NULL
	) STRICT`,
		MigrateApplied: `SELECT version FROM schema_migrations ORDER BY version`,
		MigrateInsert:  `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,

		OrgInsert:    `INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		OrgGet:       `SELECT ` + orgCols + ` FROM orgs WHERE id = ?`,
		OrgGetByName: `SELECT ` + orgCols + ` FROM orgs WHERE name = ?`,
		OrgList:      `SELECT ` + orgCols + ` FROM orgs ORDER BY name, id`,

		CampaignInsert: `INSERT INTO campaigns (` + campaignCols + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		CampaignGet:  `SELECT ` + campaignCols + ` FROM campaigns WHERE org_id = ? AND id = ?`,
		CampaignList: `SELECT ` + campaignCols + ` FROM campaigns WHERE org_id = ? ORDER BY name, id`,
		CampaignUpdate: `UPDATE campaigns SET
			name = COALESCE(?, name),
			description = COALESCE(?, description),
			require_metadata = COALESCE(?, require_metadata),
			retention_days = COALESCE(?, retention_days),
			min_duration_seconds = COALESCE(?, min_duration_seconds),
			max_duration_seconds = COALESCE(?, max_duration_seconds),
			required_channels = COALESCE(?, required_channels),
			updated_at = ?
		WHERE org_id = ? AND id = ?
		RETURNING ` + campaignCols,

		CallInsert: `INSERT INTO calls (id, org_id, campaign_id, status, source, file_name,
			size_bytes, sha256, format, blob_key, conversation_time, agent_email,
			external_id, metadata, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		CallGet:             `SELECT ` + callCols + ` FROM calls WHERE org_id = ? AND id = ?`,
		CallGetByID:         `SELECT ` + callCols + ` FROM calls WHERE id = ?`,
		CallGetBySHA256:     `SELECT ` + callCols + ` FROM calls WHERE campaign_id = ? AND sha256 = ?`,
		CallGetByExternalID: `SELECT ` + callCols + ` FROM calls WHERE campaign_id = ? AND external_id = ? AND external_id <> ''`,
		CallGetForUpdate:    `SELECT ` + callCols + ` FROM calls WHERE org_id = ? AND id = ?`,
		CallSetStatus: `UPDATE calls SET
			status = ?,
			audio_format = COALESCE(?, audio_format),
			audio_codec = COALESCE(?, audio_codec),
			duration_seconds = COALESCE(?, duration_seconds),
			sample_rate_hz = COALESCE(?, sample_rate_hz),
			channels = COALESCE(?, channels),
			bits_per_sample = COALESCE(?, bits_per_sample),
			bit_rate = COALESCE(?, bit_rate),
			silent = COALESCE(?, silent),
			rejection_reason = ?,
			imported_at = ?,
			updated_at = ?
		WHERE id = ?
		RETURNING ` + callCols,
		CallMerge: `UPDATE calls SET metadata = ?, agent_email = ?, conversation_time = ?, updated_at = ?
		WHERE id = ?`,
		CallDelete:     `DELETE FROM calls WHERE org_id = ? AND id = ? RETURNING ` + callCols,
		CallListSelect: `SELECT ` + callCols + ` FROM calls`,

		IntakeInsert:    `INSERT INTO intakes (blob_key, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING`,
		IntakeDelete:    `DELETE FROM intakes WHERE blob_key = ?`,
		IntakeListStale: `SELECT blob_key, created_at FROM intakes WHERE created_at < ? ORDER BY created_at, blob_key LIMIT ?`,

		UserInsert:     `INSERT INTO users (` + userCols + `) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		UserGetByEmail: `SELECT ` + userCols + ` FROM users WHERE email = ?`,
		UserGet:        `SELECT ` + userCols + ` FROM users WHERE org_id = ? AND id = ?`,
		UserList:       `SELECT ` + userCols + ` FROM users WHERE org_id = ? ORDER BY email`,

		APIKeyInsert: `INSERT INTO api_keys (id, org_id, name, prefix, hash, scopes, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		APIKeyGetByHash: `SELECT ` + apiKeyCols + ` FROM api_keys WHERE hash = ? AND revoked_at IS NULL`,
		APIKeyList:      `SELECT ` + apiKeyCols + ` FROM api_keys WHERE org_id = ? ORDER BY created_at, id`,
		APIKeyRevoke:    `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE org_id = ? AND id = ?`,

		OAuthClientInsert: `INSERT INTO oauth_clients (id, org_id, name, client_id, secret_hash, scopes, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		OAuthClientGetByClientID: `SELECT ` + clientCols + ` FROM oauth_clients WHERE client_id = ? AND revoked_at IS NULL`,
		OAuthClientList:          `SELECT ` + clientCols + ` FROM oauth_clients WHERE org_id = ? ORDER BY created_at, id`,
		OAuthClientRevoke:        `UPDATE oauth_clients SET revoked_at = COALESCE(revoked_at, ?) WHERE org_id = ? AND id = ?`,

		TokenInsert: `INSERT INTO tokens (hash, org_id, client_id, scopes, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		TokenGetByHash: `SELECT t.hash, t.org_id, t.client_id, t.scopes, t.expires_at
		FROM tokens t JOIN oauth_clients c ON c.id = t.client_id
		WHERE t.hash = ? AND t.expires_at > ? AND c.revoked_at IS NULL`,
	}
}
