// Package apitest_test holds the integration tests of the REST API: each
// test starts a complete server in-process (apptest), talks to it over HTTP
// through a transport that checks every request and response against the
// OpenAPI document (contract_test.go), and looks behind the API at the
// store and the blob folder to prove what was, and was not, kept.
package apitest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/app/apptest"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// backends are the metadata stores the main suites run on.
var backends = []struct {
	name     string
	postgres bool
}{{"sqlite", false}, {"postgres", true}}

// harness is a running server and an HTTP client whose every exchange is
// validated against the OpenAPI document.
type harness struct {
	*apptest.Env
	http *http.Client
}

// setup starts a server for t.
func setup(t *testing.T, opts apptest.Options) *harness {
	t.Helper()
	env := apptest.Start(t, opts)
	return &harness{Env: env, http: &http.Client{Transport: validating(t, env.URL), Timeout: 60 * time.Second}}
}

// request is one HTTP exchange to send; zero fields are left out.
type request struct {
	method, path string
	apiKey       string
	bearer       string
	contentType  string
	header       map[string]string
	body         []byte
	// bodyReader, when set, is sent instead of body (chunked, no length).
	bodyReader io.Reader
}

// do sends r and returns the response with its body read.
func (h *harness) do(t *testing.T, r request) (*http.Response, []byte) {
	t.Helper()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	if r.bodyReader != nil {
		body = r.bodyReader
	}
	req, err := http.NewRequestWithContext(t.Context(), r.method, h.URL+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.apiKey != "" {
		req.Header.Set("X-Api-Key", r.apiKey)
	}
	if r.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+r.bearer)
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	resp, err := h.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", r.method, r.path, err)
	}
	return resp, b
}

// getJSON sends r, requires status want and decodes the JSON body into out.
func (h *harness) json(t *testing.T, r request, want int, out any) *http.Response {
	t.Helper()
	resp, b := h.do(t, r)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; body: %s", r.method, r.path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", r.method, r.path, b, err)
		}
	}
	return resp
}

// problem is an RFC 9457 body as the API sends it.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id"`
	Errors    []struct {
		Field  string `json:"field"`
		Reason string `json:"reason"`
	} `json:"errors"`
}

func (p problem) fields() []string {
	var fs []string
	for _, e := range p.Errors {
		fs = append(fs, e.Field)
	}
	return fs
}

// checkProblem requires a problem+json answer with status, every member
// filled, the request id of the X-Request-Id header, and (for 422, or when
// fields are given) an errors list naming each of fields.
func checkProblem(t *testing.T, resp *http.Response, body []byte, status int, fields ...string) problem {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body: %s", resp.StatusCode, status, body)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json; body: %s", resp.Header.Get("Content-Type"), body)
	}
	var p problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem body %q: %v", body, err)
	}
	if p.Status != status {
		t.Errorf("problem status %d, want %d", p.Status, status)
	}
	if p.Type == "" || p.Title == "" || p.Detail == "" {
		t.Errorf("problem with empty type, title or detail: %s", body)
	}
	rid := resp.Header.Get("X-Request-Id")
	if rid == "" || p.RequestID != rid {
		t.Errorf("problem request_id %q, X-Request-Id header %q", p.RequestID, rid)
	}
	if status == http.StatusUnprocessableEntity && len(p.Errors) == 0 {
		t.Errorf("422 without errors[]: %s", body)
	}
	for _, e := range p.Errors {
		if e.Field == "" || e.Reason == "" {
			t.Errorf("errors[] item without field or reason: %s", body)
		}
	}
	got := p.fields()
	for _, f := range fields {
		if !slices.Contains(got, f) {
			t.Errorf("errors[].field = %q, want %q among them; body: %s", got, f, body)
		}
	}
	return p
}

