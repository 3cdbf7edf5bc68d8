package webui

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/ingest"
)

// maxFieldSize bounds each text field of an import form.
const maxFieldSize = 64 << 10

type importData struct {
	Campaign call.Campaign
	MaxSize  int64
	Chunk    int64
	// Since (Unix ms, by the server's clock) is where the page's event
	// stream starts: a little before the page was served.
	Since int64
}

func (h *handler) importPage(w http.ResponseWriter, r *http.Request, v viewer) {
	camp, err := h.campaignOf(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	h.render(w, r, http.StatusOK, "import", v.T, &v.User, v.T.T("import")+" — "+camp.Name,
		importData{Campaign: camp, MaxSize: h.cfg.Ingest.MaxFileSize(), Chunk: h.cfg.UploadChunk,
			Since: h.cfg.Now().Add(-5 * time.Minute).UnixMilli()})
}

// batchEnvelope validates the batch fields with the API's rules.
func (h *handler) batchEnvelope(campaignID string, fields map[string]string) (call.Envelope, error) {
	return call.ParseEnvelope(call.RawEnvelope{
		CampaignID:            campaignID,
		AgentEmail:            fields["agent_email"],
		ConversationTimestamp: fields["conversation_timestamp"],
		Metadata:              fields["metadata"],
	}, h.cfg.Now())
}

// importCheck validates the batch fields before any file is sent.
func (h *handler) importCheck(w http.ResponseWriter, r *http.Request, v viewer) {
	camp, err := h.campaignOf(r, v)
	if err != nil {
		status, o := problem(v.T, err)
		writeJSON(w, status, o)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4*maxFieldSize)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, outcome{Outcome: "failed", Reason: v.T.T("e_other")})
		return
	}
	fields := map[string]string{}
	for _, k := range []string{"agent_email", "conversation_timestamp", "metadata"} {
		fields[k] = r.PostForm.Get(k)
	}
	if _, err := h.batchEnvelope(camp.ID, fields); err != nil {
		_, o := problem(v.T, err)
		o.Outcome = "invalid"
		writeJSON(w, http.StatusOK, o)
		return
	}
	writeJSON(w, http.StatusOK, outcome{Outcome: "ok"})
}

// importFile takes one recording as multipart/form-data: the optional batch
// fields first, then the part named "file", streamed into ingest without
// buffering. It answers the outcome as JSON with status 200: duplicate,
// checking (the probe runs; poll the status route), or rejected with the
// reason; failures (cut upload, session ended, storage down) get 4xx/5xx
// with outcome "failed".
func (h *handler) importFile(w http.ResponseWriter, r *http.Request, v viewer) {
	camp, err := h.campaignOf(r, v)
	if err != nil {
		status, o := problem(v.T, err)
		writeJSON(w, status, o)
		return
	}
	release, err := h.cfg.Ingest.Admit(v.User.OrgID)
	if err != nil { // busy: refused before the body is read
		status, o := problem(v.T, err)
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Connection", "close")
		writeJSON(w, status, o)
		return
	}
	defer release()
	r.Body = http.MaxBytesReader(w, r.Body, h.cfg.Ingest.MaxFileSize()+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		writeJSON(w, http.StatusBadRequest, outcome{Outcome: "failed", Reason: v.T.T("e_other")})
		return
	}
	fields := map[string]string{}
	for {
		part, err := mr.NextPart()
		if err != nil {
			h.answer(w, r, v, nil, false, malformed(err))
			return
		}
		name := part.FormName()
		if name == "file" {
			res, err := h.ingestPart(r, v, camp.ID, fields, part)
			h.answer(w, r, v, &res, res.Duplicate, err)
			return
		}
		b, err := io.ReadAll(io.LimitReader(part, maxFieldSize+1))
		if err != nil || len(b) > maxFieldSize {
			h.answer(w, r, v, nil, false, malformed(err))
			return
		}
		fields[name] = string(b)
	}
}

func (h *handler) ingestPart(r *http.Request, v viewer, campaignID string, fields map[string]string, part *multipart.Part) (ingest.Result, error) {
	env, err := h.batchEnvelope(campaignID, fields)
	if err != nil {
		return ingest.Result{}, err
	}
	return h.cfg.Ingest.Ingest(r.Context(), ingest.Request{OrgID: v.User.OrgID, Envelope: env,
		Source: call.SourceWeb, FileName: part.FileName(), Body: part})
}

// malformed turns a multipart reading failure into a domain error.
func malformed(err error) error {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return &call.Error{Code: call.CodeTooLarge, Message: "the file is too large", Err: err}
	}
	if err == nil || errors.Is(err, io.EOF) {
		return &call.Error{Code: call.CodeInvalid, Message: "no file",
			Fields: []call.FieldError{{Field: "file", Reason: "is required"}}}
	}
	return &call.Error{Code: call.CodeMalformed, Message: "the upload was cut", Err: err}
}

func (h *handler) answer(w http.ResponseWriter, r *http.Request, v viewer, res *ingest.Result, dup bool, err error) {
	if err != nil {
		status, o := problem(v.T, err)
		if status >= 500 || call.ErrorCode(err) == call.CodeMalformed {
			h.log.WarnContext(r.Context(), "web import failed", "error", err)
		}
		if len(o.Fields) > 0 && o.Reason != "" && call.ErrorCode(err) == call.CodeInvalid {
			var parts []string
			for _, f := range o.Fields {
				parts = append(parts, f.Field+": "+f.Reason)
			}
			o.Reason += " (" + strings.Join(parts, "; ") + ")"
		}
		// Drain what is left so that the browser reads the answer instead of
		// seeing a reset while it is still sending.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 64<<20))
		if o.Outcome == "rejected" {
			// A refused file is an outcome the page shows, not a failed
			// request (and the browser then logs no console error).
			status = http.StatusOK
		}
		writeJSON(w, status, o)
		return
	}
	writeJSON(w, http.StatusOK, outcomeOf(v.T, res.Call, dup))
}
