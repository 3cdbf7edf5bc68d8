package storepg

import "github.com/callimport/callimport/internal/store/storesql"

const pullSourceCols = `id, org_id, campaign_id, host, port, username, password_sealed, private_key_sealed,
	host_key_fingerprint, folder, pattern, recursive, interval_seconds, min_age_seconds, after_action, enabled,
	created_at, updated_at`

const pullRunCols = `id, source_id, started_at, finished_at, seen, imported, duplicates, rejected, errors`

// newSFTPPullQueries returns the PostgreSQL query set of the pull sources.
func newSFTPPullQueries() *storesql.SFTPPullQueries {
	return &storesql.SFTPPullQueries{
		SourcePut: `INSERT INTO sftp_pull_sources (` + pullSourceCols + `)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)
			ON CONFLICT (id) DO UPDATE SET campaign_id = excluded.campaign_id, host = excluded.host, port = excluded.port,
				username = excluded.username, password_sealed = excluded.password_sealed,
				private_key_sealed = excluded.private_key_sealed, host_key_fingerprint = excluded.host_key_fingerprint,
				folder = excluded.folder, pattern = excluded.pattern, recursive = excluded.recursive,
				interval_seconds = excluded.interval_seconds, min_age_seconds = excluded.min_age_seconds,
				after_action = excluded.after_action, enabled = excluded.enabled, updated_at = excluded.updated_at
			WHERE sftp_pull_sources.org_id = excluded.org_id
			RETURNING ` + pullSourceCols,
		SourceGet:    `SELECT ` + pullSourceCols + ` FROM sftp_pull_sources WHERE org_id = $1 AND id = $2`,
		SourceList:   `SELECT ` + pullSourceCols + ` FROM sftp_pull_sources WHERE enabled ORDER BY org_id, id`,
		SourceDelete: `DELETE FROM sftp_pull_sources WHERE org_id = $1 AND id = $2`,
		LedgerGet: `SELECT source_id, path, size, mtime_unix, sha256, call_id FROM sftp_pull_ledger
			WHERE source_id = $1 AND path = $2 AND size = $3 AND mtime_unix = $4`,
		LedgerInsert: `INSERT INTO sftp_pull_ledger (source_id, path, size, mtime_unix, sha256, call_id, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING`,
		RunInsert: `INSERT INTO sftp_pull_runs (` + pullRunCols + `) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT DO NOTHING`,
		RunList: `SELECT ` + pullRunCols + ` FROM sftp_pull_runs WHERE source_id = $1
			ORDER BY started_at DESC, id DESC LIMIT $2`,
	}
}
