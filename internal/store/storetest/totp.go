package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/callimport/callimport/internal/store"
)

func totpTests() []test {
	return []test{
		{"TOTPEnrolment", testTOTPEnrolment},
		{"TOTPReplayAndRecovery", testTOTPReplayAndRecovery},
		{"TOTPOrgRequirement", testTOTPOrgRequirement},
	}
}

func totpStore(t *testing.T, s store.Store) store.TOTP {
	t.Helper()
	p, ok := s.(store.TOTP)
	if !ok {
		t.Fatalf("%T does not implement store.TOTP", s)
	}
	return p
}

func newUser(t *testing.T, s store.Store, orgID string) store.User {
	t.Helper()
	u, err := s.UserCreate(t.Context(), store.UserCreateParams{OrgID: orgID, Email: randHex(6) + "@example.com", Role: store.RoleMember})
	wantNoErr(t, "UserCreate", err)
	return u
}

func testTOTPEnrolment(t *testing.T, s store.Store) {
	f, other := setup(t, s), setup(t, s)
	ts := totpStore(t, s)
	ctx := t.Context()
	u := newUser(t, s, f.org.ID)
	if _, err := ts.TOTPGet(ctx, f.org.ID, u.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TOTPGet before enrolment: %v", err)
	}
	wantErr(t, "TOTPBegin in another org", ts.TOTPBegin(ctx, other.org.ID, u.ID, "v1:x"), store.ErrNotFound)
	wantErr(t, "TOTPBegin of an unknown user", ts.TOTPBegin(ctx, f.org.ID, "nobody", "v1:x"), store.ErrNotFound)
	wantNoErr(t, "TOTPBegin", ts.TOTPBegin(ctx, f.org.ID, u.ID, "v1:first"))
	wantNoErr(t, "TOTPBegin again", ts.TOTPBegin(ctx, f.org.ID, u.ID, "v1:second"))
	got, err := ts.TOTPGet(ctx, f.org.ID, u.ID)
	if err != nil || got.SecretSealed != "v1:second" || got.Enrolled || got.LastStep != 0 || got.OrgID != f.org.ID || got.UpdatedAt.IsZero() {
		t.Fatalf("TOTPGet = %+v, %v", got, err)
	}
	if st, err := ts.TwoFactorStatus(ctx, f.org.ID, u.ID); err != nil || st.Enrolled || st.OrgRequires {
		t.Fatalf("TwoFactorStatus before confirming = %+v, %v", st, err)
	}
	wantErr(t, "RecoveryCodesReplace before confirming", ts.RecoveryCodesReplace(ctx, f.org.ID, u.ID, []string{"h"}), store.ErrNotFound)
	wantErr(t, "TOTPConfirm in another org", ts.TOTPConfirm(ctx, other.org.ID, u.ID, 100, nil), store.ErrNotFound)
	wantNoErr(t, "TOTPConfirm", ts.TOTPConfirm(ctx, f.org.ID, u.ID, 100, []string{"h1", "h2", "h3"}))
	wantErr(t, "TOTPConfirm again", ts.TOTPConfirm(ctx, f.org.ID, u.ID, 101, nil), store.ErrNotFound)
	wantErr(t, "TOTPBegin when enrolled", ts.TOTPBegin(ctx, f.org.ID, u.ID, "v1:third"), store.ErrAlreadyExists)
	got, err = ts.TOTPGet(ctx, f.org.ID, u.ID)
	if err != nil || !got.Enrolled || got.LastStep != 100 || got.RecoveryLeft != 3 || got.SecretSealed != "v1:second" {
		t.Fatalf("TOTPGet after confirming = %+v, %v", got, err)
	}
	if _, err := ts.TOTPGet(ctx, other.org.ID, u.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TOTPGet from another org: %v", err)
	}
	if st, err := ts.TwoFactorStatus(ctx, f.org.ID, u.ID); err != nil || !st.Enrolled {
		t.Fatalf("TwoFactorStatus after confirming = %+v, %v", st, err)
	}
	wantNoErr(t, "TOTPDelete from another org", ts.TOTPDelete(ctx, other.org.ID, u.ID))
	if got, err := ts.TOTPGet(ctx, f.org.ID, u.ID); err != nil || !got.Enrolled {
		t.Fatalf("another org deleted the enrolment: %+v, %v", got, err)
	}
	for range 2 {
		wantNoErr(t, "TOTPDelete", ts.TOTPDelete(ctx, f.org.ID, u.ID))
	}
	if _, err := ts.TOTPGet(ctx, f.org.ID, u.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TOTPGet after delete: %v", err)
	}
	if ok, err := ts.RecoveryCodeUse(ctx, f.org.ID, u.ID, "h1"); err != nil || ok {
		t.Fatalf("a recovery code outlived TOTPDelete: %v, %v", ok, err)
	}
	// Enrolling again starts afresh.
	wantNoErr(t, "TOTPBegin after delete", ts.TOTPBegin(ctx, f.org.ID, u.ID, "v1:new"))
	if got, err := ts.TOTPGet(ctx, f.org.ID, u.ID); err != nil || got.Enrolled || got.RecoveryLeft != 0 {
		t.Fatalf("TOTPGet after a new begin = %+v, %v", got, err)
	}
}

