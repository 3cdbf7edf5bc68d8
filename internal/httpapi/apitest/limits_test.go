package apitest_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/callimport/callimport/internal/app/apptest"
	"github.com/callimport/callimport/internal/config"
)

// requireTooMany checks a 429 answer: problem+json (validated against the
// TooManyRequests response by the transport), Retry-After of at least
// min seconds, and the connection closed when a body was sent.
func requireTooMany(t *testing.T, resp *http.Response, body []byte, minWait int, bodySent bool) problem {
	t.Helper()
	p := checkProblem(t, resp, body, http.StatusTooManyRequests)
	ra, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || ra < minWait {
		t.Errorf("Retry-After %q, want at least %d seconds", resp.Header.Get("Retry-After"), minWait)
	}
	if bodySent && !resp.Close {
		t.Errorf("a refused upload must close the connection (Connection: close)")
	}
	return p
}

// TestUploadBeyondIngestLimits: with the ingest slots taken (through the
// same limiter the channels share), uploads are refused at once with 429
// before their body is read, nothing is stored, and they succeed once a
// slot is free. The per-organisation limit leaves other organisations room.
func TestUploadBeyondIngestLimits(t *testing.T) {
	t.Parallel()
	h := setup(t, apptest.Options{Configure: func(c *config.Serve) {
		c.Limits = config.Limits{MaxIngests: 2, MaxIngestsPerOrg: 1}
	}})
	upload := func(key, campaign string, seed int) (*http.Response, []byte) {
		return h.do(t, request{method: "POST", path: "/v1/calls/audio", apiKey: key, contentType: formType,
			body: form(field("campaign_id", campaign), filePart("busy.wav", wav(seed, 800)))})
	}
	before := h.snapshot(t)

	// Organisation A holds its one slot: A is refused, B is not.
	releaseA, err := h.Server.Ingest.Admit(h.A.OrgID)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := upload(h.A.WriteKey, h.A.CampaignID, 900)
	p := requireTooMany(t, resp, body, 1, true)
	if p.Type != "https://callimport.dev/problems/rate_limited" || p.Detail == "" {
		t.Errorf("problem %+v", p)
	}
	resp, body = h.do(t, request{method: "POST", path: "/calls/audio", apiKey: h.A.WriteKey, contentType: formType,
		body: form(field("campaign_id", h.A.CampaignID), filePart("busy.wav", wav(900, 800)))})
	requireTooMany(t, resp, body, 1, true)
	requireUnchanged(t, before, h.snapshot(t), h.A.OrgID)

	// B takes the second, last slot of the server: now B is refused too
	// ("server busy").
	releaseB, err := h.Server.Ingest.Admit(h.B.OrgID)
	if err != nil {
		t.Fatal(err)
	}
	resp, body = upload(h.B.WriteKey, h.B.CampaignID, 901)
	if p := requireTooMany(t, resp, body, 1, true); p.Detail != "server busy, retry later" {
		t.Errorf("detail %q, want server busy, retry later", p.Detail)
	}
	releaseB()
	var created callJSON
	h.json(t, request{method: "POST", path: "/v1/calls/audio", apiKey: h.B.WriteKey, contentType: formType,
		body: form(field("campaign_id", h.B.CampaignID), filePart("b.wav", wav(902, 800)))}, http.StatusCreated, &created)

	// Once A's slot is free, the refused upload goes through.
	releaseA()
	h.json(t, request{method: "POST", path: "/v1/calls/audio", apiKey: h.A.WriteKey, contentType: formType,
		body: form(field("campaign_id", h.A.CampaignID), filePart("busy.wav", wav(900, 800)))}, http.StatusCreated, &created)
	if c := h.waitCall(t, h.A.ReadKey, created.ID); c.Status != "imported" {
		t.Fatalf("call %s ended %s", c.ID, c.Status)
	}

	// tus uploads (PATCH) count against the same limits.
	releaseA, err = h.Server.Ingest.Admit(h.A.OrgID)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseA()
	data := wav(903, 800)
	resp, _ = tusDo(t, h, http.MethodPost, "/v1/uploads/", h.A.WriteKey, "",
		map[string]string{"Upload-Length": strconv.Itoa(len(data)), "Upload-Metadata": tusMeta(h.A.CampaignID)}, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("tus creation without body: %d", resp.StatusCode)
	}
	resp, body = tusDo(t, h, http.MethodPatch, resp.Header.Get("Location"), h.A.WriteKey, "",
		map[string]string{"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, data)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("tus PATCH beyond the limit: %d %v %s", resp.StatusCode, resp.Header, body)
	}
}

// TestRateLimitPerCredential: a credential beyond its rate gets 429 with
// Retry-After on every API route, uploads refused before their body is
// read; other credentials keep their own budget.
func TestRateLimitPerCredential(t *testing.T) {
	t.Parallel()
	// One request per 100 s after a burst of 2: the third is refused
	// however slow the machine.
	h := setup(t, apptest.Options{Configure: func(c *config.Serve) {
		c.Limits = config.Limits{RateLimitPerKey: 0.01, RateLimitBurst: 2}
	}})
	list := request{method: "GET", path: "/v1/calls", apiKey: h.A.ReadKey}
	h.json(t, list, http.StatusOK, nil)
	h.json(t, list, http.StatusOK, nil)
	resp, body := h.do(t, list)
	requireTooMany(t, resp, body, 90, false)
	resp, body = h.do(t, request{method: "GET", path: "/v1/campaigns", apiKey: h.A.ReadKey})
	requireTooMany(t, resp, body, 90, false)

	// Another key of the same organisation has its own bucket; its
	// uploads are refused before the body once it is spent.
	up := func(seed int) request {
		return request{method: "POST", path: "/v1/calls/audio", apiKey: h.A.WriteKey, contentType: formType,
			body: form(field("campaign_id", h.A.CampaignID), filePart("rate.wav", wav(seed, 800)))}
	}
	before := h.snapshot(t)
	var c callJSON
	h.json(t, up(910), http.StatusCreated, &c)
	h.json(t, up(910), http.StatusOK, nil)
	resp, body = h.do(t, up(911))
	requireTooMany(t, resp, body, 90, true)
	requireUnchanged(t, before, h.snapshot(t), h.A.OrgID, c.ID)

	// An OAuth client is limited per client, whatever the token.
	var tok string
	for range 2 {
		tok = h.token(t, h.B.ClientID, h.B.ClientSecret, "")
		h.json(t, request{method: "GET", path: "/v1/campaigns", bearer: tok}, http.StatusOK, nil)
	}
	resp, body = h.do(t, request{method: "GET", path: "/v1/campaigns/" + h.B.CampaignID, bearer: tok})
	requireTooMany(t, resp, body, 90, false)
	h.json(t, request{method: "GET", path: "/v1/campaigns", apiKey: h.B.AdminKey}, http.StatusOK, nil)
}
