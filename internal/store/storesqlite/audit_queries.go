package storesqlite

import "github.com/callimport/callimport/internal/store/storesql"

const auditCols = `org_id, seq, at, actor_type, actor_id, action, target_type, target_id, outcome, source_ip,
	client, detail, prev_hash, hash`

// newAuditQueries returns the SQLite query set of the audit trail. The
// store's single writer connection serialises appends; the upsert of
// HeadLock creates a missing head.
func newAuditQueries() *storesql.AuditQueries {
	return &storesql.AuditQueries{
		HeadLock: `INSERT INTO audit_heads (org_id, seq, hash) VALUES (?, 0, '')
			ON CONFLICT (org_id) DO UPDATE SET seq = audit_heads.seq RETURNING seq, hash`,
		HeadSet:    `UPDATE audit_heads SET seq = ?2, hash = ?3 WHERE org_id = ?1`,
		Insert:     `INSERT INTO audit_events (` + auditCols + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		ListSelect: `SELECT ` + auditCols + ` FROM audit_events`,
		Chain:      `SELECT ` + auditCols + ` FROM audit_events WHERE org_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		Follower:   `SELECT ` + auditCols + ` FROM audit_events WHERE org_id = ? AND prev_hash = ? ORDER BY seq LIMIT 1`,
		Heads:      `SELECT org_id, seq, hash FROM audit_heads ORDER BY org_id`,
	}
}
