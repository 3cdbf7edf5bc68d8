package webui

import (
	"errors"
	"net/http"

	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// minPassword is the shortest password a user may choose.
const minPassword = 12

type passwordData struct {
	Error string
	Done  bool
	Min   int
}

// passwordPage lets every signed-in user replace their password (an
// invited user's temporary one first of all).
func (h *handler) passwordPage(w http.ResponseWriter, r *http.Request, v viewer) {
	h.render(w, r, http.StatusOK, "password", v.T, &v.User, v.T.T("change_password"), passwordData{Min: minPassword})
}

// passwordChange checks the current password, then stores the new one.
func (h *handler) passwordChange(w http.ResponseWriter, r *http.Request, v viewer) {
	ua, ok := h.cfg.Store.(store.UserAdmin)
	if !ok {
		h.fail(w, r, v, errors.New("the store cannot update users"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	current, next, again := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("again")
	refuse := func(key string, status int) {
		h.render(w, r, status, "password", v.T, &v.User, v.T.T("change_password"), passwordData{Error: v.T.T(key), Min: minPassword})
	}
	switch {
	case !auth.CheckPassword(v.User.PasswordHash, current):
		h.log.InfoContext(r.Context(), "password change refused: wrong current password", "user_id", v.User.ID)
		refuse("pw_wrong", http.StatusUnauthorized)
		return
	case len([]rune(next)) < minPassword:
		refuse("pw_short", http.StatusUnprocessableEntity)
		return
	case next != again:
		refuse("pw_mismatch", http.StatusUnprocessableEntity)
		return
	}
	hash := auth.HashPassword(next)
	if _, err := ua.UserUpdate(r.Context(), store.UserUpdateParams{OrgID: v.User.OrgID, ID: v.User.ID, PasswordHash: &hash}); err != nil {
		h.fail(w, r, v, &call.Error{Code: call.CodeUnavailable, Message: "storage is unavailable", Err: err})
		return
	}
	h.log.InfoContext(r.Context(), "password changed", "user_id", v.User.ID)
	h.render(w, r, http.StatusOK, "password", v.T, &v.User, v.T.T("change_password"), passwordData{Done: true, Min: minPassword})
}
