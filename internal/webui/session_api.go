package webui

import (
	"net/http"

	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/store"
)

// SessionPrincipal returns the signed-in user of r as an API principal that
// may upload and read calls of its organisation (httpapi.Config.SessionAuth),
// or false when r has no valid session, its user is disabled, or r is a
// cross-site request (the same check as the pages').
func (a *App) SessionPrincipal(r *http.Request) (auth.Principal, bool) {
	if a.h.cop.Check(r) != nil {
		return auth.Principal{}, false
	}
	u, ok := a.h.current(r)
	if !ok {
		return auth.Principal{}, false
	}
	return auth.Principal{OrgID: u.OrgID, Kind: "user", ID: u.ID, Name: u.Email,
		Scopes: []store.Scope{store.ScopeCallsWrite, store.ScopeCallsRead}}, true
}
