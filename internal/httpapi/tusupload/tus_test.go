package tusupload_test

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/call"
)

func meta(tn tenant) map[string]string {
	return map[string]string{"filename": "call.wav", "campaign_id": tn.campaign}
}

// wantCall checks that r names a call of tn holding data, and returns it.
func (e *env) wantCall(t *testing.T, r resp, tn tenant, data []byte) call.Call {
	t.Helper()
	id := r.Header.Get("Upload-Call-Id")
	if id == "" {
		t.Fatalf("no Upload-Call-Id: status %d, headers %v", r.StatusCode, r.Header)
	}
	if loc := r.Header.Get("Upload-Call-Location"); loc != "/v1/calls/"+id {
		t.Fatalf("Upload-Call-Location %q", loc)
	}
	c, err := e.Store.CallGet(t.Context(), tn.org, id)
	if err != nil {
		t.Fatalf("call %s: %v", id, err)
	}
	if c.SHA256 != sum(data) || c.SizeBytes != int64(len(data)) {
		t.Fatalf("call %s: sha256 %s size %d, want %s %d", id, c.SHA256, c.SizeBytes, sum(data), len(data))
	}
	return c
}

func TestChunkedUpload(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	c := e.client(t, e.A)
	data := wav(20000, 1)
	m := meta(e.A)
	m["agent_email"] = "john.doe@example.com"
	m["external_id"] = "ext-1"
	m["conversation_timestamp"] = "1704067200"
	m["metadata"] = `[{"key":"k1","value":"v1"},{"key":"k2","value":"v2"}]`
	m["filetype"] = "audio/wav"
	created := c.create(m, len(data), nil)
	wantStatus(t, created, http.StatusCreated)
	if exp, err := http.ParseTime(created.Header.Get("Upload-Expires")); err != nil || exp.Before(time.Now().Add(23*time.Hour)) {
		t.Fatalf("Upload-Expires %q", created.Header.Get("Upload-Expires"))
	}
	loc := created.Header.Get("Location")

	// The first chunk is shorter than the sniffing window, the second
	// crosses it.
	cuts := []int{0, 1000, 9000, len(data)}
	var last resp
	for i := 0; i+1 < len(cuts); i++ {
		last = c.patch(loc, cuts[i], data[cuts[i]:cuts[i+1]])
		wantStatus(t, last, http.StatusNoContent)
		if got := last.Header.Get("Upload-Offset"); got != strconv.Itoa(cuts[i+1]) {
			t.Fatalf("chunk %d: Upload-Offset %s", i, got)
		}
		if final := i+2 == len(cuts); (last.Header.Get("Upload-Call-Id") != "") != final {
			t.Fatalf("chunk %d: Upload-Call-Id %q", i, last.Header.Get("Upload-Call-Id"))
		}
	}
	got := e.wantCall(t, last, e.A, data)
	if got.Source != call.SourceWeb || got.AgentEmail != "john.doe@example.com" || got.ExternalID != "ext-1" ||
		got.FileName != "call.wav" || got.ConversationTime == nil || got.ConversationTime.Unix() != 1704067200 ||
		len(got.Metadata) != 2 || got.Metadata[1].Key != "k2" {
		t.Fatalf("call %+v", got)
	}
	if last.Header.Get("Upload-Call-Duplicate") != "" {
		t.Fatal("a new call is marked duplicate")
	}
	if st := e.staged(t); !slices.Equal(st, []string{strings.TrimPrefix(loc, "/v1/uploads/") + ".json"}) {
		t.Fatalf("staged files after completion: %v", st)
	}

	// Asking again, however, answers the same call and makes no other.
	h := c.head(loc)
	wantStatus(t, h, http.StatusOK)
	if h.Header.Get("Upload-Offset") != strconv.Itoa(len(data)) || h.Header.Get("Upload-Call-Id") != got.ID {
		t.Fatalf("HEAD after completion: %v", h.Header)
	}
	p := c.patch(loc, len(data), nil)
	wantStatus(t, p, http.StatusNoContent)
	if p.Header.Get("Upload-Call-Id") != got.ID {
		t.Fatalf("PATCH at the end: %v", p.Header)
	}
	retry := c.patch(loc, cuts[2], data[cuts[2]:])
	wantStatus(t, retry, http.StatusConflict)
	problemOf(t, retry)
	if retry.Header.Get("Upload-Call-Id") != got.ID {
		t.Fatalf("retried last PATCH: %v", retry.Header)
	}
	if n := len(e.calls(t, e.A)); n != 1 {
		t.Fatalf("%d calls, want 1", n)
	}
}

