package storesqlite

import "github.com/callimport/callimport/internal/store/storesql"

// newTOTPQueries returns the SQLite query set of two-factor authentication.
func newTOTPQueries() *storesql.TOTPQueries {
	return &storesql.TOTPQueries{
		Get: `SELECT t.user_id, t.org_id, t.secret_sealed, t.enrolled, t.last_step,
				(SELECT count(*) FROM user_recovery_codes r WHERE r.user_id = t.user_id AND r.used_at IS NULL),
				t.updated_at
			FROM user_totp t WHERE t.org_id = ? AND t.user_id = ?`,
		Begin: `INSERT INTO user_totp (user_id, org_id, secret_sealed, enrolled, last_step, updated_at)
			SELECT id, org_id, ?1, 0, 0, ?2 FROM users WHERE org_id = ?3 AND id = ?4
			ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, last_step = 0,
				updated_at = excluded.updated_at
			WHERE NOT user_totp.enrolled`,
		Confirm:        `UPDATE user_totp SET enrolled = 1, last_step = ?, updated_at = ? WHERE org_id = ? AND user_id = ? AND NOT enrolled`,
		UseStep:        `UPDATE user_totp SET last_step = ?, updated_at = ? WHERE org_id = ? AND user_id = ? AND enrolled AND last_step < ?`,
		Delete:         `DELETE FROM user_totp WHERE org_id = ? AND user_id = ?`,
		RecoveryDelete: `DELETE FROM user_recovery_codes WHERE org_id = ? AND user_id = ?`,
		RecoveryInsert: `INSERT INTO user_recovery_codes (user_id, org_id, code_hash, used_at) VALUES (?, ?, ?, NULL) ON CONFLICT DO NOTHING`,
		RecoveryUse: `UPDATE user_recovery_codes SET used_at = ?
			WHERE org_id = ? AND user_id = ? AND code_hash = ? AND used_at IS NULL`,
		Status: `SELECT coalesce((SELECT require_two_factor FROM org_security WHERE org_id = ?), 0),
			coalesce((SELECT enrolled FROM user_totp WHERE org_id = ? AND user_id = ?), 0)`,
		OrgSet: `INSERT INTO org_security (org_id, require_two_factor, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (org_id) DO UPDATE SET require_two_factor = excluded.require_two_factor, updated_at = excluded.updated_at`,
	}
}
