// Package webui is the web application of callimport: server-rendered pages
// (html/template, embedded), small scripts without a build step, in English
// and French.
//
// Configure it with Config and mount the App New returns at "/" beside the
// API (which keeps /v1/, /oauth/, /docs, /healthz, /readyz, /metrics); give
// the API App.SessionPrincipal as httpapi.Config.SessionAuth so that the
// import page can send files to /v1/uploads/ (tus) with the session cookie.
// Sessions are AES-GCM encrypted cookies under Config.SessionKey: keep the
// key stable across restarts and identical on every process. The user is
// re-read at each request, so a disabled user or a changed role counts at
// once. Failed sign-ins are counted in memory per process (a restart forgets
// them). Cross-site requests are refused by http.CrossOriginProtection, on
// the pages and on the session-authenticated uploads.
//
// The import page sends every file with tus (resumable: the upload URL is
// kept in the browser's localStorage, so a reload or a network cut goes on
// from the server's offset) and learns outcomes from an event stream
// (Server-Sent Events, /campaigns/{id}/events) that looks at the store every
// Config.EventsEvery per open stream; streams end when Config.Done closes.
// Administrators manage users, API keys and OAuth clients under /settings/,
// read the organisation's audit trail at /settings/audit (filters, pages,
// a JSON lines export identical to GET /v1/audit-events?format=jsonl),
// request erasures of personal data at /settings/privacy (Config.Privacy)
// and change a campaign's name, description, retention and metadata
// requirement at /campaigns/{id}/settings; members get a 403 page there.
// Page reads of calls and recordings and every settings change are
// recorded in Config.Audit as "web.<thing>" events (ids only). The channel
// pages manage SFTP accounts, pull sources and Genesys through
// Channels.Manager, the service of the REST API.
package webui

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/blob"
	"github.com/callimport/callimport/internal/ingest"
	"github.com/callimport/callimport/internal/privacy"
	"github.com/callimport/callimport/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config configures the web application. Store, Ingest, Bucket and
// SessionKey are required.
type Config struct {
	Store  store.Store
	Ingest *ingest.Service
	Bucket *blob.Bucket
	// Logger defaults to discarding.
	Logger *slog.Logger
	// SessionKey (at least 32 bytes) encrypts and authenticates session cookies.
	SessionKey []byte
	// SessionTTL is how long a sign-in lasts; defaults to 12h.
	SessionTTL time.Duration
	// SecureCookies marks cookies Secure (set it when served over HTTPS).
	SecureCookies bool
	// SlowAfter failed sign-ins for one e-mail delay the next ones by one more
	// second each (at most 5s); defaults to 3.
	SlowAfter int
	// LockAfter failed sign-ins lock the e-mail for LockFor; defaults to 10.
	LockAfter int
	// LockFor defaults to 15m.
	LockFor time.Duration
	// Now defaults to time.Now.
	Now func() time.Time
	Channels
	// Audit receives sign-ins and sign-outs (nil: none); see audit.go.
	Audit audit.Recorder
	// Auth, when set, enables the settings pages for API keys and OAuth
	// clients (administrators only).
	Auth *auth.Service
	// Privacy, when set, enables the erasure pages under /settings/privacy
	// (administrators only).
	Privacy *privacy.Service
	// UploadChunk is the size of each PATCH of the import page's resumable
	// uploads; defaults to 8 MiB.
	UploadChunk int64
	// EventsEvery is how often an import page's event stream looks for
	// finished calls; defaults to 500ms.
	EventsEvery time.Duration
	// Done, when closed, ends the open event streams (the pages reconnect),
	// so that a graceful shutdown does not wait for them; nil: never.
	Done <-chan struct{}
}

type handler struct {
	cfg    Config
	log    *slog.Logger
	seal   *sealer
	limit  *limiter
	msgs   map[string][2]string
	pages  map[string]*template.Template
	static http.Handler
	cop    *http.CrossOriginProtection
}

// App is the web application: an http.Handler, CSRF-protected.
type App struct {
	h     *handler
	serve http.Handler
}

// ServeHTTP serves the pages.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.serve.ServeHTTP(w, r) }