func testTOTPReplayAndRecovery(t *testing.T, s store.Store) {
	f, other := setup(t, s), setup(t, s)
	ts := totpStore(t, s)
	ctx := t.Context()
	u := newUser(t, s, f.org.ID)
	if ok, err := ts.TOTPUseStep(ctx, f.org.ID, u.ID, 5); err != nil || ok {
		t.Fatalf("TOTPUseStep without enrolment = %v, %v", ok, err)
	}
	wantNoErr(t, "TOTPBegin", ts.TOTPBegin(ctx, f.org.ID, u.ID, "v1:s"))
	wantNoErr(t, "TOTPConfirm", ts.TOTPConfirm(ctx, f.org.ID, u.ID, 10, []string{"a", "b"}))
	for _, tc := range []struct {
		step int64
		want bool
	}{{10, false}, {9, false}, {11, true}, {11, false}, {13, true}, {12, false}} {
		if ok, err := ts.TOTPUseStep(ctx, f.org.ID, u.ID, tc.step); err != nil || ok != tc.want {
			t.Errorf("TOTPUseStep(%d) = %v, %v; want %v", tc.step, ok, err, tc.want)
		}
	}
	if ok, err := ts.TOTPUseStep(ctx, other.org.ID, u.ID, 20); err != nil || ok {
		t.Errorf("TOTPUseStep from another org = %v, %v", ok, err)
	}
	// Of concurrent uses of one step, exactly one wins.
	var wg sync.WaitGroup
	wins := make(chan bool, 4)
	for range 4 {
		wg.Go(func() {
			ok, err := ts.TOTPUseStep(ctx, f.org.ID, u.ID, 30)
			if err != nil {
				t.Errorf("concurrent TOTPUseStep: %v", err)
			}
			wins <- ok
		})
	}
	wg.Wait()
	close(wins)
	n := 0
	for ok := range wins {
		if ok {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d concurrent uses of one step won, want 1", n)
	}
	if ok, err := ts.RecoveryCodeUse(ctx, other.org.ID, u.ID, "a"); err != nil || ok {
		t.Errorf("RecoveryCodeUse from another org = %v, %v", ok, err)
	}
	if ok, err := ts.RecoveryCodeUse(ctx, f.org.ID, u.ID, "a"); err != nil || !ok {
		t.Fatalf("RecoveryCodeUse = %v, %v", ok, err)
	}
	if ok, err := ts.RecoveryCodeUse(ctx, f.org.ID, u.ID, "a"); err != nil || ok {
		t.Fatalf("RecoveryCodeUse twice = %v, %v", ok, err)
	}
	if ok, err := ts.RecoveryCodeUse(ctx, f.org.ID, u.ID, "zz"); err != nil || ok {
		t.Fatalf("RecoveryCodeUse of an unknown code = %v, %v", ok, err)
	}
	if got, err := ts.TOTPGet(ctx, f.org.ID, u.ID); err != nil || got.RecoveryLeft != 1 {
		t.Fatalf("RecoveryLeft = %+v, %v; want 1", got, err)
	}
	wantErr(t, "RecoveryCodesReplace from another org", ts.RecoveryCodesReplace(ctx, other.org.ID, u.ID, []string{"x"}), store.ErrNotFound)
	wantNoErr(t, "RecoveryCodesReplace", ts.RecoveryCodesReplace(ctx, f.org.ID, u.ID, []string{"a", "c", "d"}))
	if got, err := ts.TOTPGet(ctx, f.org.ID, u.ID); err != nil || got.RecoveryLeft != 3 {
		t.Fatalf("RecoveryLeft after replace = %+v, %v; want 3", got, err)
	}
	if ok, err := ts.RecoveryCodeUse(ctx, f.org.ID, u.ID, "b"); err != nil || ok {
		t.Fatalf("a replaced code still works: %v, %v", ok, err)
	}
	if ok, err := ts.RecoveryCodeUse(ctx, f.org.ID, u.ID, "a"); err != nil || !ok {
		t.Fatalf("a code given again does not work: %v, %v", ok, err)
	}
}

func testTOTPOrgRequirement(t *testing.T, s store.Store) {
	f, other := setup(t, s), setup(t, s)
	ts := totpStore(t, s)
	ctx := t.Context()
	u := newUser(t, s, f.org.ID)
	if st, err := ts.TwoFactorStatus(ctx, f.org.ID, u.ID); err != nil || st.OrgRequires || st.Enrolled {
		t.Fatalf("TwoFactorStatus of a new org = %+v, %v", st, err)
	}
	wantNoErr(t, "OrgRequireTwoFactorSet", ts.OrgRequireTwoFactorSet(ctx, f.org.ID, true))
	if st, err := ts.TwoFactorStatus(ctx, f.org.ID, u.ID); err != nil || !st.OrgRequires {
		t.Fatalf("TwoFactorStatus when required = %+v, %v", st, err)
	}
	if st, err := ts.TwoFactorStatus(ctx, other.org.ID, "x"); err != nil || st.OrgRequires {
		t.Fatalf("the requirement leaked to another org: %+v, %v", st, err)
	}
	wantNoErr(t, "OrgRequireTwoFactorSet off", ts.OrgRequireTwoFactorSet(ctx, f.org.ID, false))
	if st, err := ts.TwoFactorStatus(ctx, f.org.ID, u.ID); err != nil || st.OrgRequires {
		t.Fatalf("TwoFactorStatus after turning off = %+v, %v", st, err)
	}
	wantErr(t, "OrgRequireTwoFactorSet of an unknown org", ts.OrgRequireTwoFactorSet(ctx, "no-such-org", true), store.ErrNotFound)
}
