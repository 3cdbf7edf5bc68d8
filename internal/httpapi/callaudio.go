package httpapi

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/callimport/callimport/internal/call"
)

// contentTypes of the containers we store.
var contentTypes = map[string]string{
	"wav": "audio/wav", "mp3": "audio/mpeg", "flac": "audio/flac", "ogg": "audio/ogg",
	"webm": "audio/webm", "mp4": "audio/mp4",
}

// getCallAudio streams a call's audio, honouring a single byte Range
// (RFC 9110 §14) so that players can seek. Several ranges are answered with
// the whole file, which the RFC allows.
func (s *Server) getCallAudio(w http.ResponseWriter, r *http.Request) {
	c, err := s.cfg.Store.CallGet(r.Context(), principal(r).OrgID, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, storeError(err, "call"))
		return
	}
	size := c.SizeBytes
	etag := `"` + c.SHA256 + `"`
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", "private, max-age=3600")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	rangeHeader := r.Header.Get("Range")
	if ir := r.Header.Get("If-Range"); ir != "" && ir != etag {
		rangeHeader = "" // the representation changed: send it whole
	}
	off, length, partial, ok := parseRange(rangeHeader, size)
	if !ok {
		w.Header().Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
		writeProblem(w, Problem{Type: "about:blank", Title: "Range Not Satisfiable", Status: http.StatusRequestedRangeNotSatisfiable,
			Detail: "the requested range is outside the file", RequestID: requestID(r.Context())})
		return
	}
	rc, err := s.cfg.Bucket.NewRangeReader(r.Context(), c.BlobKey, off, length)
	if err != nil {
		s.writeError(w, r, &call.Error{Code: call.CodeUnavailable, Message: "the audio cannot be read right now", Err: err})
		return
	}
	defer rc.Close()
	h := w.Header()
	ct := contentTypes[c.Format]
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("Accept-Ranges", "bytes")
	h.Set("ETag", etag)
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("Content-Disposition", strings.Replace(contentDisposition(c.FileName), "attachment", "inline", 1))
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	status := http.StatusOK
	if partial {
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, off+length-1, size))
		status = http.StatusPartialContent
	}
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, rc); err != nil {
		s.log.InfoContext(r.Context(), "audio download cut", "request_id", requestID(r.Context()), "call_id", c.ID, "error", err)
	}
}

// parseRange reads a "bytes=" Range header for a file of size bytes. It
// returns the offset and length to send, whether it is partial, and false
// when the range cannot be satisfied.
func parseRange(h string, size int64) (off, length int64, partial, ok bool) {
	if h == "" || !strings.HasPrefix(h, "bytes=") || strings.Contains(h, ",") {
		return 0, size, false, true
	}
	spec := strings.TrimSpace(strings.TrimPrefix(h, "bytes="))
	first, last, found := strings.Cut(spec, "-")
	if !found {
		return 0, size, false, true
	}
	if first == "" { // suffix: last N bytes
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, false, false
		}
		n = min(n, size)
		return size - n, n, true, size > 0
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 || start >= size {
		return 0, 0, false, false
	}
	end := size - 1
	if last != "" {
		e, err := strconv.ParseInt(last, 10, 64)
		if err != nil || e < start {
			return 0, 0, false, false
		}
		end = min(e, size-1)
	}
	return start, end - start + 1, true, true
}

// etagMatches reports whether an If-None-Match list holds etag (weak
// comparison, RFC 9110 §13.1.2) or is "*".
func etagMatches(header, etag string) bool {
	for v := range strings.SplitSeq(header, ",") {
		v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
		if v == "*" || v == etag {
			return true
		}
	}
	return false
}