// New returns the web application.
func New(cfg Config) (*App, error) {
	if cfg.Store == nil || cfg.Ingest == nil || cfg.Bucket == nil {
		return nil, errors.New("webui: Store, Ingest and Bucket are required")
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.SlowAfter <= 0 {
		cfg.SlowAfter = 3
	}
	if cfg.LockAfter <= 0 {
		cfg.LockAfter = 10
	}
	if cfg.LockFor <= 0 {
		cfg.LockFor = 15 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.UploadChunk <= 0 {
		cfg.UploadChunk = 8 << 20
	}
	if cfg.EventsEvery <= 0 {
		cfg.EventsEvery = 500 * time.Millisecond
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	seal, err := newSealer(cfg.SessionKey)
	if err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	h := &handler{cfg: cfg, log: log, seal: seal, msgs: messages(), pages: pages,
		limit:  newLimiter(cfg.SlowAfter, cfg.LockAfter, cfg.LockFor, 5*time.Second),
		static: http.StripPrefix("/static/", http.FileServerFS(sub)), cop: http.NewCrossOriginProtection()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /static/", h.serveStatic)
	mux.HandleFunc("GET /{$}", h.home)
	mux.HandleFunc("GET /login", h.loginPage)
	mux.HandleFunc("POST /login", h.login)
	mux.HandleFunc("POST /logout", h.logout)
	mux.HandleFunc("POST /lang", h.switchLang)
	mux.HandleFunc("GET /campaigns", h.page(h.campaigns))
	mux.HandleFunc("GET /campaigns/{id}", h.page(h.campaign))
	mux.HandleFunc("GET /campaigns/{id}/settings/import", h.page(h.importPage))
	mux.HandleFunc("POST /campaigns/{id}/import/check", h.api(h.importCheck))
	mux.HandleFunc("POST /campaigns/{id}/import", h.api(h.importFile))
	mux.HandleFunc("GET /campaigns/{id}/calls/{call}/status", h.api(h.callStatus))
	mux.HandleFunc("GET /campaigns/{id}/calls/{call}/audio", h.api(h.callAudio))
	h.routesTOTP(mux)
	h.routesChannels(mux)
	mux.HandleFunc("GET /campaigns/{id}/events", h.api(h.events))
	h.routesSettings(mux)
	h.routesAdmin(mux)
	mux.HandleFunc("/", h.notFound)
	return &App{h: h, serve: headers(h.cop.Handler(mux))}, nil
}

// headers sets the security headers of every page.
func headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; media-src 'self' blob:; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

func (h *handler) serveStatic(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	h.static.ServeHTTP(w, r)
}

func (h *handler) home(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/campaigns", http.StatusSeeOther)
}

// viewer is the signed-in user of a request.
type viewer struct {
	User store.User
	T    translator
}

// current returns the signed-in user, or false.
func (h *handler) current(r *http.Request) (store.User, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return store.User{}, false
	}
	sess, ok := h.seal.open(c.Value, h.cfg.Now())
	if !ok {
		return store.User{}, false
	}
	u, err := h.cfg.Store.UserGet(r.Context(), sess.OrgID, sess.UserID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			h.log.WarnContext(r.Context(), "session user lookup failed", "error", err)
		}
		return store.User{}, false
	}
	if u.Disabled {
		return store.User{}, false
	}
	return u, true
}

// page wraps a page handler: signed-out visitors go to /login.
func (h *handler) page(fn func(http.ResponseWriter, *http.Request, viewer)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, ok := h.current(r)
		if !ok {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if h.mustEnrol(w, r, u, false) {
			return
		}
		fn(w, r, viewer{User: u, T: h.translator(pickLang(r))})
	}
}

// api wraps a JSON or audio handler: signed-out requests get 401.
func (h *handler) api(fn func(http.ResponseWriter, *http.Request, viewer)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, ok := h.current(r)
		if !ok {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"outcome": "failed", "reason": h.translator(pickLang(r)).T("e_session")})
			return
		}
		r = h.withAuditOrigin(r, u)
		if h.mustEnrol(w, r, u, true) {
			return
		}
		fn(w, r, viewer{User: u, T: h.translator(pickLang(r))})
	}
}

func (h *handler) switchLang(w http.ResponseWriter, r *http.Request) {
	lang := r.PostFormValue("lang")
	if lang != "fr" {
		lang = "en"
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		Secure: h.cfg.SecureCookies, SameSite: http.SameSiteLaxMode, HttpOnly: true})
	http.Redirect(w, r, localPath(r.PostFormValue("next")), http.StatusSeeOther)
}

// localPath returns next when it is a path on this site, "/" otherwise.
func localPath(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.IsAbs() || u.Host != "" || len(next) < 1 || next[0] != '/' ||
		(len(next) > 1 && (next[1] == '/' || next[1] == '\\')) {
		return "/campaigns"
	}
	return next
}
