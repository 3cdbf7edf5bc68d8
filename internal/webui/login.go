package webui

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/store"
)

// dummyHash is checked for unknown addresses so that they take as long as
// known ones.
const dummyHash = "$argon2id$v=19$m=65536,t=3,p=2$c29tZXNhbHRzb21lc2FsdA$3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

type loginData struct {
	Email string
	Error string
	Next  string
}

func (h *handler) loginPage(w http.ResponseWriter, r *http.Request) {
	t := h.translator(pickLang(r))
	if _, ok := h.current(r); ok {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, "login", t, nil, t.T("signin"), loginData{Next: r.URL.Query().Get("next")})
}

// login checks the e-mail and password. Failures for one address are slowed
// down after SlowAfter attempts and locked after LockAfter.
func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	t := h.translator(pickLang(r))
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	password := r.PostFormValue("password")
	next := r.PostFormValue("next")
	data := loginData{Email: email, Next: next}
	refuse := func(key string, status int) {
		data.Error = t.T(key)
		h.render(w, r, status, "login", t, nil, t.T("signin"), data)
	}
	key := email
	delay, locked := h.limit.check(key, h.cfg.Now())
	if locked {
		h.log.WarnContext(r.Context(), "sign-in refused: locked")
		h.auditSignIn(r, store.User{}, "locked")
		refuse("locked", http.StatusTooManyRequests)
		return
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	u, err := h.cfg.Store.UserGetByEmail(r.Context(), email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.log.ErrorContext(r.Context(), "sign-in lookup failed", "error", err)
		refuse("e_unavailable", http.StatusServiceUnavailable)
		return
	}
	hash := dummyHash
	if err == nil {
		hash = u.PasswordHash
	}
	if !auth.CheckPassword(hash, password) || err != nil || u.Disabled || password == "" {
		h.auditSignIn(r, u, "bad_login")
		if h.limit.fail(key, h.cfg.Now()) {
			h.log.WarnContext(r.Context(), "sign-in locked after repeated failures")
			refuse("locked", http.StatusTooManyRequests)
			return
		}
		h.log.InfoContext(r.Context(), "sign-in failed")
		refuse("bad_login", http.StatusUnauthorized)
		return
	}
	h.limit.succeed(key)
	if h.secondFactorStep(w, r, u, next) {
		return
	}
	exp := h.cfg.Now().Add(h.cfg.SessionTTL)
	v, err := h.seal.seal(session{UserID: u.ID, OrgID: u.OrgID, Expires: exp})
	if err != nil {
		h.log.ErrorContext(r.Context(), "seal session failed", "error", err)
		refuse("e_unavailable", http.StatusInternalServerError)
		return
	}
	h.setSession(w, v, exp)
	h.auditSignIn(r, u, "")
	h.log.InfoContext(r.Context(), "signed in", "user_id", u.ID, "org_id", u.OrgID)
	http.Redirect(w, r, localPath(next), http.StatusSeeOther)
}

func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	h.auditSignOut(r)
	h.setSession(w, "", time.Time{})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
