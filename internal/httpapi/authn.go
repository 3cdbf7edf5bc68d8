package httpapi

import (
	"net/http"
	"strings"

	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// authed requires an API key (x-api-key) or a bearer token carrying scope,
// and answers 429 with Retry-After when the credential exceeds its rate
// (Config.RateLimit).
func (s *Server) authed(scope store.Scope, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		r = withPrincipal(r, p)
		if err := s.cfg.RateLimit.Allow(p.Kind + ":" + p.ID); err != nil {
			closeUnread(w, r)
			s.writeError(w, r, err)
			return
		}
		if !p.Has(scope) {
			s.writeError(w, r, call.Errorf(call.CodeForbidden, "this credential lacks the %s scope", scope))
			return
		}
		h(w, r)
	}
}

func (s *Server) authenticate(r *http.Request) (auth.Principal, error) {
	key := r.Header.Get("X-Api-Key")
	authz := r.Header.Get("Authorization")
	switch {
	case key != "" && authz != "":
		return auth.Principal{}, call.Errorf(call.CodeMalformed, "send either x-api-key or Authorization, not both")
	case key != "":
		return s.cfg.Auth.APIKey(r.Context(), key)
	case authz != "":
		scheme, token, ok := strings.Cut(authz, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return auth.Principal{}, call.Errorf(call.CodeUnauthenticated, "the Authorization header must be 'Bearer <token>'")
		}
		return s.cfg.Auth.Bearer(r.Context(), strings.TrimSpace(token))
	default:
		return auth.Principal{}, call.Errorf(call.CodeUnauthenticated, "missing credentials: send an x-api-key header or an OAuth bearer token")
	}
}

// principal returns the authenticated caller of r.
func principal(r *http.Request) auth.Principal {
	p, _ := r.Context().Value(keyPrincipal).(auth.Principal)
	return p
}
