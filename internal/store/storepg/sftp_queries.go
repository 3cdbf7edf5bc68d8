package storepg

import "github.com/callimport/callimport/internal/store/storesql"

const sftpReceiptCols = `id, org_id, campaign_id, file_name, call_id, status, reason, created_at`

const sftpAccountCols = `id, org_id, username, password_hash, authorized_keys, campaign_ids, disabled, created_at`

// newSFTPQueries returns the PostgreSQL query set of the SFTP accounts.
func newSFTPQueries() *storesql.SFTPQueries {
	return &storesql.SFTPQueries{
		AccountInsert: `INSERT INTO sftp_accounts (` + sftpAccountCols + `)
			VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8) ON CONFLICT DO NOTHING`,
		AccountGetByUsername: `SELECT ` + sftpAccountCols + ` FROM sftp_accounts WHERE username = $1`,
		AccountGet:           `SELECT ` + sftpAccountCols + ` FROM sftp_accounts WHERE org_id = $1 AND id = $2`,
		AccountList:          `SELECT ` + sftpAccountCols + ` FROM sftp_accounts WHERE org_id = $1 ORDER BY username`,
		AccountUpdate: `UPDATE sftp_accounts SET
				password_hash = COALESCE($1::text, password_hash),
				authorized_keys = COALESCE($2::text, authorized_keys),
				campaign_ids = COALESCE($3::jsonb, campaign_ids),
				disabled = COALESCE($4::boolean, disabled)
			WHERE org_id = $5 AND id = $6
			RETURNING ` + sftpAccountCols,
		AccountDelete: `DELETE FROM sftp_accounts WHERE org_id = $1 AND id = $2`,
		ReceiptInsert: `INSERT INTO sftp_receipts (` + sftpReceiptCols + `)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
		ReceiptList: `SELECT ` + sftpReceiptCols + ` FROM sftp_receipts
			WHERE org_id = $1 AND campaign_id = $2 AND created_at >= $3 AND created_at < $4
			ORDER BY created_at, id LIMIT $5`,
	}
}
