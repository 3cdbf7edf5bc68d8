package storesql

import (
	"context"
	"errors"
	"fmt"

	"github.com/callimport/callimport/internal/store"
)

// TOTPQueries are a dialect's query texts for two-factor authentication.
// Column list of a TOTP row: user_id, org_id, secret_sealed, enrolled,
// last_step, recovery_left (unused recovery codes, counted), updated_at.
type TOTPQueries struct {
	Get string // org_id, user_id → TOTP row
	// Begin: secret_sealed, updated_at, org_id, user_id; inserts from the
	// users row (none if the organisation has no such user) or replaces an
	// unenrolled secret (none if enrolled).
	Begin string
	// Confirm: last_step, updated_at, org_id, user_id; only when not enrolled.
	Confirm string
	// UseStep: last_step, updated_at, org_id, user_id, last_step; only when
	// enrolled and the stored last_step is lower.
	UseStep string
	Delete  string // org_id, user_id
	// RecoveryDelete: org_id, user_id.
	RecoveryDelete string
	// RecoveryInsert: user_id, org_id, code_hash; ON CONFLICT DO NOTHING.
	RecoveryInsert string
	// RecoveryUse: used_at, org_id, user_id, code_hash; only when unused.
	RecoveryUse string
	// Status: org_id, org_id, user_id → require_two_factor, enrolled (false
	// when absent).
	Status string
	// OrgSet: org_id, require_two_factor, updated_at; upsert.
	OrgSet string
}

var _ store.TOTP = (*Store)(nil)

func (q *queries) totpQ() (*TOTPQueries, error) {
	if q.d.TOTP == nil {
		return nil, fmt.Errorf("totp: %s dialect has no queries", q.d.Name)
	}
	return q.d.TOTP, nil
}

// TOTPGet returns ErrNotFound if the user never began enrolment.
func (q *queries) TOTPGet(ctx context.Context, orgID, userID string) (store.UserTOTP, error) {
	tq, err := q.totpQ()
	if err != nil {
		return store.UserTOTP{}, err
	}
	var u store.UserTOTP
	err = q.ex.QueryRowContext(ctx, tq.Get, orgID, userID).Scan(&u.UserID, &u.OrgID, &u.SecretSealed, &u.Enrolled,
		&u.LastStep, &u.RecoveryLeft, timeCol{&u.UpdatedAt})
	if err != nil {
		return store.UserTOTP{}, q.fail(err, "get totp of user %s", userID)
	}
	return u, nil
}

