package webui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/callimport/callimport/internal/blob"
	"github.com/callimport/callimport/internal/call"
)

// contentTypes of the containers ingest stores.
var contentTypes = map[string]string{
	"wav": "audio/wav", "mp3": "audio/mpeg", "flac": "audio/flac", "ogg": "audio/ogg",
	"webm": "audio/webm", "mp4": "audio/mp4",
}

// callAudio streams a call's recording to the page's player. Ranges,
// If-Range and If-None-Match are handled by http.ServeContent over a seeker
// that opens blob range readers lazily, so only the bytes sent are read.
func (h *handler) callAudio(w http.ResponseWriter, r *http.Request, v viewer) {
	c, err := h.callOf(r, v)
	if err != nil {
		status, o := problem(v.T, err)
		writeJSON(w, status, o)
		return
	}
	if rg := r.Header.Get("Range"); rg == "" || strings.HasPrefix(rg, "bytes=0-") {
		// A player reads a recording in many ranges: its first one counts.
		h.recordWeb(r, v, "web.call.audio", "call", c.ID, map[string]string{"campaign_id": c.CampaignID})
	}
	ct := contentTypes[c.Format]
	if ct == "" {
		ct = "application/octet-stream"
	}
	hd := w.Header()
	hd.Set("Content-Type", ct)
	hd.Set("ETag", `"`+c.SHA256+`"`)
	hd.Set("Cache-Control", "private, max-age=3600")
	hd.Set("Content-Disposition", `inline; filename*=UTF-8''`+pathEscape(c.FileName))
	bs := &blobSeeker{ctx: r.Context(), b: h.cfg.Bucket, key: c.BlobKey, size: c.SizeBytes}
	defer bs.Close()
	http.ServeContent(w, r, "", c.CreatedAt, bs)
	if bs.err != nil {
		h.log.InfoContext(r.Context(), "audio stream failed", "call_id", c.ID, "error", bs.err)
	}
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

// blobSeeker is an io.ReadSeeker over a blob of known size.
type blobSeeker struct {
	ctx       context.Context
	b         *blob.Bucket
	key       string
	size, off int64
	r         io.ReadCloser
	err       error
}

func (s *blobSeeker) Read(p []byte) (int, error) {
	if s.off >= s.size {
		return 0, io.EOF
	}
	if s.r == nil {
		r, err := s.b.NewRangeReader(s.ctx, s.key, s.off, s.size-s.off)
		if err != nil {
			s.err = err
			return 0, &call.Error{Code: call.CodeUnavailable, Message: "the audio cannot be read", Err: err}
		}
		s.r = r
	}
	n, err := s.r.Read(p)
	s.off += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		s.err = err
	}
	return n, err
}

func (s *blobSeeker) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = s.off + offset
	case io.SeekEnd:
		abs = s.size + offset
	default:
		return 0, errors.New("seek: bad whence")
	}
	if abs < 0 {
		return 0, errors.New("seek: negative position")
	}
	if abs != s.off && s.r != nil {
		_ = s.r.Close()
		s.r = nil
	}
	s.off = abs
	return abs, nil
}

// Close releases the open range reader, if any.
func (s *blobSeeker) Close() error {
	if s.r == nil {
		return nil
	}
	err := s.r.Close()
	s.r = nil
	return err
}
