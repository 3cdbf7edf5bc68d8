package apitest_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/callimport/callimport/internal/app/apptest"
)

// The tus protocol is tested in depth in internal/httpapi/tusupload; this
// file proves the mounting in the real server: credentials, scopes,
// organisations, the call as the API shows it, and the data folder.
// /v1/uploads/ speaks tus, not JSON, so these exchanges skip the OpenAPI
// validating transport.

// tusDo sends one tus request with key (x-api-key) or bearer, and returns
// the response with its body read.
func tusDo(t *testing.T, h *harness, method, path, key, bearer string, header map[string]string, body []byte) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, h.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	if key != "" {
		req.Header.Set("X-Api-Key", key)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func tusMeta(campaign string) string {
	b := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	return "filename " + b("big call.wav") + ",campaign_id " + b(campaign) + ",agent_email " + b("jane@example.com")
}

func TestTusUpload(t *testing.T) {
	t.Parallel()
	h := setup(t, apptest.Options{})
	if resp, _ := tusDo(t, h, http.MethodOptions, "/v1/uploads/", "", "", nil, nil); resp.StatusCode != http.StatusOK ||
		resp.Header.Get("Tus-Version") != "1.0.0" {
		t.Fatalf("OPTIONS /v1/uploads/ without credentials: %d %v", resp.StatusCode, resp.Header)
	}
	a, b := h.A, h.B
	data := wav(42, 40000)

	// Creation needs calls:write and a campaign of the caller's organisation.
	create := map[string]string{"Upload-Length": strconv.Itoa(len(data)), "Upload-Metadata": tusMeta(a.CampaignID)}
	resp, body := tusDo(t, h, http.MethodPost, "/v1/uploads/", "", "", create, nil)
	checkProblem(t, resp, body, http.StatusUnauthorized)
	resp, body = tusDo(t, h, http.MethodPost, "/v1/uploads/", a.ReadKey, "", create, nil)
	checkProblem(t, resp, body, http.StatusForbidden)
	resp, body = tusDo(t, h, http.MethodPost, "/v1/uploads/", b.WriteKey, "", create, nil)
	checkProblem(t, resp, body, http.StatusNotFound, "campaign_id")
	resp, body = tusDo(t, h, http.MethodPost, "/v1/uploads/", a.WriteKey, "",
		map[string]string{"Upload-Length": "10", "Upload-Metadata": "campaign_id " + base64.StdEncoding.EncodeToString([]byte(a.CampaignID)) +
			",agent_email " + base64.StdEncoding.EncodeToString([]byte("not an e-mail"))}, nil)
	checkProblem(t, resp, body, http.StatusUnprocessableEntity, "agent_email")

	resp, body = tusDo(t, h, http.MethodPost, "/v1/uploads/", a.WriteKey, "", create, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	loc := resp.Header.Get("Location")

	// The first half with an API key, the rest with an OAuth token of the
	// same organisation; the other organisation sees nothing.
	patch := func(key, bearer string, off int, chunk []byte) (*http.Response, []byte) {
		return tusDo(t, h, http.MethodPatch, loc, key, bearer, map[string]string{
			"Upload-Offset": strconv.Itoa(off), "Content-Type": "application/offset+octet-stream"}, chunk)
	}
	half := len(data) / 2
	if resp, body := patch(a.WriteKey, "", 0, data[:half]); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("first PATCH: %d %s", resp.StatusCode, body)
	}
	resp, _ = tusDo(t, h, http.MethodHead, loc, b.AdminKey, "", nil, nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("other organisation's HEAD: %d", resp.StatusCode)
	}
	resp, body = patch(b.AdminKey, "", half, data[half:])
	checkProblem(t, resp, body, http.StatusNotFound)

	bearer := h.token(t, a.ClientID, a.ClientSecret, "")
	resp, body = patch("", bearer, half, data[half:])
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("last PATCH: %d %s", resp.StatusCode, body)
	}
	id := resp.Header.Get("Upload-Call-Id")
	if id == "" || resp.Header.Get("Upload-Call-Location") != "/v1/calls/"+id {
		t.Fatalf("last PATCH headers: %v", resp.Header)
	}

	c := h.waitCall(t, a.ReadKey, id)
	if c.Status != "imported" || c.Source != "api" || c.FileName != "big call.wav" || c.SizeBytes != int64(len(data)) ||
		c.AgentEmail == nil || *c.AgentEmail != "jane@example.com" || c.CampaignID != a.CampaignID {
		t.Fatalf("call %+v", c)
	}
	resp, _ = tusDo(t, h, http.MethodHead, loc, a.ReadKey, "", nil, nil)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("HEAD with a read-only key: %d", resp.StatusCode)
	}
	resp, _ = tusDo(t, h, http.MethodHead, loc, a.WriteKey, "", nil, nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Upload-Call-Id") != id {
		t.Fatalf("HEAD after completion: %d %v", resp.StatusCode, resp.Header)
	}
	if n := len(h.storedCalls(t, a.OrgID)); n != 1 {
		t.Fatalf("%d calls, want 1", n)
	}
}
