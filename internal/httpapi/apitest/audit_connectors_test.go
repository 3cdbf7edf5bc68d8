package apitest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/source/genesys/genesystest"
)

// connectorFixture holds what the rows of the import channels and the
// erasures need: an SFTP account, pull sources, a Genesys simulator and
// an erasure.
type connectorFixture struct {
	accountID               string
	pullSourceID, spareSrc  string
	erasureID               string
	genesysURL              string
	genesysID, genesysToken string
}

// newConnectorFixture creates, through the API, an SFTP account, two
// disabled pull sources on the fixture's campaign and an erasure (of an
// address no call has), and starts a Genesys simulator.
func newConnectorFixture(t *testing.T, f *auditFixture) {
	t.Helper()
	h, key := f.h, f.h.A.AdminKey
	var a struct {
		ID string `json:"id"`
	}
	h.json(t, request{method: "POST", path: "/v1/sftp-accounts", apiKey: key, contentType: "application/json",
		body: jsonBody(t, map[string]any{"username": "audit-" + randID(), "password": "correct horse battery"})}, http.StatusCreated, &a)
	f.accountID = a.ID
	for _, id := range []*string{&f.pullSourceID, &f.spareSrc} {
		h.json(t, request{method: "POST", path: "/v1/campaigns/" + f.campaignID + "/pull-sources", apiKey: key,
			contentType: "application/json", body: pullSourceBody(t, 3600)}, http.StatusCreated, &a)
		*id = a.ID
	}
	h.json(t, request{method: "POST", path: "/v1/erasures", apiKey: key, contentType: "application/json",
		body: jsonBody(t, map[string]any{"agent_email": "nobody-" + randID() + "@example.com"})}, http.StatusAccepted, &a)
	f.erasureID = a.ID
	sim := genesystest.New(genesystest.Config{Seed: 11, Conversations: 6, TranscodingPercent: -1,
		Start: time.Now().Add(-10 * 24 * time.Hour).UTC().Truncate(time.Hour), Days: 2})
	t.Cleanup(sim.Close)
	f.genesysURL = sim.URL()
	f.genesysID, f.genesysToken = sim.Credentials()
}

// pullSourceBody is a disabled pull source of a server that does not
// answer (port 1), checked every interval seconds.
func pullSourceBody(t *testing.T, interval int) []byte {
	return jsonBody(t, map[string]any{"host": "127.0.0.1", "port": 1, "username": "u", "password": "pull-password-secret",
		"host_key_fingerprint": "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "pattern": "*.wav",
		"interval_seconds": interval, "enabled": false})
}

