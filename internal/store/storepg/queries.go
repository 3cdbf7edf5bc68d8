package storepg

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

// newQueries returns the PostgreSQL query set. Migrations serialise on a
// transaction-level advisory lock keyed by the current schema; the
// read-modify-write of CallMergeMetadata locks its row with FOR UPDATE.
func newQueries() *storesql.Queries {
	return &storesql.Queries{
		MigrateLock: `SELECT pg_advisory_xact_lock(1129074004, hashtext(current_schema()))`,
		MigrateCreateTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    text        NOT NULL PRIMARY KEY,
			applied_at timestamptz NOT NULL
		)`,
		MigrateApplied: `SELECT version FROM schema_migrations ORDER BY version`,
		MigrateInsert:  `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,

		OrgInsert:    `INSERT INTO orgs (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		OrgGet:       `SELECT ` + orgCols + ` FROM orgs WHERE id = $1`,
		OrgGetByName: `SELECT ` + orgCols + ` FROM orgs WHERE name = $1`,
		OrgList:      `SELECT ` + orgCols + ` FROM orgs ORDER BY name, id`,

		CampaignInsert: `INSERT INTO campaigns (` + campaignCols + `)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
		CampaignGet:  `SELECT ` + campaignCols + ` FROM campaigns WHERE org_id = $1 AND id = $2`,
		CampaignList: `SELECT ` + campaignCols + ` FROM campaigns WHERE org_id = $1 ORDER BY name, id`,
		CampaignUpdate: `UPDATE campaigns SET
				name = COALESCE($1, name),
				description = COALESCE($2, description),
				require_metadata = COALESCE($3, require_metadata),
				retention_days = COALESCE($4, retention_days),
				min_duration_seconds = COALESCE($5, min_duration_seconds),
				max_duration_seconds = COALESCE($6, max_duration_seconds),
				required_channels = COALESCE($7, required_channels),
				updated_at = $8
			WHERE org_id = $9 AND id = $10
			RETURNING ` + campaignCols,

		CallInsert: `INSERT INTO calls (id, org_id, campaign_id, status, source, file_name,
				size_bytes, sha256, format, blob_key, conversation_time, agent_email,
				external_id, metadata, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15, $16)
			ON CONFLICT DO NOTHING`,
		CallGet:             `SELECT ` + callCols + ` FROM calls WHERE org_id = $1 AND id = $2`,
		CallGetByID:         `SELECT ` + callCols + ` FROM calls WHERE id = $1`,
		CallGetBySHA256:     `SELECT ` + callCols + ` FROM calls WHERE campaign_id = $1 AND sha256 = $2`,
		CallGetByExternalID: `SELECT ` + callCols + ` FROM calls WHERE campaign_id = $1 AND external_id = $2 AND external_id <> ''`,
		CallGetForUpdate:    `SELECT ` + callCols + ` FROM calls WHERE org_id = $1 AND id = $2 FOR UPDATE`,
		CallSetStatus: `UPDATE calls SET
				status = $1,
				audio_format = COALESCE($2, audio_format),
				audio_codec = COALESCE($3, audio_codec),
				duration_seconds = COALESCE($4, duration_seconds),
				sample_rate_hz = COALESCE($5, sample_rate_hz),
				channels = COALESCE($6, channels),
				bits_per_sample = COALESCE($7, bits_per_sample),
				bit_rate = COALESCE($8, bit_rate),
				silent = COALESCE($9, silent),
				rejection_reason = $10,
				imported_at = $11,
				updated_at = $12
			WHERE id = $13
			RETURNING ` + callCols,
		CallMerge: `UPDATE calls SET metadata = $1::jsonb, agent_email = $2, conversation_time = $3, updated_at = $4
			WHERE id = $5`,
		CallDelete:     `DELETE FROM calls WHERE org_id = $1 AND id = $2 RETURNING ` + callCols,
		CallListSelect: `SELECT ` + callCols + ` FROM calls`,

		IntakeInsert:    `INSERT INTO intakes (blob_key, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		IntakeDelete:    `DELETE FROM intakes WHERE blob_key = $1`,
		IntakeListStale: `SELECT blob_key, created_at FROM intakes WHERE created_at < $1 ORDER BY created_at, blob_key LIMIT $2`,

		UserInsert:     `INSERT INTO users (` + userCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		UserGetByEmail: `SELECT ` + userCols + ` FROM users WHERE email = $1`,
		UserGet:        `SELECT ` + userCols + ` FROM users WHERE org_id = $1 AND id = $2`,
		UserList:       `SELECT ` + userCols + ` FROM users WHERE org_id = $1 ORDER BY email`,

		APIKeyInsert: `INSERT INTO api_keys (id, org_id, name, prefix, hash, scopes, created_at)
			VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) ON CONFLICT DO NOTHING`,
		APIKeyGetByHash: `SELECT ` + apiKeyCols + ` FROM api_keys WHERE hash = $1 AND revoked_at IS NULL`,
		APIKeyList:      `SELECT ` + apiKeyCols + ` FROM api_keys WHERE org_id = $1 ORDER BY created_at, id`,
		APIKeyRevoke:    `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE org_id = $2 AND id = $3`,

		OAuthClientInsert: `INSERT INTO oauth_clients (id, org_id, name, client_id, secret_hash, scopes, created_at)
			VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) ON CONFLICT DO NOTHING`,
		OAuthClientGetByClientID: `SELECT ` + clientCols + ` FROM oauth_clients WHERE client_id = $1 AND revoked_at IS NULL`,
		OAuthClientList:          `SELECT ` + clientCols + ` FROM oauth_clients WHERE org_id = $1 ORDER BY created_at, id`,
		OAuthClientRevoke:        `UPDATE oauth_clients SET revoked_at = COALESCE(revoked_at, $1) WHERE org_id = $2 AND id = $3`,

		TokenInsert: `INSERT INTO tokens (hash, org_id, client_id, scopes, expires_at, created_at)
			VALUES ($1, $2, $3, $4::jsonb, $5, $6) ON CONFLICT DO NOTHING`,
		TokenGetByHash: `SELECT t.hash, t.org_id, t.client_id, t.scopes, t.expires_at
			FROM tokens t JOIN oauth_clients c ON c.id = t.client_id
			WHERE t.hash = $1 AND t.expires_at > $2 AND c.revoked_at IS NULL`,
	}
}