// callJSON is a call as the API answers it.
type callJSON struct {
	ID                    string          `json:"id"`
	CampaignID            string          `json:"campaign_id"`
	Status                string          `json:"status"`
	Source                string          `json:"source"`
	FileName              string          `json:"file_name"`
	SizeBytes             int64           `json:"size_bytes"`
	SHA256                string          `json:"sha256"`
	ConversationTimestamp *int64          `json:"conversation_timestamp"`
	AgentEmail            *string         `json:"agent_email"`
	ExternalID            *string         `json:"external_id"`
	Metadata              []call.MetaPair `json:"metadata"`
	Audio                 *struct {
		Format          string  `json:"format"`
		Codec           string  `json:"codec"`
		DurationSeconds float64 `json:"duration_seconds"`
		SampleRateHz    int     `json:"sample_rate_hz"`
		Channels        int     `json:"channels"`
	} `json:"audio"`
	Duplicate       bool       `json:"duplicate"`
	RejectionReason *string    `json:"rejection_reason"`
	CreatedAt       time.Time  `json:"created_at"`
	ImportedAt      *time.Time `json:"imported_at"`
}

// waitCall polls a call until it is imported or rejected.
func (h *harness) waitCall(t *testing.T, key, id string) callJSON {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for delay := 10 * time.Millisecond; ; delay = min(delay*2, 200*time.Millisecond) {
		var c callJSON
		h.json(t, request{method: "GET", path: "/v1/calls/" + id, apiKey: key}, http.StatusOK, &c)
		if c.Status == "imported" || c.Status == "rejected" {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("call %s still %s after 30s", id, c.Status)
		}
		time.Sleep(delay)
	}
}

// blobFiles lists every regular file under the blob folder (temporary
// files of the file store in blobs/.tmp included), as slash paths relative
// to it.
func blobFiles(t *testing.T, dataDir string) []string {
	t.Helper()
	root := filepath.Join(dataDir, "blobs")
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && p == root {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		} else if !d.IsDir() {
			out = append(out, "NOT-A-FILE:"+filepath.ToSlash(p))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk blobs: %v", err)
	}
	slices.Sort(out)
	return out
}

// storedCalls lists every call of org straight from the store.
func (h *harness) storedCalls(t *testing.T, orgID string) []call.Call {
	t.Helper()
	var all []call.Call
	p := store.CallListParams{OrgID: orgID, Limit: 500}
	for {
		cs, next, err := h.Store.CallList(t.Context(), p)
		if err != nil {
			t.Fatalf("list calls: %v", err)
		}
		all = append(all, cs...)
		if next == "" {
			return all
		}
		p.Cursor = next
	}
}

// snapshot is what is stored: call ids of both organisations, blob files
// and pending intakes.
type snapshot struct {
	calls   []string
	blobs   []string
	intakes []string
}

func (h *harness) snapshot(t *testing.T) snapshot {
	t.Helper()
	var s snapshot
	for _, org := range []string{h.A.OrgID, h.B.OrgID} {
		for _, c := range h.storedCalls(t, org) {
			s.calls = append(s.calls, c.ID)
		}
	}
	slices.Sort(s.calls)
	s.blobs = blobFiles(t, h.DataDir)
	in, err := h.Store.IntakeListStale(t.Context(), time.Now().Add(time.Hour), 1000)
	if err != nil {
		t.Fatalf("list intakes: %v", err)
	}
	for _, i := range in {
		s.intakes = append(s.intakes, i.BlobKey)
	}
	return s
}

// requireUnchanged fails unless now equals before, plus newCalls (ids of
// org's calls accepted meanwhile) with their blobs.
func requireUnchanged(t *testing.T, before, now snapshot, orgID string, newCalls ...string) {
	t.Helper()
	wantCalls := slices.Sorted(slices.Values(append(slices.Clone(before.calls), newCalls...)))
	wantBlobs := slices.Clone(before.blobs)
	for _, id := range newCalls {
		wantBlobs = append(wantBlobs, "calls/"+orgID+"/"+id)
	}
	slices.Sort(wantBlobs)
	if !slices.Equal(now.calls, wantCalls) {
		t.Errorf("calls stored: %q, want %q", now.calls, wantCalls)
	}
	if !slices.Equal(now.blobs, wantBlobs) {
		t.Errorf("blob files: %q, want %q", now.blobs, wantBlobs)
	}
	if len(now.intakes) != 0 {
		t.Errorf("intakes left: %q", now.intakes)
	}
}

// jsonBody marshals v.
func jsonBody(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustContainNone fails if body holds any of secrets.
func mustContainNone(t *testing.T, what string, body []byte, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(string(body), s) {
			t.Errorf("%s leaks %q: %s", what, s, body)
		}
	}
}
