package webui

import (
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/callimport/callimport/internal/auth/totp"
	"github.com/callimport/callimport/internal/store"
)

// accountData is the account security page.
type accountData struct {
	Enrolled     bool
	OrgRequires  bool
	IsAdmin      bool
	RecoveryLeft int
	// QR, Secret and URI enrol an app (when not enrolled).
	QR     template.HTML
	Secret string
	URI    template.URL
	// Codes are new recovery codes, shown once.
	Codes  []string
	Error  string
	Notice string
}

// accountSecurity shows the user's two-factor state. A user without TOTP
// is shown a secret to enrol (the same one until it is confirmed).
func (h *handler) accountSecurity(w http.ResponseWriter, r *http.Request, v viewer) {
	h.renderAccount(w, r, v, http.StatusOK, accountData{})
}

// renderAccount fills d with the user's state and renders the page.
func (h *handler) renderAccount(w http.ResponseWriter, r *http.Request, v viewer, status int, d accountData) {
	ts, ok := h.tfa()
	if !ok {
		h.fail(w, r, v, errors.New("the store has no two-factor support"))
		return
	}
	ctx := r.Context()
	st, err := ts.TwoFactorStatus(ctx, v.User.OrgID, v.User.ID)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d.OrgRequires, d.Enrolled, d.IsAdmin = st.OrgRequires, st.Enrolled, v.User.Role == store.RoleAdmin
	if d.Enrolled {
		cur, err := ts.TOTPGet(ctx, v.User.OrgID, v.User.ID)
		if err != nil {
			h.fail(w, r, v, err)
			return
		}
		d.RecoveryLeft = cur.RecoveryLeft
	} else {
		secret, err := h.pendingSecret(r, ts, v.User)
		if err != nil {
			h.fail(w, r, v, err)
			return
		}
		uri := totp.URI(totpIssuer, v.User.Email, secret)
		d.URI = template.URL(uri) //nolint:gosec // an otpauth: URI built by totp.URI
		d.Secret = groupSecret(totp.EncodeSecret(secret))
		if d.QR, err = qrSVG(uri, v.T.T("tf_qr")); err != nil {
			h.fail(w, r, v, err)
			return
		}
	}
	h.render(w, r, status, "totp_account", v.T, &v.User, v.T.T("tf_account"), d)
}

// pendingSecret returns the user's unconfirmed secret, making and storing
// one when there is none (or it can no longer be opened).
func (h *handler) pendingSecret(r *http.Request, ts store.TOTP, u store.User) ([]byte, error) {
	cur, err := ts.TOTPGet(r.Context(), u.OrgID, u.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if err == nil && !cur.Enrolled {
		if secret, err := h.openSecret(u.ID, cur.SecretSealed); err == nil {
			return secret, nil
		}
	}
	secret := totp.NewSecret()
	sealed, err := h.sealSecret(u.ID, secret)
	if err != nil {
		return nil, err
	}
	if err := ts.TOTPBegin(r.Context(), u.OrgID, u.ID, sealed); err != nil {
		return nil, err
	}
	return secret, nil
}

// groupSecret spaces the base32 secret in groups of four, for typing.
func groupSecret(s string) string {
	var parts []string
	for len(s) > 4 {
		parts = append(parts, s[:4])
		s = s[4:]
	}
	return strings.Join(append(parts, s), " ")
}

// enrol confirms the unconfirmed secret with a code of the app, then shows
// the recovery codes once.
func (h *handler) enrol(w http.ResponseWriter, r *http.Request, v viewer) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	ts, ok := h.tfa()
	if !ok {
		h.fail(w, r, v, errors.New("the store has no two-factor support"))
		return
	}
	ctx := r.Context()
	cur, err := ts.TOTPGet(ctx, v.User.OrgID, v.User.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && cur.Enrolled) {
		http.Redirect(w, r, "/account/security", http.StatusSeeOther)
		return
	}
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	key := "2fa:" + v.User.ID
	if _, locked := h.limit.check(key, h.cfg.Now()); locked {
		h.renderAccount(w, r, v, http.StatusTooManyRequests, accountData{Error: v.T.T("locked")})
		return
	}
	secret, err := h.openSecret(v.User.ID, cur.SecretSealed)
	step, good := int64(0), false
	if err == nil {
		step, good = totp.Verify(secret, r.PostFormValue("code"), h.cfg.Now(), 0)
	}
	if !good {
		h.limit.fail(key, h.cfg.Now())
		h.renderAccount(w, r, v, http.StatusUnprocessableEntity, accountData{Error: v.T.T("tf_bad_code")})
		return
	}
	h.limit.succeed(key)
	codes := totp.NewRecoveryCodes(totp.RecoveryCount)
	if err := ts.TOTPConfirm(ctx, v.User.OrgID, v.User.ID, step, hashCodes(codes)); err != nil {
		h.fail(w, r, v, err)
		return
	}
	h.log.InfoContext(ctx, "two-factor authentication turned on", "user_id", v.User.ID, "org_id", v.User.OrgID)
	h.recordWeb(r, v, "web.totp.enrol", "user", v.User.ID, nil)
	h.renderAccount(w, r, v, http.StatusOK, accountData{Codes: codes, Notice: v.T.T("tf_enrolled")})
}

func hashCodes(codes []string) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = totp.HashRecoveryCode(c)
	}
	return out
}

