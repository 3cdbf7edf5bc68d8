package tusupload_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/blob"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/httpapi/tusupload"
	"github.com/callimport/callimport/internal/ingest"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/store/storesqlite"
)

// enqueuer stands in for the job queue; it fails while fail is set, which
// makes the commit of a call fail as when the database is down.
type enqueuer struct {
	fail atomic.Bool
}

func (e *enqueuer) EnqueueProbeTx(context.Context, *sql.Tx, string) error {
	if e.fail.Load() {
		return errors.New("queue down")
	}
	return nil
}

// clock is the handler's time, moved by tests of expiry.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// tenant is an organisation with a campaign and a token of our test front
// end.
type tenant struct {
	org, campaign, token string
}

// env is a tus handler over a real ingest service (SQLite, blob folder),
// served by a front end that authenticates "Authorization: <token>".
type env struct {
	URL     string
	Handler *tusupload.Handler
	Store   store.Store
	Dir     string
	Enq     *enqueuer
	Ingest  *ingest.Service
	Clock   *clock
	A, B    tenant
}

type options struct {
	maxSize int64
}

func setup(t testing.TB, opts options) *env {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	st := storesqlite.OpenTest(t)
	bucket, err := blob.Open(ctx, "file://"+filepath.ToSlash(filepath.Join(dir, "blobs")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bucket.Close() })
	e := &env{Store: st, Dir: filepath.Join(dir, "uploads"), Enq: &enqueuer{},
		Clock: &clock{t: time.Now()}}
	e.Ingest = ingest.New(st, bucket, e.Enq, ingest.Config{MaxFileSize: opts.maxSize})
	e.Handler, err = tusupload.New(tusupload.Config{Ingest: e.Ingest, Campaigns: st, Dir: e.Dir,
		Now: e.Clock.Now, LockTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Handler.Close() })
	e.A = newTenant(t, st, "A")
	e.B = newTenant(t, st, "B")
	tokens := map[string]string{e.A.token: e.A.org, e.B.token: e.B.org}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "test-request")
		if org := tokens[r.Header.Get("Authorization")]; org != "" {
			r = r.WithContext(tusupload.WithCaller(r.Context(), tusupload.Caller{OrgID: org, Source: call.SourceWeb}))
		}
		e.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	return e
}

func newTenant(t testing.TB, st store.Store, name string) tenant {
	t.Helper()
	org, err := st.OrgCreate(t.Context(), store.OrgCreateParams{Name: "Org " + name})
	if err != nil {
		t.Fatal(err)
	}
	camp, err := st.CampaignCreate(t.Context(), store.CampaignCreateParams{OrgID: org.ID, Name: "Campaign " + name})
	if err != nil {
		t.Fatal(err)
	}
	return tenant{org: org.ID, campaign: camp.ID, token: "token-" + name}
}

// calls lists the calls of tn's campaign.
func (e *env) calls(t *testing.T, tn tenant) []call.Call {
	t.Helper()
	cs, _, err := e.Store.CallList(t.Context(), store.CallListParams{OrgID: tn.org, CampaignID: tn.campaign, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// staged lists the files of the staging folder.
func (e *env) staged(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir(e.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range ents {
		names = append(names, d.Name())
	}
	return names
}

// client is a hand-written tus 1.0 client.
type client struct {
	t     testing.TB
	base  string
	token string
}

func (e *env) client(t testing.TB, tn tenant) *client {
	return &client{t: t, base: e.URL, token: tn.token}
}

// resp is a response with its body read.
type resp struct {
	*http.Response
	body []byte
}

func (c *client) do(method, path string, header map[string]string, body io.Reader) resp {
	c.t.Helper()
	url := path
	if strings.HasPrefix(path, "/") {
		url = c.base + path
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, url, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", c.token)
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	if cl, ok := header["Content-Length"]; ok {
		req.ContentLength, _ = strconv.ParseInt(cl, 10, 64)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = res.Body.Close() }()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp{res, b}
}

// create sends POST with meta and size, and body if not nil
// (creation-with-upload).
func (c *client) create(meta map[string]string, size int, body []byte) resp {
	c.t.Helper()
	h := map[string]string{"Upload-Length": strconv.Itoa(size), "Upload-Metadata": encodeMeta(meta)}
	var r io.Reader
	if body != nil {
		h["Content-Type"] = "application/offset+octet-stream"
		r = bytes.NewReader(body)
	}
	return c.do(http.MethodPost, "/v1/uploads/", h, r)
}

// mustCreate creates an upload and returns its path.
func (c *client) mustCreate(meta map[string]string, size int) string {
	c.t.Helper()
	r := c.create(meta, size, nil)
	if r.StatusCode != http.StatusCreated {
		c.t.Fatalf("create: %d %s", r.StatusCode, r.body)
	}
	loc := r.Header.Get("Location")
	if !strings.HasPrefix(loc, "/v1/uploads/") {
		c.t.Fatalf("Location %q", loc)
	}
	return loc
}

func (c *client) patch(loc string, offset int, chunk []byte) resp {
	c.t.Helper()
	return c.do(http.MethodPatch, loc, map[string]string{"Upload-Offset": strconv.Itoa(offset),
		"Content-Type": "application/offset+octet-stream"}, bytes.NewReader(chunk))
}

func (c *client) head(loc string) resp {
	c.t.Helper()
	return c.do(http.MethodHead, loc, nil, nil)
}

func encodeMeta(meta map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		parts = append(parts, k+" "+base64.StdEncoding.EncodeToString([]byte(meta[k])))
	}
	return strings.Join(parts, ",")
}

// wav returns a valid 8 kHz mono 16-bit PCM WAV holding n bytes of
// samples that depend on seed.
func wav(n int, seed uint32) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+n))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(8000), uint32(16000), uint16(2), uint16(16)} {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(n))
	x := seed | 1
	for range n {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b.WriteByte(byte(x))
	}
	return b.Bytes()
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// problemOf decodes a problem+json body.
func problemOf(t *testing.T, r resp) (detail string, fields []call.FieldError) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("status %d, Content-Type %q, body %s", r.StatusCode, ct, r.body)
	}
	var p struct {
		Status    int               `json:"status"`
		Detail    string            `json:"detail"`
		RequestID string            `json:"request_id"`
		Errors    []call.FieldError `json:"errors"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem body %q: %v", r.body, err)
	}
	if p.Status != r.StatusCode || p.RequestID != "test-request" {
		t.Fatalf("problem %+v for status %d", p, r.StatusCode)
	}
	return p.Detail, p.Errors
}

func wantStatus(t *testing.T, r resp, status int) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d; body %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, status, r.body)
	}
}
