package webui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

type usersData struct {
	Users []store.User
	Me    string
	// TwoStep holds the users who have two-step sign-in set up; nil when
	// the store has no two-step support.
	TwoStep map[string]bool
	// NewEmail and NewPassword are shown once, right after an invitation.
	NewEmail    string
	NewPassword string
	Email       string
	Error       string
}

func (h *handler) usersPage(w http.ResponseWriter, r *http.Request, v viewer) {
	h.renderUsers(w, r, v, http.StatusOK, usersData{})
}

func (h *handler) renderUsers(w http.ResponseWriter, r *http.Request, v viewer, status int, d usersData) {
	users, err := h.cfg.Store.UserList(r.Context(), v.User.OrgID)
	if err != nil {
		h.fail(w, r, v, &call.Error{Code: call.CodeUnavailable, Message: "storage is unavailable", Err: err})
		return
	}
	d.Users, d.Me = users, v.User.ID
	if ts, ok := h.tfa(); ok {
		d.TwoStep = map[string]bool{}
		for _, u := range users {
			st, err := ts.TwoFactorStatus(r.Context(), v.User.OrgID, u.ID)
			if err != nil {
				h.fail(w, r, v, &call.Error{Code: call.CodeUnavailable, Message: "storage is unavailable", Err: err})
				return
			}
			d.TwoStep[u.ID] = st.Enrolled
		}
	}
	h.render(w, r, status, "users", v.T, &v.User, v.T.T("users_title"), d)
}

// userCreate invites a user: it creates the account with a temporary
// password shown once to the administrator, who hands it over.
func (h *handler) userCreate(w http.ResponseWriter, r *http.Request, v viewer) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	role := store.Role(r.PostFormValue("role"))
	if call.CheckEmail(email) != "" || (role != store.RoleAdmin && role != store.RoleMember) {
		h.renderUsers(w, r, v, http.StatusUnprocessableEntity, usersData{Email: email, Error: v.T.T("user_invalid")})
		return
	}
	pw := tempPassword()
	u, err := h.cfg.Store.UserCreate(r.Context(), store.UserCreateParams{OrgID: v.User.OrgID, Email: email, Role: role,
		PasswordHash: auth.HashPassword(pw)})
	if errors.Is(err, store.ErrAlreadyExists) {
		h.renderUsers(w, r, v, http.StatusConflict, usersData{Email: email, Error: v.T.T("user_exists")})
		return
	}
	if err != nil {
		h.fail(w, r, v, &call.Error{Code: call.CodeUnavailable, Message: "storage is unavailable", Err: err})
		return
	}
	h.log.InfoContext(r.Context(), "user invited on the web", "user_id", v.User.ID, "new_user_id", u.ID)
	h.recordWeb(r, v, "web.user.invite", "user", u.ID, map[string]string{"role": string(u.Role)})
	h.renderUsers(w, r, v, http.StatusOK, usersData{NewEmail: u.Email, NewPassword: pw})
}

// userChange sets a user's role or disables/enables it. An administrator
// cannot change their own account (so that an organisation keeps one).
// A disabled user's sessions stop at their next request (the session's
// user is re-read each time).
func (h *handler) userChange(w http.ResponseWriter, r *http.Request, v viewer) {
	ua, ok := h.cfg.Store.(store.UserAdmin)
	if !ok {
		h.fail(w, r, v, errors.New("the store cannot update users"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	id := r.PathValue("user")
	if id == v.User.ID {
		h.renderUsers(w, r, v, http.StatusUnprocessableEntity, usersData{Error: v.T.T("user_self")})
		return
	}
	if r.PostFormValue("reset_two_step") == "true" {
		h.resetTwoStep(w, r, v, id)
		return
	}
	p := store.UserUpdateParams{OrgID: v.User.OrgID, ID: id}
	switch role := store.Role(r.PostFormValue("role")); role {
	case store.RoleAdmin, store.RoleMember:
		p.Role = &role
	case "":
	default:
		h.renderUsers(w, r, v, http.StatusUnprocessableEntity, usersData{Error: v.T.T("user_invalid")})
		return
	}
	switch r.PostFormValue("disabled") {
	case "true":
		yes := true
		p.Disabled = &yes
	case "false":
		no := false
		p.Disabled = &no
	}
	_, err := ua.UserUpdate(r.Context(), p)
	switch {
	case errors.Is(err, store.ErrNotFound):
		h.fail(w, r, v, &call.Error{Code: call.CodeNotFound, Message: "no such user", Err: err})
	case err != nil:
		h.fail(w, r, v, &call.Error{Code: call.CodeUnavailable, Message: "storage is unavailable", Err: err})
	default:
		h.log.InfoContext(r.Context(), "user changed on the web", "user_id", v.User.ID, "target_user_id", id)
		if p.Role != nil {
			h.recordWeb(r, v, "web.user.role", "user", id, map[string]string{"role": string(*p.Role)})
		}
		if p.Disabled != nil {
			h.recordWeb(r, v, "web.user.disable", "user", id, map[string]string{"disabled": strconv.FormatBool(*p.Disabled)})
		}
		http.Redirect(w, r, "/settings/users", http.StatusSeeOther)
	}
}

// resetTwoStep removes another user's two-step sign-in (secret and recovery
// codes), for someone who lost both their phone and their codes. They sign
// in with their password next time and, if the organisation requires it,
// set it up again at once. Their current sessions go on.
func (h *handler) resetTwoStep(w http.ResponseWriter, r *http.Request, v viewer, id string) {
	ts, ok := h.tfa()
	if !ok {
		h.fail(w, r, v, errors.New("the store has no two-factor support"))
		return
	}
	if _, err := h.cfg.Store.UserGet(r.Context(), v.User.OrgID, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			h.fail(w, r, v, &call.Error{Code: call.CodeNotFound, Message: "no such user", Err: err})
			return
		}
		h.fail(w, r, v, &call.Error{Code: call.CodeUnavailable, Message: "storage is unavailable", Err: err})
		return
	}
	if err := ts.TOTPDelete(r.Context(), v.User.OrgID, id); err != nil {
		h.fail(w, r, v, &call.Error{Code: call.CodeUnavailable, Message: "storage is unavailable", Err: err})
		return
	}
	h.log.InfoContext(r.Context(), "two-step sign-in reset by an administrator", "user_id", v.User.ID, "target_user_id", id)
	h.recordWeb(r, v, "web.totp.reset", "user", id, nil)
	http.Redirect(w, r, "/settings/users", http.StatusSeeOther)
}