// TOTPBegin stores an unconfirmed secret; ErrAlreadyExists if enrolled.
func (q *queries) TOTPBegin(ctx context.Context, orgID, userID, secretSealed string) error {
	tq, err := q.totpQ()
	if err != nil {
		return err
	}
	return q.atomic(ctx, func(q *queries) error {
		res, err := q.ex.ExecContext(ctx, tq.Begin, secretSealed, q.time(now()), orgID, userID)
		if err != nil {
			return q.fail(err, "begin totp of user %s", userID)
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		cur, err := q.TOTPGet(ctx, orgID, userID)
		if err != nil {
			return fmt.Errorf("begin totp of user %s: %w", userID, store.ErrNotFound)
		}
		if cur.Enrolled {
			return fmt.Errorf("begin totp of user %s: %w", userID, store.ErrAlreadyExists)
		}
		return fmt.Errorf("begin totp of user %s: nothing written", userID)
	})
}

// TOTPConfirm enrols the begun secret and replaces the recovery codes.
func (q *queries) TOTPConfirm(ctx context.Context, orgID, userID string, step int64, recoveryHashes []string) error {
	tq, err := q.totpQ()
	if err != nil {
		return err
	}
	return q.atomic(ctx, func(q *queries) error {
		if err := q.update(ctx, tq.Confirm, "confirm totp of user "+userID, step, q.time(now()), orgID, userID); err != nil {
			return err
		}
		return q.replaceRecovery(ctx, tq, orgID, userID, recoveryHashes)
	})
}

// TOTPUseStep records an accepted step; false for a replay.
func (q *queries) TOTPUseStep(ctx context.Context, orgID, userID string, step int64) (bool, error) {
	tq, err := q.totpQ()
	if err != nil {
		return false, err
	}
	err = q.update(ctx, tq.UseStep, "use totp step of user "+userID, step, q.time(now()), orgID, userID, step)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// TOTPDelete removes the secret and the recovery codes.
func (q *queries) TOTPDelete(ctx context.Context, orgID, userID string) error {
	tq, err := q.totpQ()
	if err != nil {
		return err
	}
	return q.atomic(ctx, func(q *queries) error {
		if _, err := q.ex.ExecContext(ctx, tq.RecoveryDelete, orgID, userID); err != nil {
			return q.fail(err, "delete recovery codes of user %s", userID)
		}
		if _, err := q.ex.ExecContext(ctx, tq.Delete, orgID, userID); err != nil {
			return q.fail(err, "delete totp of user %s", userID)
		}
		return nil
	})
}

// RecoveryCodesReplace replaces the codes of an enrolled user.
func (q *queries) RecoveryCodesReplace(ctx context.Context, orgID, userID string, hashes []string) error {
	tq, err := q.totpQ()
	if err != nil {
		return err
	}
	return q.atomic(ctx, func(q *queries) error {
		cur, err := q.TOTPGet(ctx, orgID, userID)
		if err != nil {
			return err
		}
		if !cur.Enrolled {
			return fmt.Errorf("replace recovery codes of user %s: not enrolled: %w", userID, store.ErrNotFound)
		}
		return q.replaceRecovery(ctx, tq, orgID, userID, hashes)
	})
}

func (q *queries) replaceRecovery(ctx context.Context, tq *TOTPQueries, orgID, userID string, hashes []string) error {
	if _, err := q.ex.ExecContext(ctx, tq.RecoveryDelete, orgID, userID); err != nil {
		return q.fail(err, "delete recovery codes of user %s", userID)
	}
	for _, h := range hashes {
		if _, err := q.ex.ExecContext(ctx, tq.RecoveryInsert, userID, orgID, h); err != nil {
			return q.fail(err, "add recovery code of user %s", userID)
		}
	}
	return nil
}

// RecoveryCodeUse marks an unused code used; false if there is none.
func (q *queries) RecoveryCodeUse(ctx context.Context, orgID, userID, hash string) (bool, error) {
	tq, err := q.totpQ()
	if err != nil {
		return false, err
	}
	err = q.update(ctx, tq.RecoveryUse, "use recovery code of user "+userID, q.time(now()), orgID, userID, hash)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// TwoFactorStatus returns the organisation's requirement and the user's enrolment.
func (q *queries) TwoFactorStatus(ctx context.Context, orgID, userID string) (store.TwoFactorStatus, error) {
	tq, err := q.totpQ()
	if err != nil {
		return store.TwoFactorStatus{}, err
	}
	var s store.TwoFactorStatus
	if err := q.ex.QueryRowContext(ctx, tq.Status, orgID, orgID, userID).Scan(&s.OrgRequires, &s.Enrolled); err != nil {
		return store.TwoFactorStatus{}, q.fail(err, "two-factor status of user %s", userID)
	}
	return s, nil
}

// OrgRequireTwoFactorSet sets the organisation's requirement.
func (q *queries) OrgRequireTwoFactorSet(ctx context.Context, orgID string, require bool) error {
	tq, err := q.totpQ()
	if err != nil {
		return err
	}
	if _, err := q.ex.ExecContext(ctx, tq.OrgSet, orgID, require, q.time(now())); err != nil {
		return q.fail(err, "set two-factor requirement of org %s", orgID)
	}
	return nil
}
