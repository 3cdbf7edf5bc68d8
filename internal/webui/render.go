package webui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// pageNames are the templates under templates/, each rendered inside layout.html.
var pageNames = []string{"login", "campaigns", "campaign", "import", "notfound", "error", "forbidden", "keys", "users", "password"}

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"duration": formatDuration,
		"whenp":    formatTime,
		"ptime":    func(t time.Time) *time.Time { return &t },
		"json":     func(v any) (string, error) { b, err := json.Marshal(v); return string(b), err },
	}
	pages := make(map[string]*template.Template, len(pageNames)+len(totpPageNames)+len(channelPages))
	for _, name := range slices.Concat(pageNames, totpPageNames, channelPages, adminPageNames) {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse page %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// pageData is what every template receives.
type pageData struct {
	T     translator
	User  *store.User
	Path  string
	Title string
	Data  any
}

// render writes page name with status; a template failure is logged and
// answered with a bare 500.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name string, t translator, user *store.User, title string, data any) {
	var buf bytes.Buffer
	if err := h.pages[name].Execute(&buf, pageData{T: t, User: user, Path: r.URL.RequestURI(), Title: title, Data: data}); err != nil {
		h.log.ErrorContext(r.Context(), "render page failed", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	u, ok := h.current(r)
	var up *store.User
	if ok {
		up = &u
	}
	t := h.translator(pickLang(r))
	h.render(w, r, http.StatusNotFound, "notfound", t, up, t.T("not_found"), nil)
}

// fail answers a page request with the page that err calls for: not found
// for unknown (or another organisation's) objects, an error page otherwise.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, v viewer, err error) {
	if call.ErrorCode(err) == call.CodeNotFound {
		h.render(w, r, http.StatusNotFound, "notfound", v.T, &v.User, v.T.T("not_found"), nil)
		return
	}
	h.log.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "error", err)
	h.render(w, r, http.StatusInternalServerError, "error", v.T, &v.User, v.T.T("error"), nil)
}

// outcome is the JSON answer of the import and status routes.
type outcome struct {
	// Outcome is imported, duplicate, rejected, checking or failed.
	Outcome  string            `json:"outcome"`
	CallID   string            `json:"call_id,omitempty"`
	Status   call.Status       `json:"status,omitempty"`
	Duration float64           `json:"duration_seconds,omitempty"`
	Reason   string            `json:"reason,omitempty"`
	Fields   []call.FieldError `json:"fields,omitempty"`
}

// problem maps a domain error to an HTTP status and a message in the
// viewer's language: the one place where the web app translates errors.
func problem(t translator, err error) (int, outcome) {
	o := outcome{Outcome: "rejected"}
	if e, ok := errors.AsType[*call.Error](err); ok {
		o.Fields = e.Fields
	}
	switch call.ErrorCode(err) {
	case call.CodeNotAudio:
		return http.StatusUnsupportedMediaType, withReason(o, t.T("e_not_audio"))
	case call.CodeTooLarge:
		return http.StatusRequestEntityTooLarge, withReason(o, t.T("e_too_large"))
	case call.CodeInvalid:
		return http.StatusUnprocessableEntity, withReason(o, t.T("e_invalid"))
	case call.CodeMalformed:
		return http.StatusBadRequest, withReason(outcome{Outcome: "failed", Fields: o.Fields}, t.T("e_other"))
	case call.CodeConflict:
		return http.StatusConflict, withReason(o, t.T("e_conflict"))
	case call.CodeNotFound:
		return http.StatusNotFound, withReason(outcome{Outcome: "failed"}, t.T("not_found_text"))
	case call.CodeUnavailable:
		return http.StatusServiceUnavailable, withReason(outcome{Outcome: "failed"}, t.T("e_unavailable"))
	case call.CodeRateLimited: // the server is busy: the file can be retried
		return http.StatusTooManyRequests, withReason(outcome{Outcome: "failed"}, t.T("e_unavailable"))
	}
	return http.StatusInternalServerError, withReason(outcome{Outcome: "failed"}, t.T("e_other"))
}

func withReason(o outcome, reason string) outcome { o.Reason = reason; return o }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func formatDuration(a *call.AudioInfo) string {
	if a == nil {
		return "—"
	}
	d := time.Duration(a.DurationSeconds * float64(time.Second)).Round(time.Second)
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

func formatTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
