package apitest_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/app/apptest"
)

// TestAdmin covers campaigns, API keys and OAuth clients on both stores.
func TestAdmin(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			h := setup(t, apptest.Options{Postgres: be.postgres})
			t.Run("campaigns", func(t *testing.T) { t.Parallel(); testCampaigns(t, h) })
			t.Run("api keys", func(t *testing.T) { t.Parallel(); testAPIKeys(t, h) })
			t.Run("oauth clients", func(t *testing.T) { t.Parallel(); testOAuthClients(t, h) })
		})
	}
}

type campaignJSON struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	Description     string    `json:"description"`
	RequireMetadata bool      `json:"require_metadata"`
	RetentionDays   int       `json:"retention_days"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

func testCampaigns(t *testing.T, h *harness) {
	admin := func(method, path, body string) request {
		return request{method: method, path: path, apiKey: h.A.AdminKey, contentType: "application/json", body: []byte(body)}
	}
	var c campaignJSON
	resp := h.json(t, admin("POST", "/v1/campaigns", `{"name":"  Ventes Q3  ","description":"outbound","require_metadata":true,"retention_days":90}`),
		http.StatusCreated, &c)
	if c.ID == "" || c.Name != "Ventes Q3" || c.Description != "outbound" || !c.RequireMetadata || c.RetentionDays != 90 || c.CreatedAt.IsZero() {
		t.Errorf("created %+v", c)
	}
	if resp.Header.Get("Location") != "/v1/campaigns/"+c.ID {
		t.Errorf("Location %q", resp.Header.Get("Location"))
	}

	var got campaignJSON
	h.json(t, request{method: "GET", path: "/v1/campaigns/" + c.ID, apiKey: h.A.ReadKey}, http.StatusOK, &got)
	if got != c {
		t.Errorf("get %+v, want %+v", got, c)
	}
	var list struct {
		Data []campaignJSON `json:"data"`
	}
	h.json(t, request{method: "GET", path: "/v1/campaigns", apiKey: h.A.ReadKey}, http.StatusOK, &list)
	if !slices.ContainsFunc(list.Data, func(x campaignJSON) bool { return x.ID == c.ID }) ||
		!slices.ContainsFunc(list.Data, func(x campaignJSON) bool { return x.ID == h.A.CampaignID }) {
		t.Errorf("list %+v lacks %s or %s", list.Data, c.ID, h.A.CampaignID)
	}

	time.Sleep(5 * time.Millisecond)
	var upd campaignJSON
	h.json(t, admin("PATCH", "/v1/campaigns/"+c.ID, `{"description":"inbound","retention_days":0}`), http.StatusOK, &upd)
	if upd.Name != "Ventes Q3" || upd.Description != "inbound" || upd.RetentionDays != 0 || !upd.RequireMetadata ||
		!upd.UpdatedAt.After(c.UpdatedAt) || !upd.CreatedAt.Equal(c.CreatedAt) {
		t.Errorf("patched %+v (was %+v)", upd, c)
	}
	h.json(t, admin("PATCH", "/v1/campaigns/"+c.ID, `{}`), http.StatusOK, nil)
	h.json(t, admin("PATCH", "/v1/campaigns/"+c.ID, `{"name":"Ventes Q3"}`), http.StatusOK, nil) // its own name

	for _, tc := range []struct {
		name, method, path, body, contentType string
		status                                int
		field                                 string
	}{
		{"duplicate name", "POST", "/v1/campaigns", `{"name":"Ventes Q3"}`, "", 409, ""},
		{"rename to an existing name", "PATCH", "/v1/campaigns/" + c.ID, `{"name":"Campaign of Org A"}`, "", 409, ""},
		{"no name", "POST", "/v1/campaigns", `{"description":"x"}`, "", 422, "name"},
		{"blank name", "POST", "/v1/campaigns", `{"name":"   "}`, "", 422, "name"},
		{"name too long", "POST", "/v1/campaigns", `{"name":"` + strings.Repeat("n", 201) + `"}`, "", 422, "name"},
		{"negative retention", "POST", "/v1/campaigns", `{"name":"r","retention_days":-1}`, "", 422, "retention_days"},
		{"description too long", "PATCH", "/v1/campaigns/" + c.ID, `{"description":"` + strings.Repeat("d", 2001) + `"}`, "", 422, "description"},
		{"blank name on update", "PATCH", "/v1/campaigns/" + c.ID, `{"name":""}`, "", 422, "name"},
		{"bad JSON", "POST", "/v1/campaigns", `{"name":`, "", 400, ""},
		{"bad JSON on update", "PATCH", "/v1/campaigns/" + c.ID, `{"name":`, "", 400, ""},
		{"empty body", "POST", "/v1/campaigns", ``, "", 400, ""},
		{"two JSON values", "POST", "/v1/campaigns", `{"name":"a"}{"name":"b"}`, "", 400, ""},
		{"JSON array", "POST", "/v1/campaigns", `[{"name":"a"}]`, "", 400, ""},
		{"wrong type", "POST", "/v1/campaigns", `{"name":42}`, "", 400, ""},
		{"unknown field", "POST", "/v1/campaigns", `{"name":"u","colour":"blue"}`, "", 400, ""},
		{"unknown field on update", "PATCH", "/v1/campaigns/" + c.ID, `{"id":"x"}`, "", 400, ""},
		{"form body", "POST", "/v1/campaigns", `name=x`, "application/x-www-form-urlencoded", 400, ""},
		{"unknown campaign", "GET", "/v1/campaigns/0190a8a8-1111-7000-8000-000000000000", "", "", 404, ""},
		{"update unknown campaign", "PATCH", "/v1/campaigns/0190a8a8-1111-7000-8000-000000000000", `{"name":"z"}`, "", 404, ""},
		{"id not an id", "GET", "/v1/campaigns/..%2F..%2Fetc", "", "", 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := admin(tc.method, tc.path, tc.body)
			if tc.contentType != "" {
				r.contentType = tc.contentType
			}
			if tc.method == "GET" {
				r.body, r.contentType = nil, ""
			}
			resp, body := h.do(t, r)
			var fields []string
			if tc.field != "" {
				fields = []string{tc.field}
			}
			checkProblem(t, resp, body, tc.status, fields...)
		})
	}
	// Scopes: creating and updating need admin; reading needs calls:read.
	for _, key := range []string{h.A.WriteKey, h.A.ReadKey} {
		resp, body := h.do(t, request{method: "POST", path: "/v1/campaigns", apiKey: key, contentType: "application/json", body: []byte(`{"name":"nope"}`)})
		checkProblem(t, resp, body, http.StatusForbidden)
		resp, body = h.do(t, request{method: "PATCH", path: "/v1/campaigns/" + c.ID, apiKey: key, contentType: "application/json", body: []byte(`{"name":"nope"}`)})
		checkProblem(t, resp, body, http.StatusForbidden)
	}
	resp, body := h.do(t, request{method: "GET", path: "/v1/campaigns", apiKey: h.A.WriteKey})
	checkProblem(t, resp, body, http.StatusForbidden)
}

type credentialJSON struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Prefix       string     `json:"prefix"`
	ClientID     string     `json:"client_id"`
	Scopes       []string   `json:"scopes"`
	CreatedAt    time.Time  `json:"created_at"`
	RevokedAt    *time.Time `json:"revoked_at"`
	Key          string     `json:"key"`
	ClientSecret string     `json:"client_secret"`
}

func testAPIKeys(t *testing.T, h *harness) {
	var k credentialJSON
	resp := h.json(t, request{method: "POST", path: "/v1/api-keys", apiKey: h.A.AdminKey, contentType: "application/json",
		body: []byte(`{"name":"uploader","scopes":["calls:write"]}`)}, http.StatusCreated, &k)
	if k.ID == "" || k.Key == "" || k.Name != "uploader" || !slices.Equal(k.Scopes, []string{"calls:write"}) || k.RevokedAt != nil {
		t.Errorf("created %+v", k)
	}
	if !strings.HasPrefix(k.Key, k.Prefix) || k.Prefix == "" || len(k.Prefix) >= len(k.Key) {
		t.Errorf("prefix %q of key %q", k.Prefix, k.Key)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q on a secret", resp.Header.Get("Cache-Control"))
	}
	h.upload(t, http.StatusCreated, field("campaign_id", h.A.CampaignID), filePart("k.wav", wav(600, 400)))
	r, body := h.do(t, request{method: "POST", path: "/v1/calls/audio", apiKey: k.Key, contentType: formType,
		body: form(field("campaign_id", h.A.CampaignID), filePart("k2.wav", wav(601, 400)))})
	if r.StatusCode != http.StatusCreated {
		t.Errorf("upload with the new key: %d %s", r.StatusCode, body)
	}
	r, body = h.do(t, request{method: "GET", path: "/v1/calls", apiKey: k.Key})
	checkProblem(t, r, body, http.StatusForbidden)

	r, body = h.do(t, request{method: "GET", path: "/v1/api-keys", apiKey: h.A.AdminKey})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("list: %d %s", r.StatusCode, body)
	}
	mustContainNone(t, "key list", body, k.Key, h.A.AdminKey, h.A.WriteKey, h.A.ReadKey, h.B.AdminKey)
	var list struct {
		Data []credentialJSON `json:"data"`
	}
	decode(t, body, &list)
	if len(list.Data) < 4 || !slices.ContainsFunc(list.Data, func(x credentialJSON) bool { return x.ID == k.ID && x.Prefix == k.Prefix }) {
		t.Errorf("list %+v lacks %s", list.Data, k.ID)
	}

	h.json(t, request{method: "DELETE", path: "/v1/api-keys/" + k.ID, apiKey: h.A.AdminKey}, http.StatusNoContent, nil)
	r, body = h.do(t, request{method: "POST", path: "/v1/calls/audio", apiKey: k.Key, contentType: formType,
		body: form(field("campaign_id", h.A.CampaignID), filePart("k3.wav", wav(602, 400)))})
	checkProblem(t, r, body, http.StatusUnauthorized)
	h.json(t, request{method: "GET", path: "/v1/api-keys", apiKey: h.A.AdminKey}, http.StatusOK, &list)
	for _, x := range list.Data {
		if x.ID == k.ID && x.RevokedAt == nil {
			t.Errorf("revoked key listed without revoked_at")
		}
	}
	r, body = h.do(t, request{method: "DELETE", path: "/v1/api-keys/0190a8a8-1111-7000-8000-000000000000", apiKey: h.A.AdminKey})
	checkProblem(t, r, body, http.StatusNotFound)

	for _, tc := range []struct{ body, field string }{
		{`{"name":"","scopes":["calls:read"]}`, "name"},
		{`{"name":"x","scopes":["root"]}`, "scopes"},
		{`{"name":"x","scopes":["calls:read","root"]}`, "scopes"},
		{`{"name":"x","scopes":"admin"}`, ""},
	} {
		r, b := h.do(t, request{method: "POST", path: "/v1/api-keys", apiKey: h.A.AdminKey, contentType: "application/json", body: []byte(tc.body)})
		if r.StatusCode == http.StatusCreated {
			t.Errorf("%s: created %s", tc.body, b)
			continue
		}
		if tc.field == "" {
			checkProblem(t, r, b, http.StatusBadRequest)
			continue
		}
		checkProblem(t, r, b, http.StatusUnprocessableEntity, tc.field)
	}
	// Without scopes, a key may send and read calls, but not administer.
	var def credentialJSON
	h.json(t, request{method: "POST", path: "/v1/api-keys", apiKey: h.A.AdminKey, contentType: "application/json",
		body: []byte(`{"name":"default scopes"}`)}, http.StatusCreated, &def)
	if slices.Contains(def.Scopes, "admin") || !slices.Contains(def.Scopes, "calls:write") || !slices.Contains(def.Scopes, "calls:read") {
		t.Errorf("default scopes %q", def.Scopes)
	}
	r, body = h.do(t, request{method: "POST", path: "/v1/api-keys", apiKey: h.A.AdminKey, contentType: "application/json", body: []byte(`{"name":"x","scopes":["admin"],"key":"chosen"}`)})
	checkProblem(t, r, body, http.StatusBadRequest)
	for _, key := range []string{h.A.WriteKey, h.A.ReadKey} {
		r, body = h.do(t, request{method: "GET", path: "/v1/api-keys", apiKey: key})
		checkProblem(t, r, body, http.StatusForbidden)
		r, body = h.do(t, request{method: "POST", path: "/v1/api-keys", apiKey: key, contentType: "application/json", body: []byte(`{"name":"x","scopes":["admin"]}`)})
		checkProblem(t, r, body, http.StatusForbidden)
	}
}

func testOAuthClients(t *testing.T, h *harness) {
	var c credentialJSON
	resp := h.json(t, request{method: "POST", path: "/v1/oauth-clients", apiKey: h.A.AdminKey, contentType: "application/json",
		body: []byte(`{"name":"crm","scopes":["calls:read","calls:write"]}`)}, http.StatusCreated, &c)
	if c.ID == "" || c.ClientID == "" || c.ClientSecret == "" || c.Name != "crm" || len(c.Scopes) != 2 {
		t.Errorf("created %+v", c)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q on a secret", resp.Header.Get("Cache-Control"))
	}
	h.token(t, c.ClientID, c.ClientSecret, "")
	r, body := h.do(t, request{method: "GET", path: "/v1/oauth-clients", apiKey: h.A.AdminKey})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("list: %d %s", r.StatusCode, body)
	}
	mustContainNone(t, "client list", body, c.ClientSecret, h.A.ClientSecret)
	var list struct {
		Data []credentialJSON `json:"data"`
	}
	decode(t, body, &list)
	if !slices.ContainsFunc(list.Data, func(x credentialJSON) bool { return x.ID == c.ID && x.ClientID == c.ClientID }) ||
		!slices.ContainsFunc(list.Data, func(x credentialJSON) bool { return x.ClientID == h.A.ClientID }) {
		t.Errorf("list %+v", list.Data)
	}
	h.json(t, request{method: "DELETE", path: "/v1/oauth-clients/" + c.ID, apiKey: h.A.AdminKey}, http.StatusNoContent, nil)
	h.json(t, request{method: "GET", path: "/v1/oauth-clients", apiKey: h.A.AdminKey}, http.StatusOK, &list)
	for _, x := range list.Data {
		if x.ID == c.ID && x.RevokedAt == nil {
			t.Errorf("revoked client listed without revoked_at")
		}
	}
	r, body = h.do(t, request{method: "DELETE", path: "/v1/oauth-clients/0190a8a8-1111-7000-8000-000000000000", apiKey: h.A.AdminKey})
	checkProblem(t, r, body, http.StatusNotFound)
	r, body = h.do(t, request{method: "POST", path: "/v1/oauth-clients", apiKey: h.A.AdminKey, contentType: "application/json", body: []byte(`{"name":"x","scopes":["everything"]}`)})
	checkProblem(t, r, body, http.StatusUnprocessableEntity, "scopes")
	r, body = h.do(t, request{method: "GET", path: "/v1/oauth-clients", apiKey: h.A.WriteKey})
	checkProblem(t, r, body, http.StatusForbidden)
}
