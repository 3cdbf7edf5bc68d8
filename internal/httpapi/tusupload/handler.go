package tusupload

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	tusd "github.com/tus/tusd/v2/pkg/handler"
	"github.com/tus/tusd/v2/pkg/memorylocker"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/ingest"
)

// Defaults of Config.
const (
	BasePathDefault      = "/v1/uploads/"
	ExpiryDefault        = 24 * time.Hour
	SweepIntervalDefault = 10 * time.Minute
	LockTimeoutDefault   = 20 * time.Second
	IngestTimeoutDefault = time.Hour
)

// CampaignGetter finds a campaign of an organisation; store.Store is one.
// It returns store.ErrNotFound for unknown campaigns and other
// organisations' campaigns.
type CampaignGetter interface {
	CampaignGet(ctx context.Context, orgID, id string) (call.Campaign, error)
}

// Config configures a Handler. Ingest, Campaigns and Dir are required; the
// zero value of every other field means its default.
type Config struct {
	// Ingest receives each completed upload.
	Ingest *ingest.Service
	// Campaigns checks the campaign of an upload at creation.
	Campaigns CampaignGetter
	// Dir is the staging folder of partial uploads (created if missing),
	// such as <data-dir>/uploads. Nothing else may write in it.
	Dir string
	// BasePath is the URL path of the upload collection, with a trailing
	// slash; defaults to /v1/uploads/.
	BasePath string
	// MaxSize refuses larger uploads with 413; defaults to
	// Ingest.MaxFileSize().
	MaxSize int64
	// Expiry is how long after its creation an upload can be resumed (or,
	// once complete, asked for its call); defaults to 24 h.
	Expiry time.Duration
	// SweepInterval is how often Run removes expired uploads and retries
	// failed completions; defaults to 10 minutes.
	SweepInterval time.Duration
	// LockTimeout bounds the wait for an upload that another request is
	// using; the request then answers 503 with Retry-After. Defaults to 20 s.
	LockTimeout time.Duration
	// IngestTimeout bounds the ingest of a completed upload; defaults to 1 h.
	IngestTimeout time.Duration
	// WriteError answers a domain error (*call.Error) as problem+json. The
	// API passes its own; defaults to a minimal equivalent.
	WriteError func(w http.ResponseWriter, r *http.Request, err error)
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
}

// Caller is who sends a request: the front end authenticates it and passes
// it with WithCaller.
type Caller struct {
	OrgID string
	// Source is recorded on the calls of the uploads the caller creates:
	// call.SourceAPI or call.SourceWeb.
	Source call.Source
}

type callerKey struct{}

// WithCaller returns ctx carrying the authenticated caller of a request.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

func callerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok && c.OrgID != ""
}

// Handler serves the tus protocol under Config.BasePath. It is an
// http.Handler; Run must run beside it for expiry and retries; Close
// releases the staging folder.
type Handler struct {
	cfg    Config
	log    *slog.Logger
	store  *staging
	locker tusd.Locker
	tus    *tusd.UnroutedHandler
	serve  http.Handler
}

// New returns a Handler over cfg.Dir, creating it if needed.
func New(cfg Config) (*Handler, error) {
	if cfg.Ingest == nil || cfg.Campaigns == nil || cfg.Dir == "" {
		return nil, errors.New("new upload handler: Ingest, Campaigns and Dir are required")
	}
	cfg.BasePath = cmp.Or(cfg.BasePath, BasePathDefault)
	if !strings.HasPrefix(cfg.BasePath, "/") || !strings.HasSuffix(cfg.BasePath, "/") {
		return nil, fmt.Errorf("new upload handler: BasePath %q must start and end with /", cfg.BasePath)
	}
	cfg.MaxSize = cmp.Or(cfg.MaxSize, cfg.Ingest.MaxFileSize())
	cfg.Expiry = cmp.Or(cfg.Expiry, ExpiryDefault)
	cfg.SweepInterval = cmp.Or(cfg.SweepInterval, SweepIntervalDefault)
	cfg.LockTimeout = cmp.Or(cfg.LockTimeout, LockTimeoutDefault)
	cfg.IngestTimeout = cmp.Or(cfg.IngestTimeout, IngestTimeoutDefault)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.WriteError == nil {
		cfg.WriteError = writeProblem
	}
	st, err := openStaging(cfg.Dir, cfg.Now, cfg.Expiry)
	if err != nil {
		return nil, fmt.Errorf("new upload handler: %w", err)
	}
	h := &Handler{cfg: cfg, log: log, store: st, locker: stateLocker{memorylocker.New()}}
	composer := tusd.NewStoreComposer()
	composer.UseCore(st)
	composer.UseTerminater(st)
	composer.UseLocker(h.locker)
	h.tus, err = tusd.NewUnroutedHandler(tusd.Config{
		StoreComposer:             composer,
		BasePath:                  cfg.BasePath,
		MaxSize:                   cfg.MaxSize,
		DisableDownload:           true,
		Cors:                      &tusd.CorsConfig{Disable: true},
		AcquireLockTimeout:        cfg.LockTimeout,
		Logger:                    tusdLogger(log),
		PreUploadCreateCallback:   h.preCreate,
		PreFinishResponseCallback: h.preFinish,
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("new upload handler: %w", err), st.root.Close())
	}
	h.serve = h.tus.Middleware(http.HandlerFunc(h.route))
	return h, nil
}