// auditConnectorRows are the rows of the SFTP accounts, pull sources,
// Genesys and erasures, each family with refused and failed requests.
func auditConnectorRows() []auditCase {
	const (
		key                = audit.ActorAPIKey
		ok, failed, denied = audit.OutcomeSuccess, audit.OutcomeFailure, audit.OutcomeDenied
		orgA               = "A"
	)
	send := func(method, path string, secret func(f *auditFixture) string, body func(t *testing.T, f *auditFixture) []byte,
	) func(t *testing.T, f *auditFixture) request {
		return func(t *testing.T, f *auditFixture) request {
			r := request{method: method, path: path, apiKey: secret(f)}
			if body != nil {
				r.contentType, r.body = "application/json", body(t, f)
			}
			return r
		}
	}
	admin := func(f *auditFixture) string { return f.h.A.AdminKey }
	reader := func(f *auditFixture) string { return f.h.A.ReadKey }
	adminB := func(f *auditFixture) string { return f.h.B.AdminKey }
	js := func(v map[string]any) func(t *testing.T, f *auditFixture) []byte {
		return func(t *testing.T, _ *auditFixture) []byte { return jsonBody(t, v) }
	}
	account := func(f *auditFixture) string { return "/v1/sftp-accounts/" + f.accountID }
	source := func(f *auditFixture) string { return "/v1/pull-sources/" + f.pullSourceID }
	sources := func(f *auditFixture) string { return "/v1/campaigns/" + f.campaignID + "/pull-sources" }
	rule := func(f *auditFixture) string { return "/v1/campaigns/" + f.campaignID + "/genesys-rule" }
	at := func(path func(f *auditFixture) string, suffix, method string, secret func(f *auditFixture) string,
		body func(t *testing.T, f *auditFixture) []byte) func(t *testing.T, f *auditFixture) request {
		return func(t *testing.T, f *auditFixture) request { return send(method, path(f)+suffix, secret, body)(t, f) }
	}
	connection := func(t *testing.T, f *auditFixture) []byte {
		return jsonBody(t, map[string]any{"api_base_url": f.genesysURL, "client_id": f.genesysID, "client_secret": f.genesysToken})
	}
	backfill := time.Now().Add(-14 * 24 * time.Hour).UTC().Format(time.RFC3339)
	campaign := map[string]string{"campaign_id": "campaign"}
	return []auditCase{
		// SFTP accounts.
		{name: "create sftp account", op: "createSFTPAccount", reqT: send("POST", "/v1/sftp-accounts", admin,
			js(map[string]any{"username": "audit-" + randID(), "password": "correct horse battery"})),
			actorType: key, actor: "admin", org: orgA, targetType: "sftp_account", target: "*", outcome: ok, status: 201},
		{name: "create sftp account invalid", op: "createSFTPAccount", reqT: send("POST", "/v1/sftp-accounts", admin,
			js(map[string]any{"username": "x y", "password": "short"})),
			actorType: key, actor: "admin", org: orgA, targetType: "sftp_account", outcome: failed, status: 422},
		{name: "list sftp accounts", op: "listSFTPAccounts", reqT: send("GET", "/v1/sftp-accounts", admin, nil),
			actorType: key, actor: "admin", org: orgA, targetType: "sftp_account", outcome: ok},
		{name: "list sftp accounts without scope", op: "listSFTPAccounts", reqT: send("GET", "/v1/sftp-accounts", reader, nil),
			actorType: key, actor: "read", org: orgA, targetType: "sftp_account", outcome: denied, status: 403},
		{name: "get sftp account", op: "getSFTPAccount", reqT: at(account, "", "GET", admin, nil),
			actorType: key, actor: "admin", org: orgA, targetType: "sftp_account", target: "account", outcome: ok},
		{name: "get sftp account of another org", op: "getSFTPAccount", reqT: at(account, "", "GET", adminB, nil),
			actorType: key, actor: "B admin", org: "B", targetType: "sftp_account", outcome: failed, status: 404},
		{name: "update sftp account", op: "updateSFTPAccount", reqT: at(account, "", "PATCH", admin, js(map[string]any{"disabled": true})),
			actorType: key, actor: "admin", org: orgA, targetType: "sftp_account", target: "account", outcome: ok},
		{name: "delete sftp account", op: "deleteSFTPAccount", reqT: at(account, "", "DELETE", admin, nil),
			actorType: key, actor: "admin", org: orgA, targetType: "sftp_account", target: "account", outcome: ok, status: 204},

		// Pull sources: a campaign's collection keeps the campaign in the detail.
		{name: "create pull source", op: "createPullSource", reqT: at(sources, "", "POST", admin,
			func(t *testing.T, _ *auditFixture) []byte { return pullSourceBody(t, 3600) }), detail: campaign,
			actorType: key, actor: "admin", org: orgA, targetType: "pull_source", target: "*", outcome: ok, status: 201},
		{name: "create pull source invalid", op: "createPullSource", reqT: at(sources, "", "POST", admin,
			func(t *testing.T, _ *auditFixture) []byte { return pullSourceBody(t, 5) }), detail: campaign,
			actorType: key, actor: "admin", org: orgA, targetType: "pull_source", outcome: failed, status: 422},
		{name: "create pull source in another org's campaign", op: "createPullSource", reqT: func(t *testing.T, f *auditFixture) request {
			return send("POST", "/v1/campaigns/"+f.h.B.CampaignID+"/pull-sources", admin,
				func(t *testing.T, _ *auditFixture) []byte { return pullSourceBody(t, 3600) })(t, f)
		}, actorType: key, actor: "admin", org: orgA, targetType: "pull_source", outcome: failed, status: 404},
		{name: "list campaign pull sources", op: "listCampaignPullSources", reqT: at(sources, "", "GET", reader, nil), detail: campaign,
			actorType: key, actor: "read", org: orgA, targetType: "pull_source", outcome: ok},
		{name: "list pull sources", op: "listPullSources", reqT: send("GET", "/v1/pull-sources", reader, nil),
			actorType: key, actor: "read", org: orgA, targetType: "pull_source", outcome: ok},
		{name: "get pull source", op: "getPullSource", reqT: at(source, "", "GET", reader, nil),
			actorType: key, actor: "read", org: orgA, targetType: "pull_source", target: "pull source", outcome: ok},
		{name: "run disabled pull source", op: "runPullSource", reqT: at(source, "/run", "POST", admin, nil),
			actorType: key, actor: "admin", org: orgA, targetType: "pull_source", target: "pull source", outcome: failed, status: 409},
		{name: "update pull source", op: "updatePullSource", reqT: at(source, "", "PATCH", admin, js(map[string]any{"enabled": true})),
			actorType: key, actor: "admin", org: orgA, targetType: "pull_source", target: "pull source", outcome: ok},
		{name: "run pull source", op: "runPullSource", reqT: at(source, "/run", "POST", admin, nil),
			actorType: key, actor: "admin", org: orgA, targetType: "pull_source", target: "pull source", outcome: ok, status: 202},
		{name: "run pull source without scope", op: "runPullSource", reqT: at(source, "/run", "POST", reader, nil),
			actorType: key, actor: "read", org: orgA, targetType: "pull_source", outcome: denied, status: 403},
		{name: "list pull runs", op: "listPullRuns", reqT: at(source, "/runs", "GET", reader, nil),
			actorType: key, actor: "read", org: orgA, targetType: "pull_source", target: "pull source", outcome: ok},
		{name: "delete pull source", op: "deletePullSource", reqT: func(t *testing.T, f *auditFixture) request {
			return send("DELETE", "/v1/pull-sources/"+f.spareSrc, admin, nil)(t, f)
		}, actorType: key, actor: "admin", org: orgA, targetType: "pull_source", target: "spare source", outcome: ok, status: 204},

		// Genesys: the connection is one per organisation, a rule one per campaign.
		{name: "get missing genesys connection", op: "getGenesysConnection", reqT: send("GET", "/v1/genesys/connection", admin, nil),
			actorType: key, actor: "admin", org: orgA, targetType: "genesys_connection", outcome: failed, status: 404},
		{name: "put genesys connection", op: "putGenesysConnection", reqT: send("PUT", "/v1/genesys/connection", admin, connection),
			actorType: key, actor: "admin", org: orgA, targetType: "genesys_connection", outcome: ok},
		{name: "put genesys connection without scope", op: "putGenesysConnection", reqT: send("PUT", "/v1/genesys/connection", reader, connection),
			actorType: key, actor: "read", org: orgA, targetType: "genesys_connection", outcome: denied, status: 403},
		{name: "get genesys connection", op: "getGenesysConnection", reqT: send("GET", "/v1/genesys/connection", admin, nil),
			actorType: key, actor: "admin", org: orgA, targetType: "genesys_connection", outcome: ok},
		{name: "test genesys connection", op: "testGenesysConnection", reqT: send("POST", "/v1/genesys/connection/test", admin, nil),
			actorType: key, actor: "admin", org: orgA, targetType: "genesys_connection", outcome: ok},
		{name: "put genesys rule", op: "putGenesysRule", reqT: at(rule, "", "PUT", admin,
			js(map[string]any{"backfill_start": backfill, "interval_seconds": 3600, "enabled": false})),
			actorType: key, actor: "admin", org: orgA, targetType: "genesys_rule", target: "campaign", outcome: ok},
		{name: "put genesys rule invalid", op: "putGenesysRule", reqT: at(rule, "", "PUT", admin, js(map[string]any{"sample_percent": 150})),
			actorType: key, actor: "admin", org: orgA, targetType: "genesys_rule", target: "campaign", outcome: failed, status: 422},
		{name: "get genesys rule", op: "getGenesysRule", reqT: at(rule, "", "GET", reader, nil),
			actorType: key, actor: "read", org: orgA, targetType: "genesys_rule", target: "campaign", outcome: ok},
		{name: "get genesys rule of another org", op: "getGenesysRule", reqT: at(rule, "", "GET", adminB, nil),
			actorType: key, actor: "B admin", org: "B", targetType: "genesys_rule", outcome: failed, status: 404},
		{name: "list genesys rules", op: "listGenesysRules", reqT: send("GET", "/v1/genesys/rules", reader, nil),
			actorType: key, actor: "read", org: orgA, targetType: "genesys_rule", outcome: ok},
		{name: "list genesys runs", op: "listGenesysRuns", reqT: at(rule, "/runs", "GET", reader, nil),
			actorType: key, actor: "read", org: orgA, targetType: "genesys_rule", target: "campaign", outcome: ok},
		{name: "preview genesys rule", op: "previewGenesysRule", reqT: at(rule, "/preview", "POST", admin,
			js(map[string]any{"from": backfill, "to": time.Now().UTC().Format(time.RFC3339)})),
			actorType: key, actor: "admin", org: orgA, targetType: "genesys_rule", target: "campaign", outcome: ok},
		{name: "delete genesys rule", op: "deleteGenesysRule", reqT: at(rule, "", "DELETE", admin, nil),
			actorType: key, actor: "admin", org: orgA, targetType: "genesys_rule", target: "campaign", outcome: ok, status: 204},
		{name: "delete genesys connection", op: "deleteGenesysConnection", reqT: send("DELETE", "/v1/genesys/connection", admin, nil),
			actorType: key, actor: "admin", org: orgA, targetType: "genesys_connection", outcome: ok, status: 204},

		// Erasures: the request's body (an e-mail, a value) is never recorded.
		{name: "create erasure", op: "createErasure", reqT: send("POST", "/v1/erasures", admin,
			js(map[string]any{"agent_email": "nobody-" + randID() + "@example.com"})),
			actorType: key, actor: "admin", org: orgA, targetType: "erasure", target: "*", outcome: ok, status: 202},
		{name: "create erasure invalid", op: "createErasure", reqT: send("POST", "/v1/erasures", admin, js(map[string]any{})),
			actorType: key, actor: "admin", org: orgA, targetType: "erasure", outcome: failed, status: 422},
		{name: "create erasure without scope", op: "createErasure", reqT: send("POST", "/v1/erasures", reader,
			js(map[string]any{"agent_email": "nobody@example.com"})),
			actorType: key, actor: "read", org: orgA, targetType: "erasure", outcome: denied, status: 403},
		{name: "list erasures", op: "listErasures", reqT: send("GET", "/v1/erasures", admin, nil),
			actorType: key, actor: "admin", org: orgA, targetType: "erasure", outcome: ok},
		{name: "get erasure", op: "getErasure", reqT: func(t *testing.T, f *auditFixture) request {
			return send("GET", "/v1/erasures/"+f.erasureID, admin, nil)(t, f)
		}, actorType: key, actor: "admin", org: orgA, targetType: "erasure", target: "erasure", outcome: ok},
		{name: "get erasure of another org", op: "getErasure", reqT: func(t *testing.T, f *auditFixture) request {
			return send("GET", "/v1/erasures/"+f.erasureID, adminB, nil)(t, f)
		}, actorType: key, actor: "B admin", org: "B", targetType: "erasure", outcome: failed, status: 404},
	}
}

// checkSystemEvents reads, through the API (and so the document's
// schema), the records the server leaves on its own: the erasure's
// request and completion, and the run the "run pull source" row asked for
// (it fails: nothing answers on port 1).
func (h *harness) checkSystemEvents(t *testing.T, f *auditFixture) {
	t.Helper()
	var page struct {
		Data []audit.Entry `json:"data"`
	}
	for _, c := range []struct{ action, target, outcome string }{
		{"erasure.request", f.erasureID, audit.OutcomeSuccess},
		{"erasure.done", f.erasureID, audit.OutcomeSuccess},
		{"pull.run", f.pullSourceID, audit.OutcomeFailure},
	} {
		found := false
		for range 500 {
			if err := h.Server.Audit.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			h.json(t, request{method: "GET", path: "/v1/audit-events?action=" + c.action, apiKey: h.A.AdminKey}, http.StatusOK, &page)
			for _, e := range page.Data {
				found = found || e.TargetID == c.target
				if e.TargetID == c.target && e.Outcome != c.outcome {
					t.Errorf("%s record %+v, want %s", c.action, e, c.outcome)
				}
			}
			if found {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if !found {
			t.Errorf("no %s record of %s in %+v", c.action, c.target, page.Data)
		}
	}
}
