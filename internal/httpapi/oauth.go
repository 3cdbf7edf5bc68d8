package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/store"
)

// oauthError is an RFC 6749 §5.2 error body.
type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

type tokenJSON struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

// token is the OAuth 2.0 token endpoint for the client credentials grant
// (RFC 6749 §4.4). Client authentication by HTTP Basic or form fields.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	fail := func(status int, code, desc string) {
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="callimport"`)
		}
		writeJSON(w, status, oauthError{Error: code, ErrorDescription: desc})
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		fail(http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		fail(http.StatusBadRequest, "invalid_request", "the form cannot be read")
		return
	}
	form := r.PostForm
	id, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 §2.3.1: Basic credentials are form-urlencoded first.
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		if form.Get("client_id") != "" && form.Get("client_id") != id {
			fail(http.StatusBadRequest, "invalid_request", "client_id differs from the Basic credentials")
			return
		}
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	if id == "" || secret == "" {
		fail(http.StatusUnauthorized, "invalid_client", "client authentication is required (HTTP Basic or client_id and client_secret)")
		return
	}
	switch gt := form.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		fail(http.StatusBadRequest, "invalid_request", "grant_type is required")
		return
	default:
		fail(http.StatusBadRequest, "unsupported_grant_type", "only client_credentials is supported")
		return
	}
	tok, err := s.cfg.Auth.IssueToken(r.Context(), id, secret, form.Get("scope"))
	if te, ok := errors.AsType[*auth.TokenError](err); ok {
		status := http.StatusBadRequest
		if te.Code == "invalid_client" {
			status = http.StatusUnauthorized
		}
		fail(status, te.Code, te.Description)
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	auditActor(r, tok.OrgID, audit.Actor{Type: audit.ActorOAuthClient, ID: tok.ClientID})
	writeJSON(w, http.StatusOK, tokenJSON{AccessToken: tok.AccessToken, TokenType: "Bearer", ExpiresIn: tok.ExpiresIn, Scope: joinScopes(tok.Scopes)})
}

func joinScopes(ss []store.Scope) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, " ")
}
