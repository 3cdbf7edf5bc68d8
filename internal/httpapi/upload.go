package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/formdata"
	"github.com/callimport/callimport/internal/ingest"
)

// maxFieldSize bounds each text field of the upload form (metadata is the
// largest: 50 pairs of up to 64 + 1,024 characters, JSON-quoted).
const maxFieldSize = 128 << 10

// createCall receives `multipart/form-data` with one `file` part and the
// envelope fields, in any order. The file streams into the blob store as it
// arrives (Stage); the call is committed once every field is read (Commit).
// Beyond the ingest limits (ingest.Service.Admit) it answers 429 with
// Retry-After before reading the body.
func (s *Server) createCall(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	org := principal(r).OrgID
	maxBody := s.cfg.Ingest.MaxFileSize() + 1<<20
	if r.ContentLength > maxBody {
		s.writeError(w, r, tooLarge(s.cfg.Ingest.MaxFileSize()))
		return
	}
	release, err := s.cfg.Ingest.Admit(org)
	if err != nil { // before reading the body: nothing is queued
		closeUnread(w, r)
		s.writeError(w, r, err)
		return
	}
	defer release()
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	mr, err := formdata.FromRequest(r, formdata.Config{})
	if err != nil {
		s.writeError(w, r, formError(err))
		return
	}
	defer mr.Close()
	var raw call.RawEnvelope
	var staged *ingest.Staged
	discard := func() {
		if staged != nil {
			s.cfg.Ingest.Discard(ctx, *staged)
		}
	}
	seen := map[string]bool{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			discard()
			s.writeError(w, r, formError(err))
			return
		}
		name := part.FormName()
		if name == "file" {
			if staged != nil {
				discard()
				s.writeError(w, r, invalidField("file", "only one file may be sent per request"))
				return
			}
			st, err := s.cfg.Ingest.Stage(ctx, org, part.FileName(), part)
			if err != nil {
				s.writeError(w, r, maxBytesError(err, s.cfg.Ingest.MaxFileSize()))
				return
			}
			staged = &st
			continue
		}
		dst := envelopeField(&raw, name)
		if dst == nil {
			discard()
			s.writeError(w, r, invalidField(name, "is not a known field (file, campaign_id, conversation_timestamp, agent_email, external_id, metadata)"))
			return
		}
		if seen[name] {
			discard()
			s.writeError(w, r, invalidField(name, "is sent twice"))
			return
		}
		seen[name] = true
		v, err := part.ReadField(maxFieldSize)
		if err != nil {
			discard()
			s.writeError(w, r, formError(err))
			return
		}
		*dst = v
	}
	env, err := call.ParseEnvelope(raw, s.now())
	if staged == nil {
		var fields []call.FieldError
		if e, ok := errors.AsType[*call.Error](err); ok {
			fields = e.Fields
		}
		fields = append([]call.FieldError{{Field: "file", Reason: "is required"}}, fields...)
		s.writeError(w, r, &call.Error{Code: call.CodeInvalid, Message: "the call envelope is invalid", Fields: fields})
		return
	}
	if err != nil {
		discard()
		s.writeError(w, r, err)
		return
	}
	res, err := s.cfg.Ingest.Commit(ctx, *staged, env, call.SourceAPI)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
	}
	w.Header().Set("Location", "/v1/calls/"+res.Call.ID)
	writeJSON(w, status, toCallJSON(res.Call, res.Duplicate))
}

func envelopeField(raw *call.RawEnvelope, name string) *string {
	switch name {
	case "campaign_id":
		return &raw.CampaignID
	case "conversation_timestamp":
		return &raw.ConversationTimestamp
	case "agent_email":
		return &raw.AgentEmail
	case "external_id":
		return &raw.ExternalID
	case "metadata":
		return &raw.Metadata
	}
	return nil
}

func invalidField(field, reason string) error {
	return &call.Error{Code: call.CodeInvalid, Message: "the call envelope is invalid",
		Fields: []call.FieldError{{Field: field, Reason: reason}}}
}

func tooLarge(limit int64) error {
	return &call.Error{Code: call.CodeTooLarge, Message: "the file is larger than the limit of " + strconv.FormatInt(limit, 10) + " bytes",
		Fields: []call.FieldError{{Field: "file", Reason: "is too large"}}}
}

// maxBytesError turns the body limit into CodeTooLarge.
func maxBytesError(err error, limit int64) error {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return tooLarge(limit)
	}
	return err
}

// formError classifies a multipart failure.
func formError(err error) error {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return &call.Error{Code: call.CodeTooLarge, Message: "the request body is too large", Err: err}
	}
	if _, ok := errors.AsType[*call.Error](err); ok {
		return err
	}
	if le, ok := errors.AsType[*formdata.LimitError](err); ok {
		return &call.Error{Code: call.CodeMalformed, Message: "malformed multipart/form-data body: " + strings.TrimPrefix(le.Error(), "formdata: "), Err: err}
	}
	if fe, ok := errors.AsType[*formdata.FormatError](err); ok {
		return &call.Error{Code: call.CodeMalformed, Message: "malformed multipart/form-data body: " + fe.Msg, Err: err}
	}
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &call.Error{Code: call.CodeMalformed, Message: "the upload was interrupted before the end of the form", Err: err}
	case errors.Is(err, formdata.ErrMissingBoundary):
		return &call.Error{Code: call.CodeMalformed, Message: "multipart body without boundary", Err: err}
	case errors.Is(err, formdata.ErrInvalidBoundary):
		return &call.Error{Code: call.CodeMalformed, Message: "invalid multipart boundary", Err: err}
	case errors.Is(err, formdata.ErrNotMultipart):
		return &call.Error{Code: call.CodeMalformed, Message: "the request must be multipart/form-data with a file part and the envelope fields", Err: err}
	}
	return &call.Error{Code: call.CodeMalformed, Message: "the request body cannot be read", Err: err}
}
