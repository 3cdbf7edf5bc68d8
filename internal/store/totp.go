package store

import (
	"context"
	"time"
)

// UserTOTP is a web user's time-based one-time password (two-factor
// authentication) state. The secret is sealed by the web application; the
// store never sees it in clear.
type UserTOTP struct {
	UserID string
	OrgID  string
	// SecretSealed is the encrypted TOTP secret.
	SecretSealed string
	// Enrolled is false while the user has been shown the secret but has
	// not yet confirmed it with a code; such a secret protects nothing.
	Enrolled bool
	// LastStep is the 30-second step of the last code accepted (0: none):
	// a code is accepted at most once, and never for an earlier step.
	LastStep int64
	// RecoveryLeft is how many unused recovery codes the user has.
	RecoveryLeft int
	UpdatedAt    time.Time
}

// TwoFactorStatus is what every signed-in request checks.
type TwoFactorStatus struct {
	// OrgRequires is the organisation's "require two-factor for everyone".
	OrgRequires bool
	// Enrolled is whether the user has confirmed a TOTP secret.
	Enrolled bool
}

// TOTP stores web users' TOTP secrets, their single-use recovery codes
// (hashes only) and the organisation's requirement. The SQL backends
// implement it; the web application asserts it on its store.Store. Every
// method takes the organisation: a user of another organisation is
// ErrNotFound.
type TOTP interface {
	// TOTPGet returns ErrNotFound if the user never began enrolment.
	TOTPGet(ctx context.Context, orgID, userID string) (UserTOTP, error)
	// TOTPBegin stores a new, not yet enrolled secret, replacing an earlier
	// unconfirmed one; ErrAlreadyExists if the user is enrolled, ErrNotFound
	// if the organisation has no such user.
	TOTPBegin(ctx context.Context, orgID, userID, secretSealed string) error
	// TOTPConfirm marks the begun secret enrolled with step as its last
	// accepted step and replaces the recovery codes with hashes, in one
	// transaction; ErrNotFound if there is no unconfirmed secret.
	TOTPConfirm(ctx context.Context, orgID, userID string, step int64, recoveryHashes []string) error
	// TOTPUseStep records that a code of step was accepted, and reports
	// false (a replay) when the stored last step is already at or past
	// step, or the user is not enrolled. It is atomic: of two concurrent
	// uses of one code, one wins.
	TOTPUseStep(ctx context.Context, orgID, userID string, step int64) (bool, error)
	// TOTPDelete removes the secret and the recovery codes; a user without
	// them is not an error.
	TOTPDelete(ctx context.Context, orgID, userID string) error
	// RecoveryCodesReplace replaces every recovery code of an enrolled user;
	// ErrNotFound if the user is not enrolled.
	RecoveryCodesReplace(ctx context.Context, orgID, userID string, hashes []string) error
	// RecoveryCodeUse marks the unused code with this hash used and reports
	// whether there was one (atomically: a code works once).
	RecoveryCodeUse(ctx context.Context, orgID, userID, hash string) (bool, error)
	// TwoFactorStatus returns the organisation's requirement and whether the
	// user is enrolled, in one query.
	TwoFactorStatus(ctx context.Context, orgID, userID string) (TwoFactorStatus, error)
	// OrgRequireTwoFactorSet sets the organisation's requirement;
	// ErrNotFound if the organisation does not exist.
	OrgRequireTwoFactorSet(ctx context.Context, orgID string, require bool) error
}
