package store

import "context"

// UserUpdateParams changes the non-nil fields of user ID in OrgID.
type UserUpdateParams struct {
	OrgID, ID    string
	Role         *Role
	Disabled     *bool
	PasswordHash *string
}

// UserAdmin lets an organisation's administrators manage its users. The SQL
// backends implement it; the web application asserts it on its store.Store.
type UserAdmin interface {
	// UserUpdate changes the fields that are non-nil and returns the user;
	// ErrNotFound if the organisation has no such user.
	UserUpdate(ctx context.Context, p UserUpdateParams) (User, error)
}
