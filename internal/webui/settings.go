package webui

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"net/http"
	"strings"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// routesSettings adds the organisation's settings pages: API keys and OAuth
// clients (when Config.Auth is set) and users. Only administrators reach
// them; members get the 403 page, and every POST checks the role again.
// Every user can change their own password.
func (h *handler) routesSettings(mux *http.ServeMux) {
	mux.HandleFunc("GET /settings", h.adminPage(h.settingsHome))
	mux.HandleFunc("GET /settings/keys", h.adminPage(h.keysPage))
	mux.HandleFunc("POST /settings/keys", h.adminPage(h.keyCreate))
	mux.HandleFunc("POST /settings/keys/{key}/revoke", h.adminPage(h.keyRevoke))
	mux.HandleFunc("POST /settings/clients", h.adminPage(h.clientCreate))
	mux.HandleFunc("POST /settings/clients/{client}/revoke", h.adminPage(h.clientRevoke))
	mux.HandleFunc("GET /settings/users", h.adminPage(h.usersPage))
	mux.HandleFunc("POST /settings/users", h.adminPage(h.userCreate))
	mux.HandleFunc("POST /settings/users/{user}", h.adminPage(h.userChange))
	mux.HandleFunc("GET /account/password", h.page(h.passwordPage))
	mux.HandleFunc("POST /account/password", h.page(h.passwordChange))
}

func (h *handler) settingsHome(w http.ResponseWriter, r *http.Request, _ viewer) {
	http.Redirect(w, r, "/settings/users", http.StatusSeeOther)
}

// scopeNames are the scopes a key or client can be given, in page order.
var scopeNames = []store.Scope{store.ScopeCallsWrite, store.ScopeCallsRead, store.ScopeAdmin}

type keysData struct {
	Enabled bool
	Keys    []store.APIKey
	Clients []store.OAuthClient
	Scopes  []store.Scope
	// NewSecret is shown once, right after a creation.
	NewSecret   string
	NewClientID string
	NewName     string
	Error       string
}

func (h *handler) keysPage(w http.ResponseWriter, r *http.Request, v viewer) {
	h.renderKeys(w, r, v, http.StatusOK, keysData{})
}

func (h *handler) renderKeys(w http.ResponseWriter, r *http.Request, v viewer, status int, d keysData) {
	d.Enabled, d.Scopes = h.cfg.Auth != nil, scopeNames
	if d.Enabled {
		var err error
		if d.Keys, err = h.cfg.Store.APIKeyList(r.Context(), v.User.OrgID); err == nil {
			d.Clients, err = h.cfg.Store.OAuthClientList(r.Context(), v.User.OrgID)
		}
		if err != nil {
			h.fail(w, r, v, &call.Error{Code: call.CodeUnavailable, Message: "storage is unavailable", Err: err})
			return
		}
	}
	h.render(w, r, status, "keys", v.T, &v.User, v.T.T("keys_title"), d)
}

// credentialForm reads the name and scopes of a new key or client.
func credentialForm(w http.ResponseWriter, r *http.Request) (string, []store.Scope, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if r.ParseForm() != nil {
		return "", nil, false
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	var scopes []store.Scope
	for _, s := range r.PostForm["scope"] {
		for _, known := range scopeNames {
			if s == string(known) {
				scopes = append(scopes, known)
			}
		}
	}
	return name, scopes, name != "" && len(name) <= 200 && len(scopes) > 0
}

func (h *handler) keyCreate(w http.ResponseWriter, r *http.Request, v viewer) {
	if h.cfg.Auth == nil {
		h.notFound(w, r)
		return
	}
	name, scopes, ok := credentialForm(w, r)
	if !ok {
		h.renderKeys(w, r, v, http.StatusUnprocessableEntity, keysData{Error: v.T.T("cred_invalid")})
		return
	}
	k, secret, err := h.cfg.Auth.CreateAPIKey(r.Context(), v.User.OrgID, name, scopes)
	if err != nil {
		h.fail(w, r, v, &call.Error{Code: call.CodeUnavailable, Message: "storage is unavailable", Err: err})
		return
	}
	h.log.InfoContext(r.Context(), "api key created on the web", "user_id", v.User.ID, "key_id", k.ID)
	h.recordWeb(r, v, "web.api_key.create", "api_key", k.ID, map[string]string{"scopes": joinScopes(scopes)})
	h.renderKeys(w, r, v, http.StatusOK, keysData{NewSecret: secret, NewName: k.Name})
}

func (h *handler) keyRevoke(w http.ResponseWriter, r *http.Request, v viewer) {
	if h.cfg.Auth == nil {
		h.notFound(w, r)
		return
	}
	h.revoked(w, r, v, "api_key", r.PathValue("key"), h.cfg.Store.APIKeyRevoke(r.Context(), v.User.OrgID, r.PathValue("key")))
}

func (h *handler) clientCreate(w http.ResponseWriter, r *http.Request, v viewer) {
	if h.cfg.Auth == nil {
		h.notFound(w, r)
		return
	}
	name, scopes, ok := credentialForm(w, r)
	if !ok {
		h.renderKeys(w, r, v, http.StatusUnprocessableEntity, keysData{Error: v.T.T("cred_invalid")})
		return
	}
	c, secret, err := h.cfg.Auth.CreateOAuthClient(r.Context(), v.User.OrgID, name, scopes)
	if err != nil {
		h.fail(w, r, v, &call.Error{Code: call.CodeUnavailable, Message: "storage is unavailable", Err: err})
		return
	}
	h.log.InfoContext(r.Context(), "oauth client created on the web", "user_id", v.User.ID, "client_id", c.ClientID)
	h.recordWeb(r, v, "web.oauth_client.create", "oauth_client", c.ID, map[string]string{"scopes": joinScopes(scopes)})
	h.renderKeys(w, r, v, http.StatusOK, keysData{NewSecret: secret, NewClientID: c.ClientID, NewName: c.Name})
}

func (h *handler) clientRevoke(w http.ResponseWriter, r *http.Request, v viewer) {
	if h.cfg.Auth == nil {
		h.notFound(w, r)
		return
	}
	h.revoked(w, r, v, "oauth_client", r.PathValue("client"), h.cfg.Store.OAuthClientRevoke(r.Context(), v.User.OrgID, r.PathValue("client")))
}

// revoked answers a revocation: back to the list, or the page its error calls for.
func (h *handler) revoked(w http.ResponseWriter, r *http.Request, v viewer, kind, id string, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		h.fail(w, r, v, &call.Error{Code: call.CodeNotFound, Message: "no such credential", Err: err})
	case err != nil:
		h.fail(w, r, v, &call.Error{Code: call.CodeUnavailable, Message: "storage is unavailable", Err: err})
	default:
		h.log.InfoContext(r.Context(), "credential revoked on the web", "user_id", v.User.ID, "path", r.URL.Path)
		h.recordWeb(r, v, "web."+kind+".revoke", kind, id, nil)
		http.Redirect(w, r, "/settings/keys", http.StatusSeeOther)
	}
}

// tempPassword returns a random password to hand to a new user.
func tempPassword() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// joinScopes lists scopes for an audit detail.
func joinScopes(scopes []store.Scope) string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = string(s)
	}
	return strings.Join(out, ",")
}
