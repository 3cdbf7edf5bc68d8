package genesystest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ready consumes one "not ready" poll of rec and reports whether it is
// available now.
func (s *Server) ready(rec Recording) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.notReady[rec.ID]; n > 0 {
		s.notReady[rec.ID] = n - 1
		return false
	}
	return true
}

func formatOf(formatID, native string) string {
	switch formatID {
	case "WAV", "WAV_ULAW":
		return "WAV"
	case "", "WEBM", "OGG_OPUS", "OGG_VORBIS", "MP3":
		return "WEBM"
	}
	return native
}

func (s *Server) mediaURL(cid string, rec Recording, format string) string {
	ext := strings.ToUpper(format)
	p := fmt.Sprintf("/downloads/MediaCache/%s/%s/AUDIO_0%s.%s", cid, rec.ID, rec.ID[:8], ext)
	exp := strconv.FormatInt(s.cfg.Now().Add(s.cfg.MediaURLTTL).Unix(), 10)
	return s.srv.URL + p + "?response-content-disposition=attachment&Expires=" + exp +
		"&Signature=" + s.sign(p, exp) + "&Key-Pair-Id=SIMKEYPAIR"
}

func (s *Server) sign(path, exp string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(path + "?" + exp))
	return hex.EncodeToString(m.Sum(nil))
}

// recordingJSON is the Recording schema; withMedia adds mediaUris when the
// recording is available.
func (s *Server) recordingJSON(c *Conversation, rec Recording, format string, withMedia bool) map[string]any {
	m := map[string]any{"id": rec.ID, "conversationId": c.ID, "sessionId": rec.SessionID,
		"media": "audio", "mediaSubtype": "Trunk", "fileState": rec.FileState,
		"recordingFileRole": "CUSTOMER_EXPERIENCE", "creationTime": c.End.Add(time.Second).Format(isoMillis),
		"selfUri": "/api/v2/conversations/" + c.ID + "/recordings/" + rec.ID}
	if rec.FileState == "ARCHIVED" {
		m["archiveDate"] = c.End.Add(24 * time.Hour).Format(isoMillis)
		m["archiveMedium"] = "CLOUDARCHIVE"
	}
	if withMedia && rec.FileState == "AVAILABLE" {
		m["startTime"] = c.Start.Format(isoMillis)
		m["endTime"] = c.End.Format(isoMillis)
		m["originalRecordingStartTime"] = c.Start.Format(isoMillis)
		m["mediaUris"] = map[string]any{"0": map[string]any{"mediaUri": s.mediaURL(c.ID, rec, format),
			"waveformData": []float64{0.5, 0.49, 0.51}}}
		m["outputDurationMs"] = c.Duration().Milliseconds()
		m["actualTranscodeTimeMs"] = 1200
		var users []map[string]string
		for _, l := range c.Legs {
			users = append(users, map[string]string{"id": l.UserID, "name": s.users[l.UserID].Name})
		}
		m["users"] = users
	}
	return m
}