// WithErrorWriter returns a Handler that answers errors with writeError (a
// front end's problem+json writer) and shares everything else with h: use
// it to mount h in a front end built after it.
func (h *Handler) WithErrorWriter(writeError func(w http.ResponseWriter, r *http.Request, err error)) *Handler {
	v := *h
	v.cfg.WriteError = writeError
	return &v
}

// Close releases the staging folder.
func (h *Handler) Close() error { return h.store.root.Close() }

// ServeHTTP serves the tus protocol. Every method but OPTIONS needs a
// Caller in the request context (WithCaller).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Method overriding (tus clients for environments without PATCH) is
	// applied here, before routing, rather than by tusd.
	if m := r.Header.Get("X-HTTP-Method-Override"); r.Method == http.MethodPost && m != "" {
		r.Method = m
		r.Header.Del("X-HTTP-Method-Override")
	}
	st := &reqState{rc: http.NewResponseController(w)}
	rw := &responseWriter{ResponseWriter: w, st: st}
	rest, ok := strings.CutPrefix(r.URL.Path, h.cfg.BasePath)
	if !ok && r.URL.Path+"/" == h.cfg.BasePath {
		rest, ok = "", true
	}
	if !ok {
		h.cfg.WriteError(w, r, call.Errorf(call.CodeNotFound, "no such route: %s %s", r.Method, r.URL.Path))
		return
	}
	if r.Method == http.MethodOptions {
		h.serveTus(rw, r, st, "")
		return
	}
	caller, ok := callerFrom(r.Context())
	if !ok {
		h.cfg.WriteError(w, r, call.Errorf(call.CodeUnauthenticated, "missing credentials"))
		return
	}
	switch {
	case rest == "" && r.Method == http.MethodPost:
		h.serveTus(rw, r, st, "")
	case rest == "":
		methodNotAllowed(w, r, "POST, OPTIONS")
	case r.Method != http.MethodHead && r.Method != http.MethodPatch && r.Method != http.MethodDelete:
		methodNotAllowed(w, r, "HEAD, PATCH, DELETE, OPTIONS")
	default:
		h.serveUpload(rw, r, st, caller, rest)
	}
}

// serveUpload serves HEAD, PATCH and DELETE on the upload id, which must be
// the caller's.
func (h *Handler) serveUpload(w *responseWriter, r *http.Request, st *reqState, caller Caller, id string) {
	rec, off, err := h.store.load(id)
	if err == nil && rec.OrgID != caller.OrgID {
		err = errUnknown
	}
	if err != nil {
		h.cfg.WriteError(w.ResponseWriter, r, h.storeError(r.Context(), err))
		return
	}
	if r.Method != http.MethodDelete && off == rec.Size {
		if r.Method == http.MethodHead || r.Header.Get("Upload-Offset") == strconv.FormatInt(rec.Size, 10) {
			h.answerComplete(w.ResponseWriter, r, id)
			return
		}
		// Any other offset is a conflict (tusd answers it), but the client
		// still learns the call.
		if rec.Outcome != nil && rec.Outcome.Refusal == nil {
			st.headers = callHeaders(*rec.Outcome)
		}
	}
	h.serveTus(w, r, st, id)
}

