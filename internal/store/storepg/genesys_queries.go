package storepg

import "github.com/callimport/callimport/internal/store/storesql"

const (
	genesysConnCols = `org_id, region, api_base_url, login_base_url, client_id, secret_sealed, created_at, updated_at`
	genesysRuleCols = `org_id, campaign_id, rule, interval_seconds, enabled, progress, created_at, updated_at`
	genesysRunCols  = `id, org_id, campaign_id, started_at, finished_at, report, error`
)

// newGenesysQueries returns the PostgreSQL query set of the Genesys channel.
func newGenesysQueries() *storesql.GenesysQueries {
	return &storesql.GenesysQueries{
		ConnectionPut: `INSERT INTO genesys_connections (` + genesysConnCols + `) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)
			ON CONFLICT (org_id) DO UPDATE SET region = excluded.region, api_base_url = excluded.api_base_url,
				login_base_url = excluded.login_base_url, client_id = excluded.client_id,
				secret_sealed = excluded.secret_sealed, updated_at = excluded.updated_at
			RETURNING ` + genesysConnCols,
		ConnectionGet:    `SELECT ` + genesysConnCols + ` FROM genesys_connections WHERE org_id = $1`,
		ConnectionDelete: `DELETE FROM genesys_connections WHERE org_id = $1`,
		RulePut: `INSERT INTO genesys_rules (org_id, campaign_id, rule, interval_seconds, enabled, created_at, updated_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7)
			ON CONFLICT (campaign_id) DO UPDATE SET rule = excluded.rule, interval_seconds = excluded.interval_seconds,
				enabled = excluded.enabled, updated_at = excluded.updated_at
			WHERE genesys_rules.org_id = excluded.org_id
			RETURNING ` + genesysRuleCols,
		RuleGet:     `SELECT ` + genesysRuleCols + ` FROM genesys_rules WHERE org_id = $1 AND campaign_id = $2`,
		RuleList:    `SELECT ` + genesysRuleCols + ` FROM genesys_rules WHERE enabled ORDER BY org_id, campaign_id`,
		ProgressSet: `UPDATE genesys_rules SET progress = $1, updated_at = $2 WHERE org_id = $3 AND campaign_id = $4`,
		RunInsert:   `INSERT INTO genesys_runs (` + genesysRunCols + `) VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING`,
		RunList: `SELECT ` + genesysRunCols + ` FROM genesys_runs WHERE org_id = $1 AND campaign_id = $2
			ORDER BY started_at DESC, id DESC LIMIT $3`,
	}
}
