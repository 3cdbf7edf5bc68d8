package httpapi

import (
	"context"
	"net/http"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/httpapi/tusupload"
	"github.com/callimport/callimport/internal/store"
)

// mountUploads serves resumable uploads (tus 1.0, package tusupload) under
// /v1/uploads/ when h is not nil. Every request but OPTIONS (protocol
// discovery) needs the calls:write scope; the caller's organisation goes to
// the handler in the request context, and its errors are answered by
// writeError like the rest of the API. h must have been built with
// BasePath /v1/uploads/ (the default). Requests that carry bytes (PATCH,
// POST with a body) count against the ingest limits (ingest.Service.Admit):
// beyond them they are answered 429 with Retry-After before their body is
// read, and the upload can be resumed later.
func (s *Server) mountUploads(h *tusupload.Handler) {
	if h == nil {
		return
	}
	h = h.WithErrorWriter(s.writeError)
	serve := func(w http.ResponseWriter, r *http.Request) {
		p := principal(r)
		source := call.SourceAPI
		if p.Kind == "user" {
			source = call.SourceWeb
		}
		if r.Method == http.MethodPatch || (r.Method == http.MethodPost && r.ContentLength != 0) {
			release, err := s.cfg.Ingest.Admit(p.OrgID) // requests that carry bytes
			if err != nil {
				closeUnread(w, r)
				s.writeError(w, r, err)
				return
			}
			defer release()
		}
		h.ServeHTTP(w, r.WithContext(tusupload.WithCaller(r.Context(), tusupload.Caller{OrgID: p.OrgID, Source: source})))
	}
	s.handle("OPTIONS /v1/uploads/", h.ServeHTTP)
	s.handle("POST /v1/uploads", s.sessionOr(serve, s.authed(store.ScopeCallsWrite, serve)))
	s.handle("/v1/uploads/", s.sessionOr(serve, s.authed(store.ScopeCallsWrite, serve)))
}

// sessionOr serves a request that carries no API credentials with h when
// Config.SessionAuth recognises its caller (a signed-in web user, who may
// upload calls), and with otherwise in every other case.
func (s *Server) sessionOr(h, otherwise http.HandlerFunc) http.HandlerFunc {
	if s.cfg.SessionAuth == nil {
		return otherwise
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") == "" && r.Header.Get("Authorization") == "" {
			if p, ok := s.cfg.SessionAuth(r); ok && p.Has(store.ScopeCallsWrite) {
				h(w, r.WithContext(context.WithValue(r.Context(), keyPrincipal, p)))
				return
			}
		}
		otherwise(w, r)
	}
}
