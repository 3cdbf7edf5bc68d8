// Package httpapi serves the REST API v1 of callimport, the OAuth token
// endpoint, health and metrics endpoints, and the OpenAPI document that
// describes them. One route table (routes), one file per resource, and one
// function (writeError) that maps domain errors to HTTP.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/callimport/callimport/internal/admission"
	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/blob"
	"github.com/callimport/callimport/internal/connectors"
	"github.com/callimport/callimport/internal/httpapi/tusupload"
	"github.com/callimport/callimport/internal/ingest"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/telemetry"
)

// Config holds what the API serves from. Every field is required but Logger
// and Metrics.
type Config struct {
	Store   store.Store
	Ingest  *ingest.Service
	Auth    *auth.Service
	Bucket  *blob.Bucket
	Logger  *slog.Logger
	Metrics *telemetry.Metrics
	// Uploads serves resumable uploads under /v1/uploads/ (nil: none).
	Uploads *tusupload.Handler
	// Erasures serves /v1/erasures (nil: 503).
	Erasures Erasures
	// SessionAuth, when set, lets /v1/uploads/ accept a request that carries
	// neither x-api-key nor Authorization if it returns a principal (the web
	// application's session cookie; it must refuse cross-site requests).
	SessionAuth func(r *http.Request) (auth.Principal, bool)
	// Ready reports whether dependencies answer (for /readyz).
	Ready func(ctx context.Context) error
	// Now defaults to time.Now.
	Now func() time.Time
	// RateLimit bounds each credential's request rate on every
	// authenticated route (nil: no limit).
	RateLimit *admission.RateLimiter
	// Connectors manages SFTP accounts, pull sources and Genesys (nil: those routes answer 503).
	Connectors *connectors.Manager
	// Audit receives one event per request (nil: discarded).
	Audit audit.Recorder
}

// Server is the HTTP API.
type Server struct {
	cfg Config
	log *slog.Logger
	mux *http.ServeMux
	now func() time.Time
	aud *auditor
}

// New returns the API as an http.Handler.
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(), now: cfg.Now, aud: newAuditor(cfg.Audit)}
	if s.log == nil {
		s.log = logDiscard()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.routes()
	return s
}

// routes is the one route table of the API.
func (s *Server) routes() {
	write, read, admin := store.ScopeCallsWrite, store.ScopeCallsRead, store.ScopeAdmin

	s.handle("GET /healthz", s.healthz)
	s.handle("GET /readyz", s.readyz)
	if s.cfg.Metrics != nil {
		s.handle("GET /metrics", promhttp.HandlerFor(s.cfg.Metrics.Registry, promhttp.HandlerOpts{}).ServeHTTP)
	}
	s.handle("GET /v1/openapi.json", s.openAPIJSON)
	s.handle("GET /v1/openapi.yaml", s.openAPIYAML)
	s.handle("GET /docs", s.docs)
	s.handle("POST /oauth/token", s.token)

	s.handle("POST /v1/calls/audio", s.authed(write, s.createCall))
	s.handle("POST /calls/audio", s.authed(write, s.createCall))
	s.handle("GET /v1/calls", s.authed(read, s.listCalls))
	s.handle("GET /v1/calls/{id}", s.authed(read, s.getCall))
	s.handle("GET /v1/calls/{id}/audio", s.authed(read, s.getCallAudio))
	s.handle("DELETE /v1/calls/{id}", s.authed(write, s.deleteCall))
	s.mountUploads(s.cfg.Uploads)

	s.handle("POST /v1/campaigns", s.authed(admin, s.createCampaign))
	s.handle("GET /v1/campaigns", s.authed(read, s.listCampaigns))
	s.handle("GET /v1/campaigns/{id}", s.authed(read, s.getCampaign))
	s.handle("PATCH /v1/campaigns/{id}", s.authed(admin, s.updateCampaign))

	s.handle("POST /v1/api-keys", s.authed(admin, s.createAPIKey))
	s.handle("GET /v1/api-keys", s.authed(admin, s.listAPIKeys))
	s.handle("DELETE /v1/api-keys/{id}", s.authed(admin, s.revokeAPIKey))
	s.handle("POST /v1/oauth-clients", s.authed(admin, s.createOAuthClient))
	s.handle("GET /v1/oauth-clients", s.authed(admin, s.listOAuthClients))
	s.handle("DELETE /v1/oauth-clients/{id}", s.authed(admin, s.revokeOAuthClient))
	s.routesErasures()
	s.routesConnectors()
	s.routesAudit()
}

// handle registers h for pattern, wrapped with request ids, logs and metrics.
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.mux.Handle(pattern, s.observe(pattern, s.audited(pattern, h)))
}

// ServeHTTP serves the API; unknown paths and methods get problem bodies.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.observe("unmatched", s.audited("", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.mux.ServeHTTP(&problemNotFound{ResponseWriter: w, r: r}, r)
		}))).ServeHTTP(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyPrincipal
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// observe gives the request an id, logs it once and records its metrics.
func (s *Server) observe(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if len(id) == 0 || len(id) > 64 || !printable(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), keyRequestID, id)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if v := recover(); v != nil {
				s.log.ErrorContext(ctx, "panic", "request_id", id, "panic", v)
				if !rec.wrote {
					writeProblem(rec, Problem{Type: "about:blank", Title: "Internal Server Error", Status: 500, RequestID: id})
				}
			}
			d := time.Since(start)
			if m := s.cfg.Metrics; m != nil {
				m.HTTPRequests.WithLabelValues(route, r.Method, strconv.Itoa(rec.status)).Inc()
				m.HTTPDuration.WithLabelValues(route, r.Method).Observe(d.Seconds())
			}
			s.log.InfoContext(ctx, "http request", "request_id", id, "method", r.Method, "route", route,
				"status", rec.status, "duration_ms", d.Milliseconds(), "bytes_in", r.ContentLength,
				"remote_addr", r.RemoteAddr)
		}()
		h.ServeHTTP(rec, r.WithContext(ctx))
	})
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// problemNotFound turns the mux's plain-text 404 and 405 into problem bodies.
type problemNotFound struct {
	http.ResponseWriter
	r       *http.Request
	skipped bool
}

func (p *problemNotFound) WriteHeader(code int) {
	if code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
		p.ResponseWriter.WriteHeader(code) // e.g. the mux's redirect of unclean paths
		return
	}
	p.ResponseWriter.Header().Del("X-Content-Type-Options")
	writeProblem(p.ResponseWriter, Problem{Type: "about:blank", Title: http.StatusText(code), Status: code,
		Detail: "no such route: " + p.r.Method + " " + p.r.URL.Path, RequestID: requestID(p.r.Context())})
	p.skipped = true
}

func (p *problemNotFound) Write(b []byte) (int, error) {
	if p.skipped {
		return len(b), nil
	}
	return p.ResponseWriter.Write(b)
}
