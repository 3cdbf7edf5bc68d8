package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// callJSON is a call as the API shows it.
type callJSON struct {
	ID                    string          `json:"id"`
	CampaignID            string          `json:"campaign_id"`
	Status                call.Status     `json:"status"`
	Source                call.Source     `json:"source"`
	FileName              string          `json:"file_name"`
	SizeBytes             int64           `json:"size_bytes"`
	SHA256                string          `json:"sha256"`
	ConversationTimestamp *int64          `json:"conversation_timestamp"`
	AgentEmail            *string         `json:"agent_email"`
	ExternalID            *string         `json:"external_id"`
	Metadata              []call.MetaPair `json:"metadata"`
	Audio                 *call.AudioInfo `json:"audio"`
	Duplicate             bool            `json:"duplicate"`
	RejectionReason       *string         `json:"rejection_reason"`
	CreatedAt             time.Time       `json:"created_at"`
	ImportedAt            *time.Time      `json:"imported_at"`
}

func toCallJSON(c call.Call, duplicate bool) callJSON {
	j := callJSON{
		ID: c.ID, CampaignID: c.CampaignID, Status: c.Status, Source: c.Source, FileName: c.FileName,
		SizeBytes: c.SizeBytes, SHA256: c.SHA256, Metadata: c.Metadata, Audio: c.Audio,
		Duplicate: duplicate, CreatedAt: c.CreatedAt.UTC(), ImportedAt: c.ImportedAt,
	}
	if j.Metadata == nil {
		j.Metadata = []call.MetaPair{}
	}
	if c.ConversationTime != nil {
		ts := c.ConversationTime.Unix()
		j.ConversationTimestamp = &ts
	}
	if c.AgentEmail != "" {
		j.AgentEmail = &c.AgentEmail
	}
	if c.ExternalID != "" {
		j.ExternalID = &c.ExternalID
	}
	if c.RejectionReason != "" {
		j.RejectionReason = &c.RejectionReason
	}
	if j.ImportedAt != nil {
		t := j.ImportedAt.UTC()
		j.ImportedAt = &t
	}
	return j
}

func (s *Server) getCall(w http.ResponseWriter, r *http.Request) {
	c, err := s.cfg.Store.CallGet(r.Context(), principal(r).OrgID, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, storeError(err, "call"))
		return
	}
	writeJSON(w, http.StatusOK, toCallJSON(c, false))
}

func (s *Server) deleteCall(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Erasures != nil { // crash-safe, with receipts and staging copies
		if err := s.cfg.Erasures.DeleteCall(r.Context(), principal(r).OrgID, r.PathValue("id")); err != nil {
			s.writeError(w, r, storeError(err, "call"))
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	c, err := s.cfg.Store.CallDelete(r.Context(), principal(r).OrgID, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, storeError(err, "call"))
		return
	}
	if err := s.cfg.Bucket.Delete(r.Context(), c.BlobKey); err != nil {
		// The row is gone; the blob is left for the orphan sweep of deleted calls.
		s.log.WarnContext(r.Context(), "delete call audio", "request_id", requestID(r.Context()), "call_id", c.ID, "error", err)
	}
	w.WriteHeader(http.StatusNoContent)
}

type callPage struct {
	Data       []callJSON `json:"data"`
	NextCursor *string    `json:"next_cursor"`
}

func (s *Server) listCalls(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := store.CallListParams{
		OrgID: principal(r).OrgID, CampaignID: q.Get("campaign_id"), Status: call.Status(q.Get("status")),
		Source: call.Source(q.Get("source")), AgentEmail: q.Get("agent_email"), ExternalID: q.Get("external_id"),
		Cursor: q.Get("cursor"),
	}
	var fields []call.FieldError
	if p.Status != "" && !p.Status.Valid() {
		fields = append(fields, call.FieldError{Field: "status", Reason: "must be received, processing, imported or rejected"})
	}
	if p.Source != "" && !p.Source.Valid() {
		fields = append(fields, call.FieldError{Field: "source", Reason: "must be api, web, sftp, sftp_pull or genesys"})
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			fields = append(fields, call.FieldError{Field: "limit", Reason: "must be a number from 1 to 500"})
		}
		p.Limit = n
	}
	for _, tf := range []struct {
		name string
		dst  **time.Time
	}{{"created_after", &p.CreatedAfter}, {"created_before", &p.CreatedBefore}} {
		if v := q.Get(tf.name); v != "" {
			t, reason := call.ParseTimestamp(v, s.now().Add(100*365*24*time.Hour))
			if reason != "" {
				fields = append(fields, call.FieldError{Field: tf.name, Reason: reason})
			}
			*tf.dst = &t
		}
	}
	if len(fields) > 0 {
		s.writeError(w, r, &call.Error{Code: call.CodeInvalid, Message: "invalid filters", Fields: fields})
		return
	}
	calls, next, err := s.cfg.Store.CallList(r.Context(), p)
	if err != nil {
		s.writeError(w, r, storeError(err, "cursor"))
		return
	}
	page := callPage{Data: make([]callJSON, 0, len(calls))}
	for _, c := range calls {
		page.Data = append(page.Data, toCallJSON(c, false))
	}
	if next != "" {
		page.NextCursor = &next
	}
	writeJSON(w, http.StatusOK, page)
}

// storeError turns store sentinels into domain errors naming what.
func storeError(err error, what string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &call.Error{Code: call.CodeNotFound, Message: what + " not found", Err: err}
	case errors.Is(err, store.ErrAlreadyExists):
		return &call.Error{Code: call.CodeConflict, Message: what + " already exists", Err: err}
	case errors.Is(err, store.ErrInvalidCursor):
		return &call.Error{Code: call.CodeInvalid, Message: "invalid cursor",
			Fields: []call.FieldError{{Field: "cursor", Reason: "is not a cursor returned by this API"}}}
	}
	if _, ok := errors.AsType[*call.Error](err); ok {
		return err
	}
	return &call.Error{Code: call.CodeUnavailable, Message: "storage is unavailable, try again later", Err: err}
}

// contentDisposition builds an attachment header for a display file name.
func contentDisposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, pathEscape(name))
}

func pathEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
