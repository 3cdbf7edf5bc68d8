package storepg

import "github.com/callimport/callimport/internal/store/storesql"

const auditCols = `org_id, seq, at, actor_type, actor_id, action, target_type, target_id, outcome, source_ip,
	client, detail, prev_hash, hash`

// newAuditQueries returns the PostgreSQL query set of the audit trail. The
// upsert of HeadLock creates a missing head and takes its row lock, which
// serialises appends to one chain across processes until the commit.
func newAuditQueries() *storesql.AuditQueries {
	return &storesql.AuditQueries{
		HeadLock: `INSERT INTO audit_heads (org_id, seq, hash) VALUES ($1, 0, '')
			ON CONFLICT (org_id) DO UPDATE SET seq = audit_heads.seq RETURNING seq, hash`,
		HeadSet:    `UPDATE audit_heads SET seq = $2, hash = $3 WHERE org_id = $1`,
		Insert:     `INSERT INTO audit_events (` + auditCols + `) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`,
		ListSelect: `SELECT ` + auditCols + ` FROM audit_events`,
		Chain:      `SELECT ` + auditCols + ` FROM audit_events WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
		Follower:   `SELECT ` + auditCols + ` FROM audit_events WHERE org_id = $1 AND prev_hash = $2 ORDER BY seq LIMIT 1`,
		Heads:      `SELECT org_id, seq, hash FROM audit_heads ORDER BY org_id`,
	}
}
