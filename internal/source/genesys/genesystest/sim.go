// Package genesystest is a Genesys Cloud simulator that follows the
// contract in genesys-api.md: the login host (POST /oauth/token, client
// credentials) and the API host (/api/v2/...) served by one httptest server,
// with a deterministically seeded organisation (users, queues, wrap-up
// codes, a few hundred conversations with participants, sessions, segments,
// metrics and recordings made from real audio), the analytics interval and
// paging rules, recordings that answer 202 while transcoding, batch
// requests, signed media URLs that expire and refuse an Authorization
// header, a per-token rate limit answering 429 with Retry-After, and fault
// switches (500s, latency, expired tokens).
//
// Not simulated: the async details jobs (B2–B6), users search (D3) and
// recording bulk jobs (C7); the media served for a formatId is the seeded
// audio in WAV or WEBM, not a transcoding.
package genesystest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config seeds and tunes the simulator. The zero value means defaults.
type Config struct {
	// Seed makes the organisation; the same seed gives the same data.
	Seed int64
	// Conversations defaults to 300.
	Conversations int
	// Users defaults to 12; Queues to 4.
	Users, Queues int
	// Start is the beginning of the seeded period; defaults to
	// 2026-05-01T00:00:00Z. Days defaults to 7.
	Start time.Time
	Days  int
	// TranscodingPercent of voice recordings answer "not ready" for their
	// first TranscodingPolls requests; defaults 5 and 1 (set
	// TranscodingPercent to -1 for none).
	TranscodingPercent, TranscodingPolls int
	// RateLimitPerMinute is the per-token budget over RateWindow; 0 means
	// unlimited. RateWindow defaults to one minute (shorter in tests).
	RateLimitPerMinute int
	RateWindow         time.Duration
	// PageSizeMax caps the analytics paging.pageSize; defaults to 100.
	PageSizeMax int
	// MaxResults is how deep the details query pages (page × size); deeper
	// answers 400 "Pagination may not exceed N results". Defaults to 100000.
	MaxResults int
	// BatchPolls is how many status polls of a batch request answer
	// InProgress before Completed; defaults to 1.
	BatchPolls int
	// MediaURLTTL is how long a signed media URL works; defaults to 5 minutes.
	MediaURLTTL time.Duration
	// TokenTTL is expires_in of issued tokens; defaults to 86399 s.
	TokenTTL time.Duration
	// ClientID and ClientSecret are the accepted OAuth client; default
	// "sim-client" and "sim-secret".
	ClientID, ClientSecret string
	// Now defaults to time.Now.
	Now func() time.Time
	// Listener, when set, is where the server listens (for
	// `callimport genesys simulate --addr`); default 127.0.0.1 on a random port.
	Listener net.Listener
}