// TestResumeAfterCut cuts the connection in the middle of a PATCH, then
// resumes as a tus client does: HEAD for the offset, PATCH the rest.
func TestResumeAfterCut(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	c := e.client(t, e.A)
	data := wav(600_000, 2)
	loc := c.mustCreate(meta(e.A), len(data))

	u, err := url.Parse(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	var d net.Dialer
	conn, err := d.DialContext(t.Context(), "tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nTus-Resumable: 1.0.0\r\n"+
		"Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: %d\r\n\r\n",
		loc, u.Host, e.A.token, len(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(data[:250_000]); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close()

	// A client resumes: HEAD, PATCH from there; a 409 (the cut request was
	// still being handled) means HEAD again.
	var last resp
	for attempt := 0; ; attempt++ {
		if attempt == 20 {
			t.Fatal("no progress after 20 attempts")
		}
		h := c.head(loc)
		wantStatus(t, h, http.StatusOK)
		off, err := strconv.Atoi(h.Header.Get("Upload-Offset"))
		if err != nil || off > 250_000 {
			t.Fatalf("HEAD offset %q", h.Header.Get("Upload-Offset"))
		}
		t.Logf("attempt %d: resuming at %d", attempt, off)
		last = c.patch(loc, off, data[off:])
		if last.StatusCode != http.StatusConflict {
			break
		}
	}
	wantStatus(t, last, http.StatusNoContent)
	e.wantCall(t, last, e.A, data)
	if n := len(e.calls(t, e.A)); n != 1 {
		t.Fatalf("%d calls, want 1", n)
	}
}

func TestCreationWithUpload(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	c := e.client(t, e.A)

	whole := wav(10000, 3)
	r := c.create(meta(e.A), len(whole), whole)
	wantStatus(t, r, http.StatusCreated)
	if r.Header.Get("Upload-Offset") != strconv.Itoa(len(whole)) || !strings.HasPrefix(r.Header.Get("Location"), "/v1/uploads/") {
		t.Fatalf("creation-with-upload: %v", r.Header)
	}
	e.wantCall(t, r, e.A, whole)

	part := wav(30000, 4)
	r = c.create(meta(e.A), len(part), part[:5000])
	wantStatus(t, r, http.StatusCreated)
	if r.Header.Get("Upload-Offset") != "5000" || r.Header.Get("Upload-Call-Id") != "" {
		t.Fatalf("partial creation-with-upload: %v", r.Header)
	}
	p := c.patch(r.Header.Get("Location"), 5000, part[5000:])
	wantStatus(t, p, http.StatusNoContent)
	e.wantCall(t, p, e.A, part)
}

func TestNotAudioRefused(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	c := e.client(t, e.A)
	text := bytes.Repeat([]byte("this is not a recording. "), 400) // 10,000 bytes

	// Bytes short of the sniffing window are accepted; the chunk that
	// completes it is refused, and the upload is gone.
	loc := c.mustCreate(meta(e.A), len(text))
	wantStatus(t, c.patch(loc, 0, text[:1000]), http.StatusNoContent)
	r := c.patch(loc, 1000, text[1000:])
	wantStatus(t, r, http.StatusUnsupportedMediaType)
	if _, fields := problemOf(t, r); len(fields) != 1 || fields[0].Field != "file" {
		t.Fatalf("fields %v", fields)
	}
	wantStatus(t, c.head(loc), http.StatusNotFound)

	// A file smaller than the window is judged whole.
	small := text[:100]
	loc = c.mustCreate(meta(e.A), len(small))
	wantStatus(t, c.patch(loc, 0, small), http.StatusUnsupportedMediaType)

	// And with creation-with-upload.
	r = c.create(meta(e.A), len(text), text)
	wantStatus(t, r, http.StatusUnsupportedMediaType)

	if st := e.staged(t); len(st) != 0 {
		t.Fatalf("staged files left: %v", st)
	}
	if n := len(e.calls(t, e.A)); n != 0 {
		t.Fatalf("%d calls", n)
	}
}

func TestOtherOrganisation(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	a, b := e.client(t, e.A), e.client(t, e.B)
	data := wav(20000, 5)
	loc := a.mustCreate(meta(e.A), len(data))
	wantStatus(t, a.patch(loc, 0, data[:8000]), http.StatusNoContent)

	for _, r := range []resp{b.head(loc), b.patch(loc, 8000, data[8000:]),
		b.do(http.MethodDelete, loc, nil, nil), b.patch(loc, 0, data)} {
		wantStatus(t, r, http.StatusNotFound)
		if r.Request.Method != http.MethodHead {
			problemOf(t, r)
		}
	}
	// Not even a campaign of another organisation can be named.
	wantStatus(t, b.create(meta(e.A), len(data), nil), http.StatusNotFound)

	nobody := &client{t: t, base: e.URL}
	wantStatus(t, nobody.head(loc), http.StatusUnauthorized)
	wantStatus(t, nobody.create(meta(e.A), 10, nil), http.StatusUnauthorized)

	h := a.head(loc)
	wantStatus(t, h, http.StatusOK)
	if h.Header.Get("Upload-Offset") != "8000" {
		t.Fatalf("offset after other organisation's attempts: %s", h.Header.Get("Upload-Offset"))
	}
	done := a.patch(loc, 8000, data[8000:])
	wantStatus(t, done, http.StatusNoContent)
	e.wantCall(t, done, e.A, data)
	wantStatus(t, b.head(loc), http.StatusNotFound)
}

func TestCreationRefused(t *testing.T) {
	t.Parallel()
	e := setup(t, options{maxSize: 100_000})
	c := e.client(t, e.A)
	b64 := func(s string) string { return encodeMeta(map[string]string{"x": s})[2:] }
	for _, tc := range []struct {
		name   string
		header map[string]string
		status int
		field  string
	}{
		{"no campaign", map[string]string{"Upload-Metadata": "filename " + b64("a.wav")}, 422, "campaign_id"},
		{"bad e-mail", map[string]string{"Upload-Metadata": encodeMeta(map[string]string{
			"campaign_id": e.A.campaign, "agent_email": "not-an-email"})}, 422, "agent_email"},
		{"bad metadata", map[string]string{"Upload-Metadata": encodeMeta(map[string]string{
			"campaign_id": e.A.campaign, "metadata": `[{"key":"a b","value":"x"}]`})}, 422, "metadata"},
		{"bad timestamp", map[string]string{"Upload-Metadata": encodeMeta(map[string]string{
			"campaign_id": e.A.campaign, "conversation_timestamp": "yesterday"})}, 422, "conversation_timestamp"},
		{"not base64", map[string]string{"Upload-Metadata": "campaign_id %%%"}, 422, "campaign_id"},
		{"unknown key", map[string]string{"Upload-Metadata": encodeMeta(map[string]string{
			"campaign_id": e.A.campaign, "agent_mail": "a@example.com"})}, 422, "agent_mail"},
		{"unknown campaign", map[string]string{"Upload-Metadata": "campaign_id " + b64(call.NewID())}, 404, "campaign_id"},
		{"other organisation's campaign", map[string]string{"Upload-Metadata": "campaign_id " + b64(e.B.campaign)}, 404, "campaign_id"},
		{"empty file", map[string]string{"Upload-Length": "0"}, 422, "file"},
		{"too large", map[string]string{"Upload-Length": "100001"}, 413, "file"},
		{"no length", map[string]string{"Upload-Length": ""}, 400, ""},
		{"deferred length", map[string]string{"Upload-Length": "", "Upload-Defer-Length": "1"}, 501, ""},
		{"no Tus-Resumable", map[string]string{"Tus-Resumable": ""}, 412, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Upload-Length": "1000", "Upload-Metadata": encodeMeta(meta(e.A))}
			for k, v := range tc.header {
				h[k] = v
			}
			r := c.do(http.MethodPost, "/v1/uploads/", h, nil)
			wantStatus(t, r, tc.status)
			_, fields := problemOf(t, r)
			if tc.field != "" && (len(fields) == 0 || fields[0].Field != tc.field) {
				t.Fatalf("fields %v, want %s first", fields, tc.field)
			}
		})
	}
	if st := e.staged(t); len(st) != 0 {
		t.Fatalf("refused creations left files: %v", st)
	}
	o := c.do(http.MethodOptions, "/v1/uploads/", nil, nil)
	if o.Header.Get("Tus-Max-Size") != "100000" || o.Header.Get("Tus-Extension") != "creation,creation-with-upload,termination,expiration" {
		t.Fatalf("OPTIONS: %d %v", o.StatusCode, o.Header)
	}
}

func TestTermination(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	c := e.client(t, e.A)
	data := wav(20000, 6)
	loc := c.mustCreate(meta(e.A), len(data))
	wantStatus(t, c.patch(loc, 0, data[:6000]), http.StatusNoContent)
	r := c.patch(loc, 6000, append(bytes.Clone(data[6000:]), 0))
	wantStatus(t, r, http.StatusRequestEntityTooLarge)
	if detail, _ := problemOf(t, r); !strings.Contains(detail, "Upload-Length") {
		t.Fatalf("413 detail %q", detail)
	}
	wantStatus(t, c.do(http.MethodDelete, loc, nil, nil), http.StatusNoContent)
	wantStatus(t, c.head(loc), http.StatusNotFound)
	wantStatus(t, c.patch(loc, 6000, data[6000:]), http.StatusNotFound)
	if st := e.staged(t); len(st) != 0 {
		t.Fatalf("staged files left: %v", st)
	}
	if n := len(e.calls(t, e.A)); n != 0 {
		t.Fatalf("%d calls", n)
	}
}
