package storepg

import "github.com/callimport/callimport/internal/store/storesql"

const erasureCols = `id, org_id, campaign_id, kind, metadata_key, criterion_sha256, criterion,
	status, receipt, error, requested_by, created_at, finished_at`

// newPrivacyQueries returns the PostgreSQL query set of retention and
// erasure. Metadata is a jsonb array of {"key","value"} objects, searched by
// containment (a scan of the organisation's calls: erasure is rare).
func newPrivacyQueries() *storesql.PrivacyQueries {
	return &storesql.PrivacyQueries{
		CampaignListRetained: `SELECT ` + campaignCols + ` FROM campaigns WHERE retention_days > 0 ORDER BY org_id, id`,
		CallListCreatedBefore: `SELECT ` + callCols + ` FROM calls
			WHERE org_id = $1 AND campaign_id = $2 AND id < $3 AND created_at < $4 ORDER BY id LIMIT $5`,
		CallListByAgentEmail: `SELECT ` + callCols + ` FROM calls
			WHERE org_id = $1 AND ($2::text = '' OR campaign_id = $3::text) AND lower(agent_email) = lower($4::text)
			ORDER BY id LIMIT $5`,
		CallListByMetadata: `SELECT ` + callCols + ` FROM calls
			WHERE org_id = $1 AND id > $2 AND ($3::text = '' OR campaign_id = $4::text)
				AND metadata @> jsonb_build_array(jsonb_build_object('key', $5::text, 'value', $6::text))
			ORDER BY id LIMIT $7`,
		ReceiptDeleteByCall: `DELETE FROM sftp_receipts WHERE org_id = $1 AND call_id = $2`,
		ErasureInsert: `INSERT INTO erasures (` + erasureCols + `)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING`,
		ErasureGet:     `SELECT ` + erasureCols + ` FROM erasures WHERE org_id = $1 AND id = $2`,
		ErasureGetByID: `SELECT ` + erasureCols + ` FROM erasures WHERE id = $1`,
		ErasureList: `SELECT ` + erasureCols + ` FROM erasures WHERE org_id = $1
			ORDER BY created_at DESC, id DESC LIMIT $2`,
		ErasureStart:       `UPDATE erasures SET status = 'running' WHERE id = $1 AND status IN ('pending', 'running')`,
		ErasureSaveReceipt: `UPDATE erasures SET receipt = $1 WHERE id = $2`,
		ErasureFinish: `UPDATE erasures SET status = $1, receipt = $2, error = $3, finished_at = $4, criterion = ''
			WHERE id = $5`,
	}
}