// regenerateRecovery replaces the recovery codes after a check of the
// second factor, and shows the new ones once.
func (h *handler) regenerateRecovery(w http.ResponseWriter, r *http.Request, v viewer) {
	if !h.confirmFactor(w, r, v) {
		return
	}
	ts, _ := h.tfa()
	codes := totp.NewRecoveryCodes(totp.RecoveryCount)
	if err := ts.RecoveryCodesReplace(r.Context(), v.User.OrgID, v.User.ID, hashCodes(codes)); err != nil {
		h.fail(w, r, v, err)
		return
	}
	h.log.InfoContext(r.Context(), "recovery codes replaced", "user_id", v.User.ID, "org_id", v.User.OrgID)
	h.recordWeb(r, v, "web.totp.recovery_codes", "user", v.User.ID, nil)
	h.renderAccount(w, r, v, http.StatusOK, accountData{Codes: codes, Notice: v.T.T("tf_codes_new")})
}

// disableTOTP turns two-factor authentication off after a check of the
// second factor, unless the organisation requires it.
func (h *handler) disableTOTP(w http.ResponseWriter, r *http.Request, v viewer) {
	ts, ok := h.tfa()
	if !ok {
		h.fail(w, r, v, errors.New("the store has no two-factor support"))
		return
	}
	st, err := ts.TwoFactorStatus(r.Context(), v.User.OrgID, v.User.ID)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	if st.OrgRequires {
		h.renderAccount(w, r, v, http.StatusConflict, accountData{Error: v.T.T("tf_cannot_disable")})
		return
	}
	if !h.confirmFactor(w, r, v) {
		return
	}
	if err := ts.TOTPDelete(r.Context(), v.User.OrgID, v.User.ID); err != nil {
		h.fail(w, r, v, err)
		return
	}
	h.log.InfoContext(r.Context(), "two-factor authentication turned off", "user_id", v.User.ID, "org_id", v.User.OrgID)
	h.recordWeb(r, v, "web.totp.disable", "user", v.User.ID, nil)
	h.renderAccount(w, r, v, http.StatusOK, accountData{Notice: v.T.T("tf_disabled")})
}

// confirmFactor checks the code posted with an account action; on failure
// it answers the request and returns false.
func (h *handler) confirmFactor(w http.ResponseWriter, r *http.Request, v viewer) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	_, status := h.checkSecondFactor(r, v.User, r.PostFormValue("code"))
	switch status {
	case http.StatusOK:
		return true
	case http.StatusTooManyRequests:
		h.renderAccount(w, r, v, status, accountData{Error: v.T.T("locked")})
	case http.StatusUnauthorized:
		h.renderAccount(w, r, v, http.StatusUnprocessableEntity, accountData{Error: v.T.T("tf_bad_code")})
	default:
		h.fail(w, r, v, errors.New("second factor check unavailable"))
	}
	return false
}

// orgData is the organisation security page.
type orgData struct {
	Require  bool
	Enrolled bool
	Error    string
	Notice   string
}

// orgSecurity shows the organisation's two-factor requirement
// (administrators only; others get not found).
func (h *handler) orgSecurity(w http.ResponseWriter, r *http.Request, v viewer) {
	h.renderOrg(w, r, v, http.StatusOK, orgData{})
}

func (h *handler) renderOrg(w http.ResponseWriter, r *http.Request, v viewer, status int, d orgData) {
	ts, ok := h.tfa()
	if v.User.Role != store.RoleAdmin || !ok {
		h.render(w, r, http.StatusNotFound, "notfound", v.T, &v.User, v.T.T("not_found"), nil)
		return
	}
	st, err := ts.TwoFactorStatus(r.Context(), v.User.OrgID, v.User.ID)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d.Require, d.Enrolled = st.OrgRequires, st.Enrolled
	h.render(w, r, status, "totp_org", v.T, &v.User, v.T.T("tf_org"), d)
}

// orgSecuritySave sets the requirement. An administrator must have
// two-factor authentication before requiring it of everyone.
func (h *handler) orgSecuritySave(w http.ResponseWriter, r *http.Request, v viewer) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	ts, ok := h.tfa()
	if v.User.Role != store.RoleAdmin || !ok {
		h.render(w, r, http.StatusNotFound, "notfound", v.T, &v.User, v.T.T("not_found"), nil)
		return
	}
	require := r.PostFormValue("require") == "on"
	if require {
		st, err := ts.TwoFactorStatus(r.Context(), v.User.OrgID, v.User.ID)
		if err != nil {
			h.fail(w, r, v, err)
			return
		}
		if !st.Enrolled {
			h.renderOrg(w, r, v, http.StatusConflict, orgData{Error: v.T.T("tf_enrol_first")})
			return
		}
	}
	if err := ts.OrgRequireTwoFactorSet(r.Context(), v.User.OrgID, require); err != nil {
		h.fail(w, r, v, err)
		return
	}
	h.log.InfoContext(r.Context(), "two-factor requirement set", "org_id", v.User.OrgID, "user_id", v.User.ID, "require", require)
	h.recordWeb(r, v, "web.totp.org_require", "org", v.User.OrgID, map[string]string{"require": strconv.FormatBool(require)})
	h.renderOrg(w, r, v, http.StatusOK, orgData{Notice: v.T.T("tf_saved")})
}