func (c *Config) defaults() {
	if c.Conversations == 0 {
		c.Conversations = 300
	}
	if c.Users == 0 {
		c.Users = 12
	}
	if c.Queues == 0 {
		c.Queues = 4
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	}
	if c.Days == 0 {
		c.Days = 7
	}
	if c.TranscodingPercent == 0 {
		c.TranscodingPercent = 5
	}
	c.TranscodingPercent = max(c.TranscodingPercent, 0)
	if c.TranscodingPolls == 0 {
		c.TranscodingPolls = 1
	}
	if c.RateWindow == 0 {
		c.RateWindow = time.Minute
	}
	if c.PageSizeMax == 0 {
		c.PageSizeMax = 100
	}
	if c.MaxResults == 0 {
		c.MaxResults = 100000
	}
	if c.BatchPolls == 0 {
		c.BatchPolls = 1
	}
	if c.MediaURLTTL == 0 {
		c.MediaURLTTL = 5 * time.Minute
	}
	if c.TokenTTL == 0 {
		c.TokenTTL = 86399 * time.Second
	}
	if c.ClientID == "" {
		c.ClientID = "sim-client"
	}
	if c.ClientSecret == "" {
		c.ClientSecret = "sim-secret"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Stats counts what the simulator answered.
type Stats struct {
	// Requests counts API-host requests with a token (429s included).
	Requests int
	// ByRoute counts them per route pattern.
	ByRoute map[string]int
	// RateLimited counts 429 answers; Failed counts injected 500s.
	RateLimited, Failed int
	// Tokens counts issued tokens; Downloads counts media downloads served.
	Tokens, Downloads int
	// MaxInWindow is the most requests one token had served within any
	// rate window (never above the limit when one is set).
	MaxInWindow int
}

// Server is a running simulator.
type Server struct {
	cfg    Config
	data   Data
	srv    *httptest.Server
	secret []byte

	convByID map[string]*Conversation
	users    map[string]User
	queues   map[string]Queue
	wrapups  map[string]WrapupCode

	mu       sync.Mutex
	tokens   map[string]time.Time   // token → expiry
	windows  map[string][]time.Time // token → served request times in the window
	notReady map[string]int         // recording id → polls left
	batches  map[string]*batch
	stats    Stats
	failNext int
	expireDL int
	latency  time.Duration
	seq      int
}

// New seeds and starts a simulator on 127.0.0.1. Close it when done.
func New(cfg Config) *Server {
	cfg.defaults()
	s := &Server{cfg: cfg, data: seed(cfg), tokens: map[string]time.Time{}, windows: map[string][]time.Time{},
		notReady: map[string]int{}, batches: map[string]*batch{}, convByID: map[string]*Conversation{},
		users: map[string]User{}, queues: map[string]Queue{}, wrapups: map[string]WrapupCode{}}
	s.stats.ByRoute = map[string]int{}
	sum := sha256.Sum256([]byte(fmt.Sprintf("genesystest %d", cfg.Seed)))
	s.secret = sum[:]
	for i := range s.data.Conversations {
		c := &s.data.Conversations[i]
		s.convByID[c.ID] = c
		for _, r := range c.Recordings {
			if r.NotReadyPolls > 0 {
				s.notReady[r.ID] = r.NotReadyPolls
			}
		}
	}
	for _, u := range s.data.Users {
		s.users[u.ID] = u
	}
	for _, q := range s.data.Queues {
		s.queues[q.ID] = q
	}
	for _, w := range s.data.WrapupCodes {
		s.wrapups[w.ID] = w
	}
	if cfg.Listener != nil {
		s.srv = httptest.NewUnstartedServer(s.routes())
		_ = s.srv.Listener.Close()
		s.srv.Listener = cfg.Listener
		s.srv.Start()
	} else {
		s.srv = httptest.NewServer(s.routes())
	}
	return s
}

// URL is the base URL of both the login and the API host.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Data returns the seeded organisation (read-only).
func (s *Server) Data() Data { return s.data }

// Credentials returns the accepted client id and secret.
func (s *Server) Credentials() (id, secret string) { return s.cfg.ClientID, s.cfg.ClientSecret }

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.ByRoute = make(map[string]int, len(s.stats.ByRoute))
	for k, v := range s.stats.ByRoute {
		st.ByRoute[k] = v
	}
	return st
}

// FailNext makes the next n API requests answer 500.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = n
}

// ExpireNextDownloads makes the next n media downloads answer 403 as if
// their signed URL had expired.
func (s *Server) ExpireNextDownloads(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireDL = n
}

// SetLatency delays every API answer by d.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// ExpireTokens makes every issued token answer 401 from now on.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", s.token)
	mux.HandleFunc("GET /downloads/MediaCache/{cid}/{rid}/{file}", s.download)
	api := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, s.guard(pattern, h)) }
	api("GET /api/v2/tokens/me", s.tokenMe)
	api("POST /api/v2/analytics/conversations/details/query", s.detailsQuery)
	api("GET /api/v2/analytics/conversations/{cid}/details", s.conversationDetails)
	api("GET /api/v2/conversations/{cid}/recordings", s.recordings)
	api("GET /api/v2/conversations/{cid}/recordings/{rid}", s.recording)
	api("GET /api/v2/conversations/{cid}/recordingmetadata", s.recordingMetadata)
	api("GET /api/v2/conversations/{cid}/recordingmetadata/{rid}", s.recordingMetadata)
	api("POST /api/v2/recording/batchrequests", s.batchSubmit)
	api("GET /api/v2/recording/batchrequests/{id}", s.batchStatus)
	api("GET /api/v2/users", s.usersList)
	api("GET /api/v2/users/{id}", s.userGet)
	api("GET /api/v2/routing/queues", s.queuesList)
	api("GET /api/v2/routing/queues/{id}", s.queueGet)
	api("GET /api/v2/routing/wrapupcodes", s.wrapupsList)
	api("GET /api/v2/routing/wrapupcodes/{id}", s.wrapupGet)
	mux.HandleFunc("/api/v2/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, r, http.StatusNotFound, "not.found", "The requested resource was not found.")
	})
	return mux
}

