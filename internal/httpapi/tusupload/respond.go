package tusupload

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	tusd "github.com/tus/tusd/v2/pkg/handler"

	"github.com/callimport/callimport/internal/call"
)

// reqState is what the hooks and the staging store tell the response of
// the request they serve.
type reqState struct {
	// err is a domain error to answer instead of tusd's plain-text error.
	err error
	// headers are added to the response (the call of a completed upload).
	headers http.Header
	// expires is when the upload expires (Upload-Expires), if known.
	expires time.Time
	rc      *http.ResponseController
	// rel is set while the request holds an upload's lock through tusd.
	rel *releaser
}

type stateKey struct{}

func withState(ctx context.Context, st *reqState) context.Context {
	return context.WithValue(ctx, stateKey{}, st)
}

func stateFrom(ctx context.Context) *reqState {
	st, _ := ctx.Value(stateKey{}).(*reqState)
	return st
}

// reject records err (a *call.Error) as the answer of the request of ctx
// and returns the tusd error that makes tusd stop and answer it.
func reject(ctx context.Context, err error) error {
	if st := stateFrom(ctx); st != nil {
		st.err = err
	}
	code := call.ErrorCode(err)
	return tusd.NewError("ERR_"+string(code), call.ErrorMessage(err), statusOf(code))
}

// responseWriter passes tusd's successful answers through, with our
// headers added, and holds back its error answers (plain text, possibly
// with internal details) so that they can be answered as problem+json.
type responseWriter struct {
	http.ResponseWriter
	st     *reqState
	wrote  bool
	held   bool
	status int
	body   []byte
}

