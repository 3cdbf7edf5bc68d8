package storepg

import "github.com/callimport/callimport/internal/store/storesql"

// newTOTPQueries returns the PostgreSQL query set of two-factor authentication.
func newTOTPQueries() *storesql.TOTPQueries {
	return &storesql.TOTPQueries{
		Get: `SELECT t.user_id, t.org_id, t.secret_sealed, t.enrolled, t.last_step,
				(SELECT count(*) FROM user_recovery_codes r WHERE r.user_id = t.user_id AND r.used_at IS NULL),
				t.updated_at
			FROM user_totp t WHERE t.org_id = $1 AND t.user_id = $2`,
		Begin: `INSERT INTO user_totp (user_id, org_id, secret_sealed, enrolled, last_step, updated_at)
			SELECT id, org_id, $1::text, false, 0, $2::timestamptz FROM users WHERE org_id = $3 AND id = $4
			ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, last_step = 0,
				updated_at = excluded.updated_at
			WHERE NOT user_totp.enrolled`,
		Confirm:        `UPDATE user_totp SET enrolled = true, last_step = $1, updated_at = $2 WHERE org_id = $3 AND user_id = $4 AND NOT enrolled`,
		UseStep:        `UPDATE user_totp SET last_step = $1, updated_at = $2 WHERE org_id = $3 AND user_id = $4 AND enrolled AND last_step < $5`,
		Delete:         `DELETE FROM user_totp WHERE org_id = $1 AND user_id = $2`,
		RecoveryDelete: `DELETE FROM user_recovery_codes WHERE org_id = $1 AND user_id = $2`,
		RecoveryInsert: `INSERT INTO user_recovery_codes (user_id, org_id, code_hash, used_at) VALUES ($1, $2, $3, NULL) ON CONFLICT DO NOTHING`,
		RecoveryUse: `UPDATE user_recovery_codes SET used_at = $1
			WHERE org_id = $2 AND user_id = $3 AND code_hash = $4 AND used_at IS NULL`,
		Status: `SELECT coalesce((SELECT require_two_factor FROM org_security WHERE org_id = $1), false),
			coalesce((SELECT enrolled FROM user_totp WHERE org_id = $2 AND user_id = $3), false)`,
		OrgSet: `INSERT INTO org_security (org_id, require_two_factor, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (org_id) DO UPDATE SET require_two_factor = excluded.require_two_factor, updated_at = excluded.updated_at`,
	}
}
