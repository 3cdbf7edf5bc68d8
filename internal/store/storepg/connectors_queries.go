package storepg

import "github.com/callimport/callimport/internal/store/storesql"

const scheduleCols = `kind, item_id, org_id, next_run_at, lease_owner, lease_until, last_run_at, last_import_at, created_at`

// newConnectorsQueries returns the PostgreSQL query set of store.Connectors.
func newConnectorsQueries() *storesql.ConnectorsQueries {
	return &storesql.ConnectorsQueries{
		PullSourceListByOrg: `SELECT ` + pullSourceCols + ` FROM sftp_pull_sources
			WHERE org_id = $1 AND ($2 = '' OR campaign_id = $2) ORDER BY id`,
		GenesysRuleListByOrg: `SELECT ` + genesysRuleCols + ` FROM genesys_rules WHERE org_id = $1 ORDER BY campaign_id`,
		GenesysRuleDelete:    `DELETE FROM genesys_rules WHERE org_id = $1 AND campaign_id = $2`,
		ScheduleEnsure: `INSERT INTO connector_schedules (kind, item_id, org_id, next_run_at, lease_until, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		ScheduleClaim: `UPDATE connector_schedules SET lease_owner = $1, lease_until = $2, next_run_at = $2
			WHERE kind = $3 AND item_id = $4 AND next_run_at <= $5 AND (lease_owner = '' OR lease_until < $5)
			RETURNING ` + scheduleCols,
		ScheduleRenew: `UPDATE connector_schedules SET next_run_at = CASE WHEN next_run_at >= lease_until THEN $1 ELSE next_run_at END,
				lease_until = $1 WHERE kind = $2 AND item_id = $3 AND lease_owner = $4`,
		ScheduleRelease: `UPDATE connector_schedules SET lease_owner = '',
				next_run_at = CASE WHEN next_run_at < lease_until THEN next_run_at ELSE $1 END, last_run_at = $2,
				last_import_at = COALESCE($3, last_import_at)
			WHERE kind = $4 AND item_id = $5 AND lease_owner = $6`,
		ScheduleRunNow: `UPDATE connector_schedules SET next_run_at = $1 WHERE kind = $2 AND item_id = $3`,
		ScheduleGet:    `SELECT ` + scheduleCols + ` FROM connector_schedules WHERE org_id = $1 AND kind = $2 AND item_id = $3`,
		ScheduleList:   `SELECT ` + scheduleCols + ` FROM connector_schedules WHERE org_id = $1 AND kind = $2 ORDER BY item_id`,
		ScheduleDelete: `DELETE FROM connector_schedules WHERE kind = $1 AND item_id = $2`,
		SecretList: `SELECT 'sftp_pull_sources', 'password_sealed', id, org_id, password_sealed FROM sftp_pull_sources
				WHERE password_sealed <> ''
			UNION ALL SELECT 'sftp_pull_sources', 'private_key_sealed', id, org_id, private_key_sealed FROM sftp_pull_sources
				WHERE private_key_sealed <> ''
			UNION ALL SELECT 'genesys_connections', 'secret_sealed', org_id, org_id, secret_sealed FROM genesys_connections
				WHERE secret_sealed <> ''`,
		SecretSet: map[string]string{
			"sftp_pull_sources.password_sealed": `UPDATE sftp_pull_sources SET password_sealed = $1
				WHERE id = $2 AND password_sealed = $3`,
			"sftp_pull_sources.private_key_sealed": `UPDATE sftp_pull_sources SET private_key_sealed = $1
				WHERE id = $2 AND private_key_sealed = $3`,
			"genesys_connections.secret_sealed": `UPDATE genesys_connections SET secret_sealed = $1
				WHERE org_id = $2 AND secret_sealed = $3`,
		},
	}
}