// guard checks the bearer token, the rate limit and the fault switches.
func (s *Server) guard(route string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		corr := s.correlation()
		w.Header().Set("ININ-Correlation-Id", corr)
		w.Header().Set("Genesys-Correlation-Id", corr)
		scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "bearer") || tok == "" {
			apiError(w, r, http.StatusUnauthorized, "authentication.required",
				"No authentication bearer token specified in authorization header.")
			return
		}
		now := s.cfg.Now()
		s.mu.Lock()
		exp, known := s.tokens[tok]
		if !known || !now.Before(exp) {
			s.mu.Unlock()
			apiError(w, r, http.StatusUnauthorized, "bad.credentials", "Invalid login credentials.")
			return
		}
		s.stats.Requests++
		s.stats.ByRoute[route]++
		if lim := s.cfg.RateLimitPerMinute; lim > 0 {
			win := s.windows[tok]
			cut := 0
			for cut < len(win) && !now.Before(win[cut].Add(s.cfg.RateWindow)) {
				cut++
			}
			win = win[cut:]
			if len(win) >= lim {
				s.windows[tok] = win
				s.stats.RateLimited++
				wait := int((win[0].Add(s.cfg.RateWindow).Sub(now) + time.Second - 1) / time.Second)
				s.mu.Unlock()
				w.Header().Set("Retry-After", strconv.Itoa(max(wait, 1)))
				apiError(w, r, http.StatusTooManyRequests, "too.many.requests.retry.after",
					fmt.Sprintf("Rate limit exceeded the maximum. Retry the request in [%d] seconds", max(wait, 1)))
				return
			}
			win = append(win, now)
			s.windows[tok] = win
			s.stats.MaxInWindow = max(s.stats.MaxInWindow, len(win))
			w.Header().Set("inin-ratelimit-count", strconv.Itoa(len(win)))
			w.Header().Set("inin-ratelimit-allowed", strconv.Itoa(lim))
			w.Header().Set("inin-ratelimit-reset", strconv.Itoa(int(s.cfg.RateWindow/time.Second)))
		}
		fail := s.failNext > 0
		if fail {
			s.failNext--
			s.stats.Failed++
		}
		delay := s.latency
		s.mu.Unlock()
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if fail {
			apiError(w, r, http.StatusInternalServerError, "internal.server.error",
				"The server encountered an unexpected condition which prevented it from fulfilling the request.")
			return
		}
		h(w, r)
	})
}

func (s *Server) correlation() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", s.seq)
}

// token is POST /oauth/token (client credentials, Basic auth).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type",
			"description": "grant type not supported", "error_description": "grant type not supported"})
		return
	}
	switch {
	case !ok || id != s.cfg.ClientID:
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client",
			"description": "client not found", "error_description": "client not found"})
		return
	case !hmac.Equal([]byte(secret), []byte(s.cfg.ClientSecret)):
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client",
			"description": "authentication failed", "error_description": "authentication failed"})
		return
	}
	s.mu.Lock()
	s.stats.Tokens++
	s.seq++
	sum := sha256.Sum256(fmt.Appendf(s.secret, "token %d", s.seq))
	tok := hex.EncodeToString(sum[:])
	s.tokens[tok] = s.cfg.Now().Add(s.cfg.TokenTTL)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "bearer",
		"expires_in": int(s.cfg.TokenTTL / time.Second)})
}

func (s *Server) tokenMe(w http.ResponseWriter, _ *http.Request) {
	org := map[string]string{"id": "5b703b3e-b3d6-4733-994e-bf09ceecd1a1", "name": "Simulated Org",
		"selfUri": "/api/v2/organizations/5b703b3e-b3d6-4733-994e-bf09ceecd1a1"}
	writeJSON(w, http.StatusOK, map[string]any{"organization": org, "homeOrganization": org,
		"authorizedScope": []string{"analytics:readonly", "recordings:readonly", "users:readonly", "routing:readonly"},
		"OAuthClient":     map[string]string{"id": s.cfg.ClientID, "name": "callimport"}})
}

// errorBody is the ErrorBody schema.
type errorBody struct {
	Message   string `json:"message"`
	Code      string `json:"code"`
	Status    int    `json:"status"`
	ContextID string `json:"contextId,omitempty"`
	Details   []any  `json:"details"`
	Errors    []any  `json:"errors"`
}

func apiError(w http.ResponseWriter, _ *http.Request, status int, code, msg string) {
	writeJSON(w, status, errorBody{Message: msg, Code: code, Status: status,
		ContextID: w.Header().Get("ININ-Correlation-Id"), Details: []any{}, Errors: []any{}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
