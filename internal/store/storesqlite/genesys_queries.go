package storesqlite

import "github.com/callimport/callimport/internal/store/storesql"

const (
	genesysConnCols = `org_id, region, api_base_url, login_base_url, client_id, secret_sealed, created_at, updated_at`
	genesysRuleCols = `org_id, campaign_id, rule, interval_seconds, enabled, progress, created_at, updated_at`
	genesysRunCols  = `id, org_id, campaign_id, started_at, finished_at, report, error`
)

// newGenesysQueries returns the SQLite query set of the Genesys channel.
func newGenesysQueries() *storesql.GenesysQueries {
	return &storesql.GenesysQueries{
		ConnectionPut: `INSERT INTO genesys_connections (` + genesysConnCols + `) VALUES (?,?,?,?,?,?,?,?)
			ON CONFLICT (org_id) DO UPDATE SET region = excluded.region, api_base_url = excluded.api_base_url,
				login_base_url = excluded.login_base_url, client_id = excluded.client_id,
				secret_sealed = excluded.secret_sealed, updated_at = excluded.updated_at
			RETURNING ` + genesysConnCols,
		ConnectionGet:    `SELECT ` + genesysConnCols + ` FROM genesys_connections WHERE org_id = ?`,
		ConnectionDelete: `DELETE FROM genesys_connections WHERE org_id = ?`,
		RulePut: `INSERT INTO genesys_rules (org_id, campaign_id, rule, interval_seconds, enabled, created_at, updated_at)
			VALUES (?,?,?,?,?,?,?)
			ON CONFLICT (campaign_id) DO UPDATE SET rule = excluded.rule, interval_seconds = excluded.interval_seconds,
				enabled = excluded.enabled, updated_at = excluded.updated_at
			WHERE genesys_rules.org_id = excluded.org_id
			RETURNING ` + genesysRuleCols,
		RuleGet:     `SELECT ` + genesysRuleCols + ` FROM genesys_rules WHERE org_id = ? AND campaign_id = ?`,
		RuleList:    `SELECT ` + genesysRuleCols + ` FROM genesys_rules WHERE enabled ORDER BY org_id, campaign_id`,
		ProgressSet: `UPDATE genesys_rules SET progress = ?, updated_at = ? WHERE org_id = ? AND campaign_id = ?`,
		RunInsert:   `INSERT INTO genesys_runs (` + genesysRunCols + `) VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`,
		RunList: `SELECT ` + genesysRunCols + ` FROM genesys_runs WHERE org_id = ? AND campaign_id = ?
			ORDER BY started_at DESC, id DESC LIMIT ?`,
	}
}
