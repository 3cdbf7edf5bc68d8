package httpapi

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

type credentialInput struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

func (in *credentialInput) check() ([]store.Scope, error) {
	in.Name = strings.TrimSpace(in.Name)
	var fields []call.FieldError
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 200 {
		fields = append(fields, call.FieldError{Field: "name", Reason: "must be 1 to 200 characters"})
	}
	scopes, err := auth.ParseScopes(in.Scopes)
	if err != nil {
		fields = append(fields, call.FieldError{Field: "scopes", Reason: err.Error()})
	}
	if len(fields) > 0 {
		return nil, &call.Error{Code: call.CodeInvalid, Message: "invalid credential", Fields: fields}
	}
	return scopes, nil
}

type apiKeyJSON struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	Prefix    string        `json:"prefix"`
	Scopes    []store.Scope `json:"scopes"`
	CreatedAt time.Time     `json:"created_at"`
	RevokedAt *time.Time    `json:"revoked_at"`
	// Key is only present in the answer to its creation.
	Key string `json:"key,omitempty"`
}

func toAPIKeyJSON(k store.APIKey) apiKeyJSON {
	return apiKeyJSON{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: k.Scopes, CreatedAt: k.CreatedAt.UTC(), RevokedAt: k.RevokedAt}
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) {
	var in credentialInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	scopes, err := in.check()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	k, secret, err := s.cfg.Auth.CreateAPIKey(r.Context(), principal(r).OrgID, in.Name, scopes)
	if err != nil {
		s.writeError(w, r, storeError(err, "api key"))
		return
	}
	auditTarget(r, k.ID)
	j := toAPIKeyJSON(k)
	j.Key = secret
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, j)
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) {
	ks, err := s.cfg.Store.APIKeyList(r.Context(), principal(r).OrgID)
	if err != nil {
		s.writeError(w, r, storeError(err, "api key"))
		return
	}
	out := struct {
		Data []apiKeyJSON `json:"data"`
	}{Data: make([]apiKeyJSON, 0, len(ks))}
	for _, k := range ks {
		out.Data = append(out.Data, toAPIKeyJSON(k))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Store.APIKeyRevoke(r.Context(), principal(r).OrgID, r.PathValue("id")); err != nil {
		s.writeError(w, r, storeError(err, "api key"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type oauthClientJSON struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	ClientID  string        `json:"client_id"`
	Scopes    []store.Scope `json:"scopes"`
	CreatedAt time.Time     `json:"created_at"`
	RevokedAt *time.Time    `json:"revoked_at"`
	// ClientSecret is only present in the answer to its creation.
	ClientSecret string `json:"client_secret,omitempty"`
}

func toOAuthClientJSON(c store.OAuthClient) oauthClientJSON {
	return oauthClientJSON{ID: c.ID, Name: c.Name, ClientID: c.ClientID, Scopes: c.Scopes, CreatedAt: c.CreatedAt.UTC(), RevokedAt: c.RevokedAt}
}

func (s *Server) createOAuthClient(w http.ResponseWriter, r *http.Request) {
	var in credentialInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	scopes, err := in.check()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, secret, err := s.cfg.Auth.CreateOAuthClient(r.Context(), principal(r).OrgID, in.Name, scopes)
	if err != nil {
		s.writeError(w, r, storeError(err, "oauth client"))
		return
	}
	auditTarget(r, c.ID)
	j := toOAuthClientJSON(c)
	j.ClientSecret = secret
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, j)
}

func (s *Server) listOAuthClients(w http.ResponseWriter, r *http.Request) {
	cs, err := s.cfg.Store.OAuthClientList(r.Context(), principal(r).OrgID)
	if err != nil {
		s.writeError(w, r, storeError(err, "oauth client"))
		return
	}
	out := struct {
		Data []oauthClientJSON `json:"data"`
	}{Data: make([]oauthClientJSON, 0, len(cs))}
	for _, c := range cs {
		out.Data = append(out.Data, toOAuthClientJSON(c))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) revokeOAuthClient(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Store.OAuthClientRevoke(r.Context(), principal(r).OrgID, r.PathValue("id")); err != nil {
		s.writeError(w, r, storeError(err, "oauth client"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
