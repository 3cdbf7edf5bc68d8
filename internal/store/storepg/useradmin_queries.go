package storepg

import "github.com/callimport/callimport/internal/store/storesql"

// newUserAdminQueries returns the PostgreSQL query set of user management.
func newUserAdminQueries() *storesql.UserAdminQueries {
	return &storesql.UserAdminQueries{
		UserUpdate: `UPDATE users SET role = COALESCE($1::text, role), disabled = COALESCE($2::boolean, disabled),
			password_hash = COALESCE($3::text, password_hash) WHERE org_id = $4 AND id = $5 RETURNING ` + userCols,
	}
}
