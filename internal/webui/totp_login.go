package webui

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/callimport/callimport/internal/auth/totp"
	"github.com/callimport/callimport/internal/store"
)

// pendingCookie carries a sign-in whose password was right and whose second
// factor is still to come. It gives no access to anything but /login/code.
const pendingCookie = "callimport_pending"

// pendingTTL is how long the second step may take.
const pendingTTL = 5 * time.Minute

// pending is what the pending cookie carries.
type pending struct {
	UserID  string    `json:"u"`
	OrgID   string    `json:"o"`
	Next    string    `json:"n"`
	Expires time.Time `json:"e"`
}

type codeData struct {
	Error string
}

// secondFactorStep is called by login once the password is right. When the
// user has TOTP it sets the pending cookie, sends the browser to
// /login/code and returns true: no session yet. A failed look-up is
// answered (503) and returns true too.
func (h *handler) secondFactorStep(w http.ResponseWriter, r *http.Request, u store.User, next string) bool {
	ts, ok := h.tfa()
	if !ok {
		return false
	}
	t := h.translator(pickLang(r))
	st, err := ts.TwoFactorStatus(r.Context(), u.OrgID, u.ID)
	if err != nil {
		h.log.ErrorContext(r.Context(), "two-factor status failed", "error", err)
		h.render(w, r, http.StatusServiceUnavailable, "login", t, nil, t.T("signin"), loginData{Email: u.Email, Next: next, Error: t.T("e_unavailable")})
		return true
	}
	if !st.Enrolled {
		return false
	}
	b, err := h.pendingBox()
	if err != nil {
		h.log.ErrorContext(r.Context(), "pending cookie failed", "error", err)
		h.render(w, r, http.StatusInternalServerError, "error", t, nil, t.T("error"), nil)
		return true
	}
	exp := h.cfg.Now().Add(pendingTTL)
	plain, _ := json.Marshal(pending{UserID: u.ID, OrgID: u.OrgID, Next: next, Expires: exp})
	h.setPending(w, b.seal(plain, pendingCookie), exp)
	h.log.InfoContext(r.Context(), "password accepted, second factor asked", "user_id", u.ID, "org_id", u.OrgID)
	http.Redirect(w, r, "/login/code", http.StatusSeeOther)
	return true
}

func (h *handler) setPending(w http.ResponseWriter, value string, expires time.Time) {
	c := &http.Cookie{Name: pendingCookie, Value: value, Path: "/login", HttpOnly: true,
		Secure: h.cfg.SecureCookies, SameSite: http.SameSiteStrictMode}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.Expires = expires
	}
	http.SetCookie(w, c)
}

// openPending returns the pending sign-in of r, or false.
func (h *handler) openPending(r *http.Request) (pending, bool) {
	c, err := r.Cookie(pendingCookie)
	if err != nil {
		return pending{}, false
	}
	b, err := h.pendingBox()
	if err != nil {
		return pending{}, false
	}
	plain, err := b.open(c.Value, pendingCookie)
	if err != nil {
		return pending{}, false
	}
	var p pending
	if json.Unmarshal(plain, &p) != nil || p.UserID == "" || !h.cfg.Now().Before(p.Expires) {
		return pending{}, false
	}
	return p, true
}

func (h *handler) codePage(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.openPending(r); !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	t := h.translator(pickLang(r))
	h.render(w, r, http.StatusOK, "totp_code", t, nil, t.T("tf_title"), codeData{})
}

