package apitest_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/callimport/callimport/internal/app/apptest"
)

// TestIsolation walks every operation of the OpenAPI document (so that a
// new route cannot be forgotten) with organisation B's credentials aimed at
// organisation A's resources, and requires 404 (or 403 for a missing
// scope), never A's data; then checks that A's resources are untouched.
func TestIsolation(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			testIsolation(t, setup(t, apptest.Options{Postgres: be.postgres}))
		})
	}
}

// victim is what org A owns and org B must never see.
type victim struct {
	callID, sha, keyID, clientRecordID string
	erasureID                          string
	// secrets are strings that must appear in no answer to B.
	secrets []string
	// connectors are A's import channel items (connectors_isolation_test.go).
	connectors connectorVictim
}

func newVictim(t *testing.T, h *harness) victim {
	c, _ := h.upload(t, http.StatusCreated, field("campaign_id", h.A.CampaignID), field("external_id", "iso-ext-A"),
		field("agent_email", "alice@a.example"), field("metadata", `{"phone":"+33612345678"}`), filePart("alice-secret.wav", wav(700, 800)))
	h.waitCall(t, h.A.ReadKey, c.ID)
	var keys, clients struct {
		Data []credentialJSON `json:"data"`
	}
	h.json(t, request{method: "GET", path: "/v1/api-keys", apiKey: h.A.AdminKey}, http.StatusOK, &keys)
	h.json(t, request{method: "GET", path: "/v1/oauth-clients", apiKey: h.A.AdminKey}, http.StatusOK, &clients)
	if len(keys.Data) == 0 || len(clients.Data) == 0 {
		t.Fatalf("org A has no key or client")
	}
	v := victim{callID: c.ID, sha: c.SHA256, keyID: keys.Data[0].ID, clientRecordID: clients.Data[0].ID}
	v.erasureID = h.erase(t, h.A.AdminKey, map[string]any{"metadata": map[string]string{"key": "phone", "value": "+33600000001"}}).ID
	v.secrets = []string{h.A.OrgID, h.A.CampaignID, c.ID, c.SHA256, "iso-ext-A", "alice@a.example", "+33612345678",
		"alice-secret", "Org A", v.erasureID, h.A.AdminKey, h.A.WriteKey, h.A.ReadKey, h.A.ClientID, h.A.ClientSecret}
	for _, k := range keys.Data {
		v.secrets = append(v.secrets, k.ID, k.Prefix)
	}
	for _, c := range clients.Data {
		v.secrets = append(v.secrets, c.ID)
	}
	cv, secrets := newConnectorVictim(t, h)
	v.connectors, v.secrets = cv, append(v.secrets, secrets...)
	return v
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// victimPath fills the path parameters of an operation's template with
// org A's real ids; ok is false for a resource the test does not know.
func victimPath(tmpl string, v victim, h *harness) (string, bool) {
	if !pathParam.MatchString(tmpl) {
		return tmpl, true
	}
	var id string
	switch {
	case strings.HasPrefix(tmpl, "/v1/calls/"):
		id = v.callID
	case strings.HasPrefix(tmpl, "/v1/campaigns/"):
		id = h.A.CampaignID
	case strings.HasPrefix(tmpl, "/v1/api-keys/"):
		id = v.keyID
	case strings.HasPrefix(tmpl, "/v1/oauth-clients/"):
		id = v.clientRecordID
	case strings.HasPrefix(tmpl, "/v1/erasures/"):
		id = v.erasureID
	default:
		return v.connectors.path(tmpl)
	}
	return pathParam.ReplaceAllString(tmpl, url.PathEscape(id)), true
}

func testIsolation(t *testing.T, h *harness) {
	v := newVictim(t, h)
	bToken := h.token(t, h.B.ClientID, h.B.ClientSecret, "")
	creds := []struct {
		name        string
		key, bearer string
		admin       bool
	}{
		{"B admin key", h.B.AdminKey, "", true},
		{"B bearer token", "", bToken, true},
		{"B write key", h.B.WriteKey, "", false},
		{"B read key", h.B.ReadKey, "", false},
	}
	walked := 0
	for _, op := range contract.Operations() {
		if op.Public {
			continue // no credentials, no organisation: nothing to isolate
		}
		path, ok := victimPath(op.Path, v, h)
		if !ok {
			t.Errorf("%s %s: the isolation test does not know whose id to put in this path; teach victimPath", op.Method, op.Path)
			continue
		}
		walked++
		hasID := path != op.Path
		for _, cr := range creds {
			r := request{method: op.Method, path: path, apiKey: cr.key, bearer: cr.bearer}
			switch op.ID {
			case "createCall", "createCallAlias":
				r.contentType = formType
				r.body = form(field("campaign_id", h.A.CampaignID), filePart("b.wav", wav(701, 800)))
			case "createCampaign":
				r.contentType, r.body = "application/json", []byte(`{"name":"B campaign `+cr.name+`"}`)
			case "updateCampaign":
				r.contentType, r.body = "application/json", []byte(`{"name":"hijacked `+cr.name+`","retention_days":1}`)
			case "createAPIKey", "createOAuthClient":
				r.contentType, r.body = "application/json", []byte(`{"name":"B","scopes":["calls:read"]}`)
			case "createErasure": // by A's agent e-mail: accepted, erases nothing of A's
				r.contentType, r.body = "application/json", []byte(`{"agent_email":"alice@a.example"}`)
			case "listCalls":
				r.path += "?" + url.Values{"campaign_id": {h.A.CampaignID}}.Encode()
			default:
				v.connectors.prepare(t, &r, op.ID, cr.name)
			}
			resp, body := h.do(t, r)
			where := op.Method + " " + r.path + " with " + cr.name
			mustContainNone(t, where, body, v.secrets...)
			for k, vals := range resp.Header {
				mustContainNone(t, where+" header "+k, []byte(strings.Join(vals, " ")), v.secrets...)
			}
			st := resp.StatusCode
			switch {
			case hasID || op.ID == "createCall" || op.ID == "createCallAlias":
				if st != http.StatusNotFound && (cr.admin || st != http.StatusForbidden) {
					t.Errorf("%s: %d, want 404 (or 403 without the scope); body: %s", where, st, body)
				}
			case st >= 300 && (cr.admin || st != http.StatusForbidden):
				t.Errorf("%s: %d; body: %s", where, st, body)
			}
			if st >= 400 && op.Method != http.MethodHead {
				checkProblem(t, resp, body, st)
			}
		}
	}
	if walked < 15 {
		t.Errorf("walked only %d operations", walked)
	}

	// B's filtered listings are empty.
	for _, q := range []url.Values{{"external_id": {"iso-ext-A"}}, {"agent_email": {"alice@a.example"}}, {}} {
		var p struct {
			Data []callJSON `json:"data"`
		}
		h.json(t, request{method: "GET", path: "/v1/calls?" + q.Encode(), apiKey: h.B.ReadKey}, http.StatusOK, &p)
		for _, c := range p.Data {
			if c.ID == v.callID || c.CampaignID == h.A.CampaignID {
				t.Errorf("B lists A's call %s with %v", c.ID, q)
			}
		}
	}
	var camps struct {
		Data []campaignJSON `json:"data"`
	}
	h.json(t, request{method: "GET", path: "/v1/campaigns", apiKey: h.B.ReadKey}, http.StatusOK, &camps)
	if slices.ContainsFunc(camps.Data, func(c campaignJSON) bool { return c.ID == h.A.CampaignID }) {
		t.Errorf("B lists A's campaign")
	}

	// A's resources are untouched.
	var camp campaignJSON
	h.json(t, request{method: "GET", path: "/v1/campaigns/" + h.A.CampaignID, apiKey: h.A.ReadKey}, http.StatusOK, &camp)
	if camp.Name != "Campaign of Org A" || camp.RetentionDays != 0 {
		t.Errorf("A's campaign changed: %+v", camp)
	}
	h.json(t, request{method: "GET", path: "/v1/calls/" + v.callID, apiKey: h.A.ReadKey}, http.StatusOK, nil)
	var keys, clients struct {
		Data []credentialJSON `json:"data"`
	}
	h.json(t, request{method: "GET", path: "/v1/api-keys", apiKey: h.A.AdminKey}, http.StatusOK, &keys)
	h.json(t, request{method: "GET", path: "/v1/oauth-clients", apiKey: h.A.AdminKey}, http.StatusOK, &clients)
	for _, k := range append(keys.Data, clients.Data...) {
		if k.RevokedAt != nil {
			t.Errorf("A's credential %s revoked", k.ID)
		}
		if k.Name == "B" {
			t.Errorf("B's credential %s listed for A", k.ID)
		}
	}
	h.token(t, h.A.ClientID, h.A.ClientSecret, "")
}
