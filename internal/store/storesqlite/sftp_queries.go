package storesqlite

import "github.com/callimport/callimport/internal/store/storesql"

const sftpReceiptCols = `id, org_id, campaign_id, file_name, call_id, status, reason, created_at`

const sftpAccountCols = `id, org_id, username, password_hash, authorized_keys, campaign_ids, disabled, created_at`

// newSFTPQueries returns the SQLite query set of the SFTP accounts.
func newSFTPQueries() *storesql.SFTPQueries {
	return &storesql.SFTPQueries{
		AccountInsert: `INSERT INTO sftp_accounts (` + sftpAccountCols + `)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		AccountGetByUsername: `SELECT ` + sftpAccountCols + ` FROM sftp_accounts WHERE username = ?`,
		AccountGet:           `SELECT ` + sftpAccountCols + ` FROM sftp_accounts WHERE org_id = ? AND id = ?`,
		AccountList:          `SELECT ` + sftpAccountCols + ` FROM sftp_accounts WHERE org_id = ? ORDER BY username`,
		AccountUpdate: `UPDATE sftp_accounts SET
				password_hash = COALESCE(?, password_hash),
				authorized_keys = COALESCE(?, authorized_keys),
				campaign_ids = COALESCE(?, campaign_ids),
				disabled = COALESCE(?, disabled)
			WHERE org_id = ? AND id = ?
			RETURNING ` + sftpAccountCols,
		AccountDelete: `DELETE FROM sftp_accounts WHERE org_id = ? AND id = ?`,
		ReceiptInsert: `INSERT INTO sftp_receipts (` + sftpReceiptCols + `)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		ReceiptList: `SELECT ` + sftpReceiptCols + ` FROM sftp_receipts
			WHERE org_id = ? AND campaign_id = ? AND created_at >= ? AND created_at < ?
			ORDER BY created_at, id LIMIT ?`,
	}
}