// codeLogin checks the second factor of a pending sign-in and, when it is
// right, starts the session. Failures are slowed down, then locked, like
// passwords.
func (h *handler) codeLogin(w http.ResponseWriter, r *http.Request) {
	t := h.translator(pickLang(r))
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	p, ok := h.openPending(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	refuse := func(key string, status int) {
		h.render(w, r, status, "totp_code", t, nil, t.T("tf_title"), codeData{Error: t.T(key)})
	}
	u, err := h.cfg.Store.UserGet(r.Context(), p.OrgID, p.UserID)
	if err != nil || u.Disabled {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			h.log.ErrorContext(r.Context(), "second factor lookup failed", "error", err)
			refuse("e_unavailable", http.StatusServiceUnavailable)
			return
		}
		h.setPending(w, "", time.Time{})
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	how, status := h.checkSecondFactor(r, u, r.PostFormValue("code"))
	switch status {
	case http.StatusOK:
	case http.StatusTooManyRequests:
		refuse("locked", status)
		return
	case http.StatusUnauthorized:
		refuse("tf_bad_code", status)
		return
	default:
		refuse("e_unavailable", status)
		return
	}
	exp := h.cfg.Now().Add(h.cfg.SessionTTL)
	v, err := h.seal.seal(session{UserID: u.ID, OrgID: u.OrgID, Expires: exp})
	if err != nil {
		h.log.ErrorContext(r.Context(), "seal session failed", "error", err)
		refuse("e_unavailable", http.StatusInternalServerError)
		return
	}
	h.setPending(w, "", time.Time{})
	h.setSession(w, v, exp)
	h.log.InfoContext(r.Context(), "signed in", "user_id", u.ID, "org_id", u.OrgID, "second_factor", how)
	http.Redirect(w, r, localPath(p.Next), http.StatusSeeOther)
}

// checkSecondFactor checks a code of the user's app (once per step) or one
// of their recovery codes (once), under the sign-in limiter with a key of
// the user's own. It returns how the user proved it ("totp" or "recovery")
// and 200, or 401 (wrong), 429 (locked) or 503 (store failure).
func (h *handler) checkSecondFactor(r *http.Request, u store.User, code string) (string, int) {
	ts, ok := h.tfa()
	if !ok {
		return "", http.StatusServiceUnavailable
	}
	ctx := r.Context()
	key := "2fa:" + u.ID
	delay, locked := h.limit.check(key, h.cfg.Now())
	if locked {
		h.log.WarnContext(ctx, "second factor refused: locked", "user_id", u.ID)
		return "", http.StatusTooManyRequests
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return "", http.StatusServiceUnavailable
		}
	}
	how, err := h.verifySecondFactor(r, ts, u, code)
	if err != nil {
		h.log.ErrorContext(ctx, "second factor check failed", "error", err)
		return "", http.StatusServiceUnavailable
	}
	if how == "" {
		if h.limit.fail(key, h.cfg.Now()) {
			h.log.WarnContext(ctx, "second factor locked after repeated failures", "user_id", u.ID)
			return "", http.StatusTooManyRequests
		}
		h.log.InfoContext(ctx, "second factor refused", "user_id", u.ID)
		return "", http.StatusUnauthorized
	}
	h.limit.succeed(key)
	return how, http.StatusOK
}

// verifySecondFactor returns "totp" or "recovery" when code is right (and
// uses it up), "" when it is not.
func (h *handler) verifySecondFactor(r *http.Request, ts store.TOTP, u store.User, code string) (string, error) {
	ctx := r.Context()
	if totp.LooksLikeCode(code) {
		cur, err := ts.TOTPGet(ctx, u.OrgID, u.ID)
		if errors.Is(err, store.ErrNotFound) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		if !cur.Enrolled {
			return "", nil
		}
		secret, err := h.openSecret(u.ID, cur.SecretSealed)
		if err != nil {
			h.log.WarnContext(ctx, "totp secret unreadable (was the session key changed?)", "user_id", u.ID, "error", err)
			return "", nil
		}
		step, ok := totp.Verify(secret, code, h.cfg.Now(), cur.LastStep)
		if !ok {
			return "", nil
		}
		used, err := ts.TOTPUseStep(ctx, u.OrgID, u.ID, step)
		if err != nil || !used {
			return "", err
		}
		return "totp", nil
	}
	if totp.NormalizeRecoveryCode(code) == "" {
		return "", nil
	}
	used, err := ts.RecoveryCodeUse(ctx, u.OrgID, u.ID, totp.HashRecoveryCode(code))
	if err != nil || !used {
		return "", err
	}
	return "recovery", nil
}

// openSecret returns the TOTP secret sealed for userID.
func (h *handler) openSecret(userID, sealed string) ([]byte, error) {
	b, err := h.secretBox()
	if err != nil {
		return nil, err
	}
	return b.open(sealed, "totp:"+userID)
}

// sealSecret seals a TOTP secret for userID.
func (h *handler) sealSecret(userID string, secret []byte) (string, error) {
	b, err := h.secretBox()
	if err != nil {
		return "", err
	}
	return b.seal(secret, "totp:"+userID), nil
}