func (w *responseWriter) WriteHeader(code int) {
	switch {
	case w.wrote || w.held:
		return
	case code >= 400:
		w.held, w.status = true, code
		return
	case code < 200:
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.wrote = true
	hd := w.Header()
	for k, v := range w.st.headers {
		hd[k] = v
	}
	if loc := hd.Get("Location"); loc != "" {
		if u, err := url.Parse(loc); err == nil {
			hd.Set("Location", u.EscapedPath()) // relative: right behind proxies too
		}
	}
	if !w.st.expires.IsZero() {
		hd.Set("Upload-Expires", w.st.expires.UTC().Format(http.TimeFormat))
	}
	if ext := hd.Get("Tus-Extension"); ext != "" {
		hd.Set("Tus-Extension", ext+",expiration")
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.held {
		if room := 1024 - len(w.body); room > 0 {
			w.body = append(w.body, b[:min(len(b), room)]...)
		}
		return len(b), nil
	}
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets tusd's http.ResponseController reach the connection.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// answerTusError answers the error tusd held back: the domain error a hook
// or the store recorded, or tusd's own error translated.
func (h *Handler) answerTusError(w *responseWriter, r *http.Request, st *reqState) {
	out := w.ResponseWriter
	hd := out.Header()
	hd.Del("Content-Length")
	hd.Del("Content-Type")
	for k, v := range st.headers {
		hd[k] = v
	}
	if st.err != nil {
		h.cfg.WriteError(out, r, st.err)
		return
	}
	tusCode, msg := parseTusError(w.body)
	switch w.status {
	case http.StatusBadRequest:
		h.cfg.WriteError(out, r, call.Errorf(call.CodeMalformed, "%s", cmpMsg(msg, "malformed tus request")))
	case http.StatusNotFound:
		h.cfg.WriteError(out, r, call.Errorf(call.CodeNotFound, "upload not found"))
	case http.StatusConflict:
		h.cfg.WriteError(out, r, call.Errorf(call.CodeConflict,
			"Upload-Offset does not match the upload's offset; send HEAD to learn it"))
	case http.StatusRequestEntityTooLarge:
		if tusCode == "ERR_UPLOAD_SIZE_EXCEEDED" {
			h.cfg.WriteError(out, r, &call.Error{Code: call.CodeTooLarge,
				Message: "the request goes past the Upload-Length declared at creation"})
			return
		}
		h.cfg.WriteError(out, r, tooLarge(h.cfg.MaxSize))
	case http.StatusServiceUnavailable:
		h.cfg.WriteError(out, r, &call.Error{Code: call.CodeUnavailable, Message: cmpMsg(msg, "try again later")})
	case http.StatusInternalServerError:
		if tusCode == "ERR_READ_TIMEOUT" || tusCode == "ERR_CONNECTION_RESET" {
			writeStatusProblem(out, r, w.status, msg)
			return
		}
		h.cfg.WriteError(out, r, &call.Error{Code: call.CodeInternal, Message: "internal error",
			Err: errors.New("tusd: " + string(bytes.TrimSpace(w.body)))})
	default:
		writeStatusProblem(out, r, w.status, msg)
	}
}

// parseTusError splits tusd's error body "ERR_CODE: message\n".
func parseTusError(b []byte) (code, msg string) {
	c, m, ok := bytes.Cut(bytes.TrimSpace(b), []byte(": "))
	if !ok {
		return "", string(bytes.TrimSpace(b))
	}
	return string(c), string(m)
}

func cmpMsg(msg, def string) string {
	if msg == "" {
		return def
	}
	return msg
}

func tooLarge(limit int64) error {
	return &call.Error{Code: call.CodeTooLarge,
		Message: "the file is larger than the limit of " + strconv.FormatInt(limit, 10) + " bytes",
		Fields:  []call.FieldError{{Field: "file", Reason: "is too large"}}}
}

// stateLocker records a lock timeout as the request's answer (503 with
// Retry-After) instead of tusd's 500.
type stateLocker struct{ tusd.Locker }

func (l stateLocker) NewLock(id string) (tusd.Lock, error) {
	lk, err := l.Locker.NewLock(id)
	if err != nil {
		return nil, err
	}
	return stateLock{lk}, nil
}

type stateLock struct{ lock tusd.Lock }

func (l stateLock) Unlock() error { return l.lock.Unlock() }

// Lock takes the lock; while a tusd request holds it, another request
// asking for it interrupts the holder through a releaser.
func (l stateLock) Lock(ctx context.Context, requestRelease func()) error {
	st := stateFrom(ctx)
	if st != nil {
		st.rel = &releaser{release: requestRelease}
		requestRelease = st.rel.request
	}
	err := l.lock.Lock(ctx, requestRelease)
	if err != nil && st != nil {
		st.err = errBusy
	}
	return err
}

// releaser passes a request to interrupt a lock holder (tusd's
// requestRelease) on only once the holder is writing. tusd's interruption
// reads, from another goroutine, the body reader that the holder sets up
// just before WriteChunk, without synchronisation (a data race in tusd
// v2.9.1); going through this mutex orders the two. A holder that is not
// writing yet is interrupted when it starts; one that never writes (HEAD,
// DELETE) finishes soon anyway.
type releaser struct {
	mu      sync.Mutex
	writing bool
	pending bool
	release func()
}

// request is called by the goroutine that wants the lock.
func (r *releaser) request() {
	r.mu.Lock()
	writing := r.writing
	r.pending = !writing
	r.mu.Unlock()
	if writing {
		r.release()
	}
}

// startWriting is called by the holder when WriteChunk starts.
func (r *releaser) startWriting() {
	r.mu.Lock()
	r.writing = true
	pending := r.pending
	r.mu.Unlock()
	if pending {
		r.release()
	}
}

// problem is an RFC 9457 body, as the API writes it.
type problem struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Detail    string            `json:"detail,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
	Errors    []call.FieldError `json:"errors,omitempty"`
}

// statusOf is the conventional status of a code, for the fallback
// writeProblem and for tusd's own bookkeeping; the API's WriteError has the
// authoritative mapping.
func statusOf(code call.Code) int {
	switch code {
	case call.CodeInvalid:
		return http.StatusUnprocessableEntity
	case call.CodeMalformed:
		return http.StatusBadRequest
	case call.CodeNotFound:
		return http.StatusNotFound
	case call.CodeConflict:
		return http.StatusConflict
	case call.CodeNotAudio:
		return http.StatusUnsupportedMediaType
	case call.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case call.CodeUnauthenticated:
		return http.StatusUnauthorized
	case call.CodeForbidden:
		return http.StatusForbidden
	case call.CodeRateLimited:
		return http.StatusTooManyRequests
	case call.CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeProblem is the default Config.WriteError.
func writeProblem(w http.ResponseWriter, _ *http.Request, err error) {
	code := call.ErrorCode(err)
	p := problem{Type: "https://callimport.dev/problems/" + string(code), Status: statusOf(code),
		Detail: call.ErrorMessage(err), RequestID: w.Header().Get("X-Request-Id")}
	p.Title = http.StatusText(p.Status)
	if e, ok := errors.AsType[*call.Error](err); ok {
		p.Errors = e.Fields
	}
	if p.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	sendProblem(w, p)
}

// writeStatusProblem answers a protocol error that has no domain code
// (412 for a missing Tus-Resumable, 405, 501, ...).
func writeStatusProblem(w http.ResponseWriter, _ *http.Request, status int, detail string) {
	sendProblem(w, problem{Type: "about:blank", Title: http.StatusText(status), Status: status,
		Detail: detail, RequestID: w.Header().Get("X-Request-Id")})
}

func sendProblem(w http.ResponseWriter, p problem) {
	b, err := json.Marshal(p)
	if err != nil {
		panic(err) // our own type always marshals
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(p.Status)
	_, _ = w.Write(b)
}
