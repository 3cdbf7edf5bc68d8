package storesql

import (
	"context"
	"fmt"

	"github.com/callimport/callimport/internal/store"
)

// UserAdminQueries are a dialect's query texts for managing users.
type UserAdminQueries struct {
	// UserUpdate: role, disabled, password_hash, org_id, id; a NULL keeps
	// the column → user (RETURNING).
	UserUpdate string
}

var _ store.UserAdmin = (*Store)(nil)

// UserUpdate changes the non-nil fields of the user; ErrNotFound if the
// organisation has no such user.
func (q *queries) UserUpdate(ctx context.Context, p store.UserUpdateParams) (store.User, error) {
	uq := q.d.UserAdmin
	if uq == nil {
		return store.User{}, fmt.Errorf("update user: %s dialect has no queries", q.d.Name)
	}
	var role, hash any
	var disabled any
	if p.Role != nil {
		role = string(*p.Role)
	}
	if p.Disabled != nil {
		disabled = *p.Disabled
	}
	if p.PasswordHash != nil {
		hash = *p.PasswordHash
	}
	u, err := scanUser(q.ex.QueryRowContext(ctx, uq.UserUpdate, role, disabled, hash, p.OrgID, p.ID))
	if err != nil {
		return store.User{}, q.fail(err, "update user %s", p.ID)
	}
	return u, nil
}
