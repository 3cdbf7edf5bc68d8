package webui

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// routesAdmin mounts the administrators' audit page and export, the
// erasure pages and the campaign settings form.
func (h *handler) routesAdmin(mux *http.ServeMux) {
	mux.HandleFunc("GET /settings/audit", h.adminPage(h.auditPage))
	mux.HandleFunc("GET /settings/audit/export", h.adminPage(h.auditExport))
	mux.HandleFunc("GET /settings/privacy", h.adminPage(h.privacyPage))
	mux.HandleFunc("POST /settings/privacy", h.adminPage(h.privacyRequest))
	mux.HandleFunc("GET /settings/privacy/{erasure}", h.adminPage(h.erasurePage))
	mux.HandleFunc("GET /campaigns/{id}/settings", h.adminPage(h.campaignSettingsPage))
	mux.HandleFunc("POST /campaigns/{id}/settings", h.adminPage(h.campaignSettingsSave))
}

// auditFilter is the audit page's filter as typed (shown back in the form).
type auditFilter struct {
	Action, ActorID, TargetID, Outcome, Since, Until string
}

// auditPageData is what the audit page shows.
type auditPageData struct {
	Enabled  bool
	Filter   auditFilter
	Outcomes []string
	Entries  []audit.Entry
	Errors   fieldErrors
	// NextURL, FirstURL and ExportURL keep the filter; "" when there is none.
	NextURL, FirstURL, ExportURL string
}

// auditParams reads the filter of the query into list parameters of the
// viewer's organisation; errs gets a message per bad field.
func auditParams(q url.Values, orgID string, t translator, errs fieldErrors) (store.AuditListParams, auditFilter) {
	f := auditFilter{Action: strings.TrimSpace(q.Get("action")), ActorID: strings.TrimSpace(q.Get("actor_id")),
		TargetID: strings.TrimSpace(q.Get("target_id")), Outcome: q.Get("outcome"),
		Since: strings.TrimSpace(q.Get("since")), Until: strings.TrimSpace(q.Get("until"))}
	p := store.AuditListParams{OrgID: orgID, Action: f.Action, ActorID: f.ActorID, TargetID: f.TargetID, Outcome: f.Outcome}
	switch f.Outcome {
	case "", audit.OutcomeSuccess, audit.OutcomeFailure, audit.OutcomeDenied:
	default:
		errs["outcome"], p.Outcome, f.Outcome = t.T("e_choice"), "", ""
	}
	for _, tf := range []struct {
		name, v string
		dst     **time.Time
	}{{"since", f.Since, &p.Since}, {"until", f.Until, &p.Until}} {
		if tf.v == "" {
			continue
		}
		at, ok := parseWhen(tf.v)
		if !ok {
			errs[tf.name] = t.T("e_when")
			continue
		}
		*tf.dst = &at
	}
	return p, f
}

// parseWhen reads an RFC 3339 time, a datetime-local value or a date (UTC).
func parseWhen(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if at, err := time.Parse(layout, v); err == nil {
			return at.UTC(), true
		}
	}
	return time.Time{}, false
}

// query returns f as query parameters (empty ones left out).
func (f auditFilter) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"action": f.Action, "actor_id": f.ActorID, "target_id": f.TargetID,
		"outcome": f.Outcome, "since": f.Since, "until": f.Until} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// auditPage lists the organisation's audit events, newest first, a page at
// a time (the store's cursor), with filters.
func (h *handler) auditPage(w http.ResponseWriter, r *http.Request, v viewer) {
	d := auditPageData{Errors: fieldErrors{}, Outcomes: []string{audit.OutcomeSuccess, audit.OutcomeFailure, audit.OutcomeDenied}}
	st, ok := h.cfg.Store.(store.Audit)
	p, f := auditParams(r.URL.Query(), v.User.OrgID, v.T, d.Errors)
	d.Filter, d.Enabled = f, ok
	status := http.StatusOK
	if len(d.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	if ok && len(d.Errors) == 0 {
		p.Cursor, p.Limit = r.URL.Query().Get("cursor"), 50
		recs, next, err := st.AuditList(r.Context(), p)
		if errors.Is(err, store.ErrInvalidCursor) {
			p.Cursor = ""
			recs, next, err = st.AuditList(r.Context(), p)
		}
		if err != nil {
			h.fail(w, r, v, &call.Error{Code: call.CodeUnavailable, Message: "storage is unavailable", Err: err})
			return
		}
		for _, rec := range recs {
			d.Entries = append(d.Entries, audit.EntryOf(rec))
		}
		q := f.query()
		d.ExportURL = "/settings/audit/export?" + q.Encode()
		if p.Cursor != "" {
			d.FirstURL = "/settings/audit?" + q.Encode()
		}
		if next != "" {
			q.Set("cursor", next)
			d.NextURL = "/settings/audit?" + q.Encode()
		}
	}
	h.render(w, r, status, "settings_audit", v.T, &v.User, v.T.T("audit_title"), d)
}

// auditExport streams every event of the filter, oldest first, one JSON
// object a line: the content of GET /v1/audit-events?format=jsonl. The
// first page is read before the answer starts, so that a failing store
// answers the error page; a later failure cuts the stream (logged).
func (h *handler) auditExport(w http.ResponseWriter, r *http.Request, v viewer) {
	st, ok := h.cfg.Store.(store.Audit)
	if !ok {
		h.notFound(w, r)
		return
	}
	errs := fieldErrors{}
	p, _ := auditParams(r.URL.Query(), v.User.OrgID, v.T, errs)
	if len(errs) > 0 {
		http.Redirect(w, r, "/settings/audit?"+r.URL.RawQuery, http.StatusSeeOther)
		return
	}
	p.Ascending, p.Limit = true, store.MaxAuditListLimit
	recs, next, err := st.AuditList(r.Context(), p)
	if err != nil {
		h.fail(w, r, v, &call.Error{Code: call.CodeUnavailable, Message: "storage is unavailable", Err: err})
		return
	}
	h.recordWeb(r, v, "web.audit.export", "org", v.User.OrgID, nil)
	hd := w.Header()
	hd.Set("Content-Type", "application/x-ndjson")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="audit-%s.jsonl"`, h.cfg.Now().UTC().Format("20060102-150405")))
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	rc := http.NewResponseController(w)
	for {
		for _, rec := range recs {
			if err := enc.Encode(audit.EntryOf(rec)); err != nil {
				return // the browser went away
			}
		}
		_ = rc.Flush()
		if next == "" {
			return
		}
		p.Cursor = next
		if recs, next, err = st.AuditList(r.Context(), p); err != nil {
			h.log.ErrorContext(r.Context(), "audit export cut", "user_id", v.User.ID, "error", err)
			return
		}
	}
}
