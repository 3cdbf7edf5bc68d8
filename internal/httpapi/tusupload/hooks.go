package tusupload

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	tusd "github.com/tus/tusd/v2/pkg/handler"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/ingest"
	"github.com/callimport/callimport/internal/store"
)

// preCreate checks a new upload before tusd creates it, so that a client
// does not send gigabytes for nothing: the metadata and the envelope (422
// naming the field), the size (422 when empty; tusd already answered 413
// over MaxSize), the campaign (404). It gives the upload its id and keeps
// only the metadata it understood.
func (h *Handler) preCreate(ev tusd.HookEvent) (tusd.HTTPResponse, tusd.FileInfoChanges, error) {
	ctx := ev.Context
	c, ok := callerFrom(ctx)
	if !ok {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, reject(ctx, call.Errorf(call.CodeUnauthenticated, "missing credentials"))
	}
	meta, err := ParseMetadata(ev.HTTPRequest.Header.Get("Upload-Metadata"))
	if err != nil {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, reject(ctx, err)
	}
	raw, _, err := envelopeOf(meta)
	if err != nil {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, reject(ctx, err)
	}
	env, err := call.ParseEnvelope(raw, h.cfg.Now())
	if ev.Upload.Size == 0 {
		fields := []call.FieldError{{Field: "file", Reason: "is empty"}}
		if e, ok := errors.AsType[*call.Error](err); ok {
			fields = append(fields, e.Fields...)
		}
		err = &call.Error{Code: call.CodeInvalid, Message: "the call envelope is invalid", Fields: fields}
	}
	if err != nil {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, reject(ctx, err)
	}
	_, err = h.cfg.Campaigns.CampaignGet(ctx, c.OrgID, env.CampaignID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		err = &call.Error{Code: call.CodeNotFound, Message: "campaign not found",
			Fields: []call.FieldError{{Field: keyCampaignID, Reason: "no such campaign"}}}
	case err != nil:
		err = unavailable("get campaign", err)
	}
	if err != nil {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, reject(ctx, err)
	}
	return tusd.HTTPResponse{}, tusd.FileInfoChanges{ID: newID(), MetaData: meta}, nil
}

// preFinish runs when the last byte has arrived, under the upload's lock:
// it ingests the upload, so that the request answers only once the call
// is committed, with the call's headers.
func (h *Handler) preFinish(ev tusd.HookEvent) (tusd.HTTPResponse, error) {
	ctx := ev.Context
	st := stateFrom(ctx)
	if st != nil && st.rc != nil {
		// The answer waits for the ingest: give it the time to.
		_ = st.rc.SetWriteDeadline(time.Now().Add(h.cfg.IngestTimeout + time.Minute))
	}
	fail := func(err error) (tusd.HTTPResponse, error) {
		if st != nil && ev.HTTPRequest.Method == http.MethodPost {
			// Creation-with-upload: the client needs the upload's URL to
			// ask again (HEAD) once the failure is over.
			st.headers = http.Header{"Location": {h.cfg.BasePath + ev.Upload.ID}}
		}
		return tusd.HTTPResponse{}, reject(ctx, err)
	}
	rec, off, err := h.store.load(ev.Upload.ID)
	if err != nil {
		return fail(h.storeError(ctx, err))
	}
	if off != rec.Size {
		return fail(&call.Error{Code: call.CodeInternal, Message: "internal error",
			Err: fmt.Errorf("upload %s finished at %d of %d bytes", rec.ID, off, rec.Size)})
	}
	out, err := h.complete(ctx, rec)
	if err != nil {
		return fail(err)
	}
	resp := tusd.HTTPResponse{Header: tusd.HTTPHeader{}}
	for k, v := range callHeaders(out) {
		resp.Header[k] = v[0]
	}
	return resp, nil
}

// complete turns an upload whose bytes have all arrived into its outcome,
// once; the caller holds the upload's lock. A call, or a refusal that would
// recur (CodeInvalid, CodeNotFound, CodeConflict, CodeNotAudio,
// CodeTooLarge), is recorded, and the bytes removed; any other failure
// leaves the upload as it is, to be completed again.
func (h *Handler) complete(ctx context.Context, rec record) (outcome, error) {
	if rec.Outcome != nil {
		return *rec.Outcome, rec.Outcome.err()
	}
	log := h.log.With("upload_id", rec.ID)
	raw, name, err := envelopeOf(rec.MetaData)
	var res ingest.Result
	if err == nil {
		var env call.Envelope
		if env, err = call.ParseEnvelope(raw, h.cfg.Now()); err == nil {
			res, err = h.ingest(ctx, rec, env, name)
		}
	}
	if err != nil && !final(err) {
		log.WarnContext(ctx, "upload ingest failed; kept for a retry", "error", err)
		return outcome{}, err
	}
	out := outcome{At: h.cfg.Now().UTC()}
	if err == nil {
		out.CallID, out.Duplicate = res.Call.ID, res.Duplicate
	} else {
		e, _ := errors.AsType[*call.Error](err)
		out.Refusal = &refusal{Code: e.Code, Message: e.Message, Fields: e.Fields}
	}
	rec.Outcome = &out
	if err := h.store.save(rec); err != nil {
		// The call is committed all the same; the next completion finds it
		// again (as a duplicate) and records it.
		log.ErrorContext(ctx, "record upload outcome", "error", err)
	} else if err := h.store.removeData(rec.ID); err != nil {
		log.WarnContext(ctx, "remove ingested upload", "error", err)
	}
	if out.Refusal != nil {
		log.InfoContext(ctx, "upload refused", "code", string(out.Refusal.Code))
	} else {
		log.InfoContext(ctx, "upload completed", "call_id", out.CallID, "duplicate", out.Duplicate,
			"size_bytes", rec.Size)
	}
	return out, out.err()
}

// ingest streams the staged bytes into the intake path. It runs to its end
// even if the client goes away meanwhile.
func (h *Handler) ingest(ctx context.Context, rec record, env call.Envelope, name string) (ingest.Result, error) {
	f, err := h.store.openData(rec.ID)
	if err != nil {
		return ingest.Result{}, unavailable("open upload", err)
	}
	defer func() { _ = f.Close() }()
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.cfg.IngestTimeout)
	defer cancel()
	return h.cfg.Ingest.Ingest(ictx, ingest.Request{OrgID: rec.OrgID, Envelope: env, Source: rec.Source,
		FileName: name, Body: f})
}

// final reports whether err is a refusal that a retry would meet again.
func final(err error) bool {
	if _, ok := errors.AsType[*call.Error](err); !ok {
		return false
	}
	switch call.ErrorCode(err) {
	case call.CodeInvalid, call.CodeNotFound, call.CodeConflict, call.CodeNotAudio, call.CodeTooLarge:
		return true
	}
	return false
}