// serveTus hands the request to tusd with its path reduced to the upload
// id, then answers tusd's errors as problem+json.
func (h *Handler) serveTus(w *responseWriter, r *http.Request, st *reqState, id string) {
	r2 := r.WithContext(withState(r.Context(), st))
	r2.URL = new(url.URL)
	*r2.URL = *r.URL
	r2.URL.Path, r2.URL.RawPath = "/"+id, ""
	h.serve.ServeHTTP(w, r2)
	if w.held {
		h.answerTusError(w, r, st)
	}
}

// route is tusd's routing, once our middleware has checked the caller.
func (h *Handler) route(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		h.tus.PostFile(w, r)
	case http.MethodHead:
		h.tus.HeadFile(w, r)
	case http.MethodPatch:
		h.tus.PatchFile(w, r)
	case http.MethodDelete:
		h.tus.DelFile(w, r)
	default:
		methodNotAllowed(w, r, "POST, HEAD, PATCH, DELETE, OPTIONS")
	}
}

// answerComplete answers HEAD, or PATCH at the final offset, on an upload
// whose bytes have all arrived: it completes the upload if that has not
// happened yet (a failed ingest is retried here), then answers with its call.
func (h *Handler) answerComplete(w http.ResponseWriter, r *http.Request, id string) {
	ctx := r.Context()
	lock, err := h.lock(ctx, id)
	if err != nil {
		h.cfg.WriteError(w, r, err)
		return
	}
	defer h.unlock(ctx, lock, id)
	rec, _, err := h.store.load(id)
	if err != nil {
		h.cfg.WriteError(w, r, h.storeError(ctx, err))
		return
	}
	hd := w.Header()
	hd.Set("Tus-Resumable", "1.0.0")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Upload-Offset", strconv.FormatInt(rec.Size, 10))
	hd.Set("Upload-Length", strconv.FormatInt(rec.Size, 10))
	out, err := h.complete(ctx, rec)
	if err != nil {
		h.cfg.WriteError(w, r, err)
		return
	}
	for k, v := range callHeaders(out) {
		hd[k] = v
	}
	if r.Method == http.MethodHead {
		if len(rec.MetaData) > 0 {
			hd.Set("Upload-Metadata", tusd.SerializeMetadataHeader(rec.MetaData))
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// callHeaders tell the client which call its upload became.
func callHeaders(o outcome) http.Header {
	hd := http.Header{}
	hd.Set("Upload-Call-Id", o.CallID)
	hd.Set("Upload-Call-Location", "/v1/calls/"+o.CallID)
	if o.Duplicate {
		hd.Set("Upload-Call-Duplicate", "true")
	}
	return hd
}

// lock takes the upload's lock, waiting at most LockTimeout.
func (h *Handler) lock(ctx context.Context, id string) (tusd.Lock, error) {
	l, err := h.locker.NewLock(id)
	if err != nil {
		return nil, unavailable("new lock", err)
	}
	lctx, cancel := context.WithTimeout(ctx, h.cfg.LockTimeout)
	defer cancel()
	// Whoever asks for the lock while we hold it waits: a completion is
	// not interrupted.
	if err := l.Lock(lctx, func() {}); err != nil {
		return nil, errBusy
	}
	return l, nil
}

func (h *Handler) unlock(ctx context.Context, l tusd.Lock, id string) {
	if err := l.Unlock(); err != nil {
		h.log.WarnContext(ctx, "unlock upload", "upload_id", id, "error", err)
	}
}

// errBusy answers a request for an upload that another request holds.
var errBusy = &call.Error{Code: call.CodeUnavailable,
	Message: "another request is using this upload; try again shortly"}

// storeError turns a staging error into a domain error.
func (h *Handler) storeError(ctx context.Context, err error) error {
	if errors.Is(err, errUnknown) {
		return call.Errorf(call.CodeNotFound, "upload not found")
	}
	h.log.ErrorContext(ctx, "upload staging", "error", err)
	return unavailable("upload staging", err)
}

func unavailable(op string, err error) error {
	return &call.Error{Code: call.CodeUnavailable, Message: "storage is unavailable, try again later",
		Err: fmt.Errorf("%s: %w", op, err)}
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	writeStatusProblem(w, r, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed here")
}
