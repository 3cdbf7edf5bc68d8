package storesqlite

import "github.com/callimport/callimport/internal/store/storesql"

const erasureCols = `id, org_id, campaign_id, kind, metadata_key, criterion_sha256, criterion,
	status, receipt, error, requested_by, created_at, finished_at`

// newPrivacyQueries returns the SQLite query set of retention and erasure.
// Metadata is a JSON array of {"key","value"} objects, searched with
// json_each (a scan of the organisation's calls: erasure is rare).
func newPrivacyQueries() *storesql.PrivacyQueries {
	return &storesql.PrivacyQueries{
		CampaignListRetained: `SELECT ` + campaignCols + ` FROM campaigns WHERE retention_days > 0 ORDER BY org_id, id`,
		CallListCreatedBefore: `SELECT ` + callCols + ` FROM calls
			WHERE org_id = ? AND campaign_id = ? AND id < ? AND created_at < ? ORDER BY id LIMIT ?`,
		CallListByAgentEmail: `SELECT ` + callCols + ` FROM calls
			WHERE org_id = ? AND (? = '' OR campaign_id = ?) AND lower(agent_email) = lower(?)
			ORDER BY id LIMIT ?`,
		CallListByMetadata: `SELECT ` + callCols + ` FROM calls
			WHERE org_id = ? AND id > ? AND (? = '' OR campaign_id = ?) AND EXISTS (
				SELECT 1 FROM json_each(calls.metadata) AS m
				WHERE json_extract(m.value, '$.key') = ? AND json_extract(m.value, '$.value') = ?)
			ORDER BY id LIMIT ?`,
		ReceiptDeleteByCall: `DELETE FROM sftp_receipts WHERE org_id = ? AND call_id = ?`,
		ErasureInsert: `INSERT INTO erasures (` + erasureCols + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
			ON CONFLICT DO NOTHING`,
		ErasureGet:     `SELECT ` + erasureCols + ` FROM erasures WHERE org_id = ? AND id = ?`,
		ErasureGetByID: `SELECT ` + erasureCols + ` FROM erasures WHERE id = ?`,
		ErasureList: `SELECT ` + erasureCols + ` FROM erasures WHERE org_id = ?
			ORDER BY created_at DESC, id DESC LIMIT ?`,
		ErasureStart:       `UPDATE erasures SET status = 'running' WHERE id = ? AND status IN ('pending', 'running')`,
		ErasureSaveReceipt: `UPDATE erasures SET receipt = ? WHERE id = ?`,
		ErasureFinish: `UPDATE erasures SET status = ?, receipt = ?, error = ?, finished_at = ?, criterion = ''
			WHERE id = ?`,
	}
}
