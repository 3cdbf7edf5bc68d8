package httpapi

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// routesAudit serves the organisation's audit trail to admins.
func (s *Server) routesAudit() {
	s.handle("GET /v1/audit-events", s.authed(store.ScopeAdmin, s.listAuditEvents))
}

type auditPage struct {
	Data       []audit.Entry `json:"data"`
	NextCursor *string       `json:"next_cursor"`
}

// ndjson is the media type of an export.
const ndjson = "application/x-ndjson"

// listAuditEvents answers a page of the trail, newest first, or exports
// every matching event as JSON lines, oldest first.
func (s *Server) listAuditEvents(w http.ResponseWriter, r *http.Request) {
	st, ok := s.cfg.Store.(store.Audit)
	if !ok {
		s.writeError(w, r, &call.Error{Code: call.CodeUnavailable, Message: "the audit trail is not available",
			Err: fmt.Errorf("store %T has no audit trail", s.cfg.Store)})
		return
	}
	q := r.URL.Query()
	p := store.AuditListParams{OrgID: principal(r).OrgID, Action: q.Get("action"), ActorID: q.Get("actor_id"),
		TargetID: q.Get("target_id"), Outcome: q.Get("outcome"), Cursor: q.Get("cursor")}
	var fields []call.FieldError
	switch p.Outcome {
	case "", audit.OutcomeSuccess, audit.OutcomeFailure, audit.OutcomeDenied:
	default:
		fields = append(fields, call.FieldError{Field: "outcome", Reason: "must be success, failure or denied"})
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxAuditListLimit {
			fields = append(fields, call.FieldError{Field: "limit", Reason: "must be a number from 1 to 1000"})
		}
		p.Limit = n
	}
	for _, tf := range []struct {
		name string
		dst  **time.Time
	}{{"since", &p.Since}, {"until", &p.Until}} {
		if v := q.Get(tf.name); v != "" {
			t, reason := call.ParseTimestamp(v, s.now().Add(100*365*24*time.Hour))
			if reason != "" {
				fields = append(fields, call.FieldError{Field: tf.name, Reason: reason})
			}
			*tf.dst = &t
		}
	}
	export := false
	switch f := q.Get("format"); f {
	case "":
		export = acceptsNDJSON(r.Header.Get("Accept"))
	case "jsonl":
		export = true
	default:
		fields = append(fields, call.FieldError{Field: "format", Reason: "must be jsonl"})
	}
	if len(fields) > 0 {
		s.writeError(w, r, &call.Error{Code: call.CodeInvalid, Message: "invalid filters", Fields: fields})
		return
	}
	if export {
		s.exportAuditEvents(w, r, st, p)
		return
	}
	recs, next, err := st.AuditList(r.Context(), p)
	if err != nil {
		s.writeError(w, r, storeError(err, "audit events"))
		return
	}
	page := auditPage{Data: make([]audit.Entry, 0, len(recs))}
	for _, rec := range recs {
		page.Data = append(page.Data, audit.EntryOf(rec))
	}
	if next != "" {
		page.NextCursor = &next
	}
	writeJSON(w, http.StatusOK, page)
}

// exportAuditEvents streams every event matching p, oldest first, one JSON
// object a line. The first page is read before the answer starts, so that
// a failing store still answers an error; a later failure cuts the stream
// (and is logged).
func (s *Server) exportAuditEvents(w http.ResponseWriter, r *http.Request, st store.Audit, p store.AuditListParams) {
	p.Ascending, p.Cursor, p.Limit = true, "", store.MaxAuditListLimit
	recs, next, err := st.AuditList(r.Context(), p)
	if err != nil {
		s.writeError(w, r, storeError(err, "audit events"))
		return
	}
	w.Header().Set("Content-Type", ndjson)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	rc := http.NewResponseController(w)
	for {
		for _, rec := range recs {
			if err := enc.Encode(audit.EntryOf(rec)); err != nil {
				return // the client went away
			}
		}
		_ = rc.Flush()
		if next == "" {
			return
		}
		p.Cursor = next
		if recs, next, err = st.AuditList(r.Context(), p); err != nil {
			s.log.ErrorContext(r.Context(), "audit export cut", "request_id", requestID(r.Context()), "error", err)
			return
		}
	}
}

// acceptsNDJSON reports whether an Accept header asks for JSON lines
// before JSON.
func acceptsNDJSON(accept string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case ndjson, "application/jsonl", "application/json-lines":
			return true
		case "application/json":
			return false
		}
	}
	return false
}
