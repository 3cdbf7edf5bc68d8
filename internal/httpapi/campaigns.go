package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

type campaignJSON struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	Description     string    `json:"description"`
	RequireMetadata bool      `json:"require_metadata"`
	RetentionDays   int       `json:"retention_days"`
	AudioRules      rulesJSON `json:"audio_rules"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// rulesJSON are a campaign's audio rules; 0 means no rule.
type rulesJSON struct {
	MinDurationSeconds int `json:"min_duration_seconds"`
	MaxDurationSeconds int `json:"max_duration_seconds"`
	RequiredChannels   int `json:"required_channels"`
}

// rulesInput changes the non-nil rules.
type rulesInput struct {
	MinDurationSeconds *int `json:"min_duration_seconds"`
	MaxDurationSeconds *int `json:"max_duration_seconds"`
	RequiredChannels   *int `json:"required_channels"`
}

func toCampaignJSON(c call.Campaign) campaignJSON {
	return campaignJSON{ID: c.ID, Name: c.Name, Description: c.Description, RequireMetadata: c.RequireMetadata,
		RetentionDays: c.RetentionDays, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
		AudioRules: rulesJSON{MinDurationSeconds: c.MinDurationSeconds, MaxDurationSeconds: c.MaxDurationSeconds,
			RequiredChannels: c.RequiredChannels}}
}

// campaignInput is the body of create and update; nil fields are unchanged.
type campaignInput struct {
	Name            *string     `json:"name"`
	Description     *string     `json:"description"`
	RequireMetadata *bool       `json:"require_metadata"`
	RetentionDays   *int        `json:"retention_days"`
	AudioRules      *rulesInput `json:"audio_rules"`
}

func (in campaignInput) rules() rulesInput {
	if in.AudioRules == nil {
		return rulesInput{}
	}
	return *in.AudioRules
}

func (in campaignInput) check(create bool) error {
	var fields []call.FieldError
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" || utf8.RuneCountInString(n) > 200 || !utf8.ValidString(n) {
			fields = append(fields, call.FieldError{Field: "name", Reason: "must be 1 to 200 characters"})
		}
		*in.Name = n
	} else if create {
		fields = append(fields, call.FieldError{Field: "name", Reason: "is required"})
	}
	if in.Description != nil && utf8.RuneCountInString(*in.Description) > 2000 {
		fields = append(fields, call.FieldError{Field: "description", Reason: "must be at most 2000 characters"})
	}
	if in.RetentionDays != nil && (*in.RetentionDays < 0 || *in.RetentionDays > 36500) {
		fields = append(fields, call.FieldError{Field: "retention_days", Reason: "must be from 0 (keep forever) to 36500"})
	}
	r := in.rules()
	for _, f := range []struct {
		name string
		v    *int
		max  int
	}{{"audio_rules.min_duration_seconds", r.MinDurationSeconds, 7 * 24 * 3600}, {"audio_rules.max_duration_seconds", r.MaxDurationSeconds, 7 * 24 * 3600}, {"audio_rules.required_channels", r.RequiredChannels, 32}} {
		if f.v != nil && (*f.v < 0 || *f.v > f.max) {
			fields = append(fields, call.FieldError{Field: f.name, Reason: fmt.Sprintf("must be from 0 (no rule) to %d", f.max)})
		}
	}
	if r.MinDurationSeconds != nil && r.MaxDurationSeconds != nil && *r.MaxDurationSeconds > 0 && *r.MinDurationSeconds > *r.MaxDurationSeconds {
		fields = append(fields, call.FieldError{Field: "audio_rules.max_duration_seconds", Reason: "must not be below the minimum duration"})
	}
	if len(fields) > 0 {
		return &call.Error{Code: call.CodeInvalid, Message: "invalid campaign", Fields: fields}
	}
	return nil
}

// decodeJSON reads a JSON object body into v, refusing unknown fields.
func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return call.Errorf(call.CodeMalformed, "the body must be application/json")
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &call.Error{Code: call.CodeMalformed, Message: "the body is not a valid JSON object for this request: " + jsonReason(err), Err: err}
	}
	if dec.More() {
		return call.Errorf(call.CodeMalformed, "the body holds more than one JSON value")
	}
	return nil
}

func jsonReason(err error) string {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return "field " + te.Field + " has the wrong type"
	}
	if s := err.Error(); strings.HasPrefix(s, "json: unknown field") {
		return strings.TrimPrefix(s, "json: ")
	}
	if errors.Is(err, io.EOF) {
		return "empty body"
	}
	return "syntax error"
}

func (s *Server) createCampaign(w http.ResponseWriter, r *http.Request) {
	var in campaignInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := in.check(true); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := store.CampaignCreateParams{OrgID: principal(r).OrgID, Name: *in.Name}
	if in.Description != nil {
		p.Description = *in.Description
	}
	if in.RequireMetadata != nil {
		p.RequireMetadata = *in.RequireMetadata
	}
	if in.RetentionDays != nil {
		p.RetentionDays = *in.RetentionDays
	}
	rules := in.rules()
	if rules.MinDurationSeconds != nil {
		p.MinDurationSeconds = *rules.MinDurationSeconds
	}
	if rules.MaxDurationSeconds != nil {
		p.MaxDurationSeconds = *rules.MaxDurationSeconds
	}
	if rules.RequiredChannels != nil {
		p.RequiredChannels = *rules.RequiredChannels
	}
	c, err := s.cfg.Store.CampaignCreate(r.Context(), p)
	if err != nil {
		s.writeError(w, r, storeError(err, "a campaign with this name"))
		return
	}
	w.Header().Set("Location", "/v1/campaigns/"+c.ID)
	writeJSON(w, http.StatusCreated, toCampaignJSON(c))
}

func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request) {
	cs, err := s.cfg.Store.CampaignList(r.Context(), principal(r).OrgID)
	if err != nil {
		s.writeError(w, r, storeError(err, "campaign"))
		return
	}
	out := struct {
		Data []campaignJSON `json:"data"`
	}{Data: make([]campaignJSON, 0, len(cs))}
	for _, c := range cs {
		out.Data = append(out.Data, toCampaignJSON(c))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getCampaign(w http.ResponseWriter, r *http.Request) {
	c, err := s.cfg.Store.CampaignGet(r.Context(), principal(r).OrgID, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, storeError(err, "campaign"))
		return
	}
	writeJSON(w, http.StatusOK, toCampaignJSON(c))
}

func (s *Server) updateCampaign(w http.ResponseWriter, r *http.Request) {
	var in campaignInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := in.check(false); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.cfg.Store.CampaignUpdate(r.Context(), store.CampaignUpdateParams{
		OrgID: principal(r).OrgID, ID: r.PathValue("id"), Name: in.Name, Description: in.Description,
		RequireMetadata: in.RequireMetadata, RetentionDays: in.RetentionDays,
		MinDurationSeconds: in.rules().MinDurationSeconds, MaxDurationSeconds: in.rules().MaxDurationSeconds,
		RequiredChannels: in.rules().RequiredChannels,
	})
	if err != nil {
		s.writeError(w, r, storeError(err, "campaign"))
		return
	}
	writeJSON(w, http.StatusOK, toCampaignJSON(c))
}