// recordings is GET …/recordings: 202 with an empty body while any
// recording is transcoding.
func (s *Server) recordings(w http.ResponseWriter, r *http.Request) {
	c, ok := s.convByID[r.PathValue("cid")]
	if !ok {
		apiError(w, r, http.StatusNotFound, "not.found", "The requested resource was not found.")
		return
	}
	if v := r.URL.Query().Get("maxWaitMs"); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n <= 0 {
			apiError(w, r, http.StatusBadRequest, "bad.request", "maxWaitMs must be greater than 0")
			return
		}
	}
	pending := false
	for _, rec := range c.Recordings {
		if !s.ready(rec) {
			pending = true
		}
	}
	if pending {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	out := []map[string]any{}
	for _, rec := range c.Recordings {
		out = append(out, s.recordingJSON(c, rec, formatOf(r.URL.Query().Get("formatId"), rec.Format), true))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) findRecording(w http.ResponseWriter, r *http.Request) (*Conversation, Recording, bool) {
	c, ok := s.convByID[r.PathValue("cid")]
	if ok {
		for _, rec := range c.Recordings {
			if rec.ID == r.PathValue("rid") {
				return c, rec, true
			}
		}
	}
	apiError(w, r, http.StatusNotFound, "not.found", "The requested resource was not found.")
	return nil, Recording{}, false
}

func (s *Server) recording(w http.ResponseWriter, r *http.Request) {
	c, rec, ok := s.findRecording(w, r)
	if !ok {
		return
	}
	if !s.ready(rec) {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	writeJSON(w, http.StatusOK, s.recordingJSON(c, rec, formatOf(r.URL.Query().Get("formatId"), rec.Format), true))
}

func (s *Server) recordingMetadata(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("rid") != "" {
		c, rec, ok := s.findRecording(w, r)
		if ok {
			writeJSON(w, http.StatusOK, s.recordingJSON(c, rec, "", false))
		}
		return
	}
	c, ok := s.convByID[r.PathValue("cid")]
	if !ok {
		apiError(w, r, http.StatusNotFound, "not.found", "The requested resource was not found.")
		return
	}
	out := []map[string]any{}
	for _, rec := range c.Recordings {
		out = append(out, s.recordingJSON(c, rec, "", false))
	}
	writeJSON(w, http.StatusOK, out)
}

type batch struct {
	id      string
	polls   int
	results []map[string]any
}

// batchSubmit is POST /api/v2/recording/batchrequests (≤ 100 items).
func (s *Server) batchSubmit(w http.ResponseWriter, r *http.Request) {
	var req struct {
		List []struct {
			ConversationID string `json:"conversationId"`
			RecordingID    string `json:"recordingId"`
		} `json:"batchDownloadRequestList"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 512000)).Decode(&req); err != nil || len(req.List) == 0 {
		apiError(w, r, http.StatusBadRequest, "bad.request", "The request could not be understood by the server due to malformed syntax.")
		return
	}
	if len(req.List) > 100 {
		apiError(w, r, http.StatusBadRequest, "constraint.validation", "batchDownloadRequestList may hold at most 100 items")
		return
	}
	b := &batch{polls: s.cfg.BatchPolls}
	for _, it := range req.List {
		c, ok := s.convByID[it.ConversationID]
		if !ok {
			b.results = append(b.results, map[string]any{"conversationId": it.ConversationID, "errorMsg": "Conversation not found"})
			continue
		}
		for _, rec := range c.Recordings {
			if it.RecordingID != "" && it.RecordingID != rec.ID {
				continue
			}
			res := map[string]any{"conversationId": c.ID, "recordingId": rec.ID}
			switch {
			case rec.FileState != "AVAILABLE":
				res["errorMsg"] = "Recording is " + strings.ToLower(rec.FileState)
			case !s.ready(rec):
				res["errorMsg"] = "Recording is not available yet: transcoding in progress"
			default:
				res["resultUrl"] = s.mediaURL(c.ID, rec, rec.Format)
				res["contentType"] = map[string]string{"WAV": "audio/wav", "WEBM": "audio/webm"}[rec.Format]
			}
			b.results = append(b.results, res)
		}
	}
	s.mu.Lock()
	s.seq++
	b.id = fmt.Sprintf("b%07d-0000-4000-8000-%012d", s.seq, len(s.batches))
	s.batches[b.id] = b
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"id": b.id, "selfUri": "/api/v2/recording/batchrequests/" + b.id})
}

func (s *Server) batchStatus(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	b, ok := s.batches[r.PathValue("id")]
	done := ok && b.polls <= 0
	if ok && b.polls > 0 {
		b.polls--
	}
	s.mu.Unlock()
	if !ok {
		apiError(w, r, http.StatusNotFound, "not.found", "The requested resource was not found.")
		return
	}
	out := map[string]any{"id": b.id, "jobId": b.id, "expectedResultCount": len(b.results),
		"selfUri": "/api/v2/recording/batchrequests/" + b.id, "status": "InProgress", "resultCount": 0, "errorCount": 0}
	if done {
		errs := 0
		for _, res := range b.results {
			if _, bad := res["errorMsg"]; bad {
				errs++
			}
		}
		out["status"], out["resultCount"], out["errorCount"], out["results"] = "Completed", len(b.results), errs, b.results
	}
	writeJSON(w, http.StatusOK, out)
}

// download serves a signed media URL: no Authorization header allowed, and
// it expires.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	deny := func(status int, code, msg string) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s</Code><Message>%s</Message></Error>", code, msg)
	}
	if r.Header.Get("Authorization") != "" {
		deny(http.StatusBadRequest, "InvalidArgument", "Only one auth mechanism allowed")
		return
	}
	q := r.URL.Query()
	exp := q.Get("Expires")
	if !hmac.Equal([]byte(q.Get("Signature")), []byte(s.sign(r.URL.Path, exp))) {
		deny(http.StatusForbidden, "AccessDenied", "Access denied")
		return
	}
	s.mu.Lock()
	forced := s.expireDL > 0
	if forced {
		s.expireDL--
	}
	s.mu.Unlock()
	if n, err := strconv.ParseInt(exp, 10, 64); err != nil || s.cfg.Now().Unix() > n || forced {
		deny(http.StatusForbidden, "AccessDenied", "Request has expired")
		return
	}
	cid, rid := r.PathValue("cid"), r.PathValue("rid")
	format := "WAV"
	if strings.HasSuffix(r.PathValue("file"), ".WEBM") {
		format = "WEBM"
	}
	s.mu.Lock()
	s.stats.Downloads++
	s.mu.Unlock()
	w.Header().Set("Content-Type", map[string]string{"WAV": "audio/wav", "WEBM": "audio/webm"}[format])
	w.Header().Set("Content-Disposition", "attachment; filename="+url.PathEscape(r.PathValue("file")))
	_, _ = w.Write(media(format, cid, rid))
}
