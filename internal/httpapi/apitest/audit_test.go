package apitest_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/app/apptest"
	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/httpapi"
	"github.com/callimport/callimport/internal/store"
)

// auditCase is one request and the audit record it must leave.
type auditCase struct {
	name string
	// op is the operationId the row exercises (the action, unless action
	// says otherwise).
	op  string
	req func(f *auditFixture) request
	// reqT, when set, builds the request instead of req.
	reqT func(t *testing.T, f *auditFixture) request
	// tus sends the request outside the validating transport (the tus
	// protocol is not described by the document).
	tus bool
	// Expected record; target "" expects no target id, "*" any non-empty one.
	action, actorType, actor, org, targetType, target, outcome string
	// status is the expected HTTP status (0: any 2xx).
	status int
	// detail are expected detail entries: key → name of the id.
	detail map[string]string
}

// auditFixture holds what the rows need: ids of credentials, a call, a
// campaign, and credentials made to be revoked.
type auditFixture struct {
	h                         *harness
	adminKeyID, writeKeyID    string
	readKeyID, clientID       string
	callID, campaignID        string
	spareKeyID, spareClientID string
	bearer                    string
	uploadPath                string
	connectorFixture
}

// auditRows is the table: every route of the API, with the record each
// request must leave. TestAuditEveryRoute fails when an operation of the
// document has no row.
func auditRows() []auditCase {
	const (
		anon, key, client  = audit.ActorAnonymous, audit.ActorAPIKey, audit.ActorOAuthClient
		ok, failed, denied = audit.OutcomeSuccess, audit.OutcomeFailure, audit.OutcomeDenied
	)
	get := func(path string, secret func(f *auditFixture) string) func(f *auditFixture) request {
		return func(f *auditFixture) request {
			r := request{method: "GET", path: path}
			if secret != nil {
				r.apiKey = secret(f)
			}
			return r
		}
	}
	admin := func(f *auditFixture) string { return f.h.A.AdminKey }
	reader := func(f *auditFixture) string { return f.h.A.ReadKey }
	orgA := "A"
	return append([]auditCase{
		// Operations: no authentication.
		{name: "health", op: "getHealth", req: get("/healthz", nil), actorType: anon, targetType: "", outcome: ok},
		{name: "readiness", op: "getReadiness", req: get("/readyz", nil), actorType: anon, outcome: ok},
		{name: "metrics", op: "getMetrics", req: get("/metrics", nil), actorType: anon, outcome: ok},
		{name: "openapi json", op: "getOpenAPIJSON", req: get("/v1/openapi.json", nil), actorType: anon, outcome: ok},
		{name: "openapi yaml", op: "getOpenAPIYAML", req: get("/v1/openapi.yaml", nil), actorType: anon, outcome: ok},
		{name: "docs", op: "getDocs", req: get("/docs", nil), actorType: anon, outcome: ok},
		{name: "unknown route", op: "", action: "unknownRoute", req: get("/v1/no-such-thing", admin),
			actorType: anon, outcome: failed, status: 404},

		// OAuth: the client that authenticates, or nobody.
		{name: "token", op: "issueToken", req: func(f *auditFixture) request {
			return tokenRequest(f.h.A.ClientID, f.h.A.ClientSecret)
		}, actorType: client, actor: "client", org: orgA, outcome: ok},
		{name: "token bad secret", op: "issueToken", req: func(f *auditFixture) request {
			return tokenRequest(f.h.A.ClientID, "wrong")
		}, actorType: anon, outcome: failed, status: 401},

		// Calls.
		{name: "upload", op: "createCall", req: func(f *auditFixture) request {
			return request{method: "POST", path: "/v1/calls/audio", apiKey: f.h.A.WriteKey, contentType: formType,
				body: form(filePart("a.wav", wav(901, 4000)), field("campaign_id", f.h.A.CampaignID))}
		}, actorType: key, actor: "write", org: orgA, targetType: "call", target: "*", outcome: ok, status: 201},
		{name: "upload alias", op: "createCallAlias", req: func(f *auditFixture) request {
			return request{method: "POST", path: "/calls/audio", apiKey: f.h.A.WriteKey, contentType: formType,
				body: form(filePart("b.wav", wav(902, 4000)), field("campaign_id", f.h.A.CampaignID))}
		}, actorType: key, actor: "write", org: orgA, targetType: "call", target: "*", outcome: ok, status: 201},
		{name: "upload bad key", op: "createCall", req: func(f *auditFixture) request {
			return request{method: "POST", path: "/v1/calls/audio", apiKey: "ci_live_nope", contentType: formType,
				body: form(filePart("c.wav", wav(904, 4000)), field("campaign_id", f.h.A.CampaignID))}
		}, actorType: anon, targetType: "call", outcome: failed, status: 401},
		{name: "list calls", op: "listCalls", req: get("/v1/calls", reader),
			actorType: key, actor: "read", org: orgA, targetType: "call", outcome: ok},
		{name: "list calls bad bearer", op: "listCalls", req: func(*auditFixture) request {
			return request{method: "GET", path: "/v1/calls", bearer: "cit_nope"}
		}, actorType: anon, targetType: "call", outcome: failed, status: 401},
		{name: "list calls by bearer", op: "listCalls", req: func(f *auditFixture) request {
			return request{method: "GET", path: "/v1/calls", bearer: f.bearer}
		}, actorType: client, actor: "client", org: orgA, targetType: "call", outcome: ok},
		{name: "get call", op: "getCall", req: func(f *auditFixture) request {
			return request{method: "GET", path: "/v1/calls/" + f.callID, apiKey: f.h.A.ReadKey}
		}, actorType: key, actor: "read", org: orgA, targetType: "call", target: "call", outcome: ok},
		{name: "get call of another org", op: "getCall", req: func(f *auditFixture) request {
			return request{method: "GET", path: "/v1/calls/" + f.callID, apiKey: f.h.B.ReadKey}
		}, actorType: key, actor: "B read", org: "B", targetType: "call", outcome: failed, status: 404},
		{name: "get audio", op: "getCallAudio", req: func(f *auditFixture) request {
			return request{method: "GET", path: "/v1/calls/" + f.callID + "/audio", apiKey: f.h.A.ReadKey}
		}, actorType: key, actor: "read", org: orgA, targetType: "call", target: "call", outcome: ok},
		{name: "head audio", op: "headCallAudio", req: func(f *auditFixture) request {
			return request{method: "HEAD", path: "/v1/calls/" + f.callID + "/audio", apiKey: f.h.A.ReadKey}
		}, actorType: key, actor: "read", org: orgA, targetType: "call", target: "call", outcome: ok},
		{name: "delete call without scope", op: "deleteCall", req: func(f *auditFixture) request {
			return request{method: "DELETE", path: "/v1/calls/" + f.callID, apiKey: f.h.A.ReadKey}
		}, actorType: key, actor: "read", org: orgA, targetType: "call", outcome: denied, status: 403},
		{name: "delete call", op: "deleteCall", req: func(f *auditFixture) request {
			return request{method: "DELETE", path: "/v1/calls/" + f.callID, apiKey: f.h.A.WriteKey}
		}, actorType: key, actor: "write", org: orgA, targetType: "call", target: "call", outcome: ok, status: 204},

		// Campaigns.
		{name: "create campaign", op: "createCampaign", req: func(f *auditFixture) request {
			return request{method: "POST", path: "/v1/campaigns", apiKey: f.h.A.AdminKey, contentType: "application/json",
				body: []byte(`{"name":"audited ` + randID() + `"}`)}
		}, actorType: key, actor: "admin", org: orgA, targetType: "campaign", target: "*", outcome: ok, status: 201},
		{name: "list campaigns", op: "listCampaigns", req: get("/v1/campaigns", reader),
			actorType: key, actor: "read", org: orgA, targetType: "campaign", outcome: ok},
		{name: "get campaign", op: "getCampaign", req: func(f *auditFixture) request {
			return request{method: "GET", path: "/v1/campaigns/" + f.campaignID, apiKey: f.h.A.ReadKey}
		}, actorType: key, actor: "read", org: orgA, targetType: "campaign", target: "campaign", outcome: ok},
		{name: "update campaign", op: "updateCampaign", req: func(f *auditFixture) request {
			return request{method: "PATCH", path: "/v1/campaigns/" + f.campaignID, apiKey: f.h.A.AdminKey,
				contentType: "application/json", body: []byte(`{"description":"audited"}`)}
		}, actorType: key, actor: "admin", org: orgA, targetType: "campaign", target: "campaign", outcome: ok},

		// Credentials.
		{name: "create api key", op: "createAPIKey", req: func(f *auditFixture) request {
			return request{method: "POST", path: "/v1/api-keys", apiKey: f.h.A.AdminKey, contentType: "application/json",
				body: []byte(`{"name":"audited","scopes":["calls:read"]}`)}
		}, actorType: key, actor: "admin", org: orgA, targetType: "api_key", target: "*", outcome: ok, status: 201},
		{name: "list api keys", op: "listAPIKeys", req: get("/v1/api-keys", admin),
			actorType: key, actor: "admin", org: orgA, targetType: "api_key", outcome: ok},
		{name: "list api keys without scope", op: "listAPIKeys", req: get("/v1/api-keys", reader),
			actorType: key, actor: "read", org: orgA, targetType: "api_key", outcome: denied, status: 403},
		{name: "revoke api key", op: "revokeAPIKey", req: func(f *auditFixture) request {
			return request{method: "DELETE", path: "/v1/api-keys/" + f.spareKeyID, apiKey: f.h.A.AdminKey}
		}, actorType: key, actor: "admin", org: orgA, targetType: "api_key", target: "spare key", outcome: ok, status: 204},
		{name: "create oauth client", op: "createOAuthClient", req: func(f *auditFixture) request {
			return request{method: "POST", path: "/v1/oauth-clients", apiKey: f.h.A.AdminKey, contentType: "application/json",
				body: []byte(`{"name":"audited","scopes":["calls:read"]}`)}
		}, actorType: key, actor: "admin", org: orgA, targetType: "oauth_client", target: "*", outcome: ok, status: 201},
		{name: "list oauth clients", op: "listOAuthClients", req: get("/v1/oauth-clients", admin),
			actorType: key, actor: "admin", org: orgA, targetType: "oauth_client", outcome: ok},
		{name: "revoke oauth client", op: "revokeOAuthClient", req: func(f *auditFixture) request {
			return request{method: "DELETE", path: "/v1/oauth-clients/" + f.spareClientID, apiKey: f.h.A.AdminKey}
		}, actorType: key, actor: "admin", org: orgA, targetType: "oauth_client", target: "spare client", outcome: ok, status: 204},

		// Audit.
		{name: "list audit events", op: "listAuditEvents", req: get("/v1/audit-events", admin),
			actorType: key, actor: "admin", org: orgA, targetType: "audit_event", outcome: ok},
		{name: "export audit events", op: "listAuditEvents", req: get("/v1/audit-events?format=jsonl&action=getCall", admin),
			actorType: key, actor: "admin", org: orgA, targetType: "audit_event", outcome: ok},

		// Resumable uploads.
		{name: "tus options", op: "", action: "uploadCall", tus: true, req: func(*auditFixture) request {
			return request{method: "OPTIONS", path: "/v1/uploads/"}
		}, actorType: anon, targetType: "upload", outcome: ok},
		{name: "tus create", op: "", action: "uploadCall", tus: true, req: func(f *auditFixture) request {
			return request{method: "POST", path: "/v1/uploads", apiKey: f.h.A.WriteKey, header: map[string]string{
				"Upload-Length": "100", "Upload-Metadata": tusMeta(f.h.A.CampaignID)}}
		}, actorType: key, actor: "write", org: orgA, targetType: "upload", target: "*", outcome: ok, status: 201},
		{name: "tus head", op: "", action: "uploadCall", tus: true, req: func(f *auditFixture) request {
			return request{method: "HEAD", path: f.uploadPath, apiKey: f.h.A.WriteKey}
		}, actorType: key, actor: "write", org: orgA, targetType: "upload", target: "upload", outcome: ok},
	}, auditConnectorRows()...)
}

func tokenRequest(id, secret string) request {
	return request{method: "POST", path: "/oauth/token", contentType: "application/x-www-form-urlencoded",
		body: []byte(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}.Encode())}
}

func randID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// TestAuditEveryRoute sends every request of the table and requires its
// audit record, then an upload's import record, and finally checks the
// chains.
func TestAuditEveryRoute(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			// Pull sources run when asked to ("run now"), not on a tick.
			h := setup(t, apptest.Options{Postgres: be.postgres, Configure: func(c *config.Serve) { c.SFTPPull.Tick = time.Hour }})
			f := newAuditFixture(t, h)
			ids := map[string]string{"admin": f.adminKeyID, "write": f.writeKeyID, "read": f.readKeyID,
				"client": f.clientID, "call": f.callID, "campaign": f.campaignID, "spare key": f.spareKeyID,
				"spare client": f.spareClientID, "B read": keyID(t, h, h.B.ReadKey), "A": h.A.OrgID, "B": h.B.OrgID,
				"upload": uploadID(f.uploadPath), "B admin": keyID(t, h, h.B.AdminKey), "account": f.accountID,
				"pull source": f.pullSourceID, "spare source": f.spareSrc, "erasure": f.erasureID}
			covered := map[string]bool{}
			for _, tc := range auditRows() {
				covered[tc.op] = true
				rid := "audit-" + randID()
				var r request
				if tc.reqT != nil {
					r = tc.reqT(t, f)
				} else {
					r = tc.req(f)
				}
				if r.header == nil {
					r.header = map[string]string{}
				}
				r.header["X-Request-Id"] = rid
				r.header["User-Agent"] = "audit-test/" + tc.name
				var resp *http.Response
				var body []byte
				if tc.tus {
					r.header["Tus-Resumable"] = "1.0.0"
					resp, body = tusDo(t, h, r.method, r.path, r.apiKey, r.bearer, r.header, r.body)
				} else {
					resp, body = h.do(t, r)
				}
				if (tc.status == 0 && resp.StatusCode >= 300) || (tc.status != 0 && resp.StatusCode != tc.status) {
					t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
					continue
				}
				rec, ok := h.auditByRequest(t, rid, ids[tc.org])
				if !ok {
					t.Errorf("%s: no audit record for request %s", tc.name, rid)
					continue
				}
				want := tc.action
				if want == "" {
					want = tc.op
				}
				target := ids[tc.target]
				if tc.target == "*" {
					target = rec.TargetID
					if target == "" || !strings.Contains(resp.Header.Get("Location"), target) && !bytes.Contains(body, []byte(target)) {
						t.Errorf("%s: target %q is not the created resource (Location %q)", tc.name, target, resp.Header.Get("Location"))
					}
				}
				got := fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%s|%s", rec.Action, rec.ActorType, rec.ActorID, rec.OrgID,
					rec.TargetType, rec.TargetID, rec.Outcome, rec.Detail["status"], rec.Client)
				exp := fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%d|%s", want, tc.actorType, ids[tc.actor], ids[tc.org],
					tc.targetType, target, tc.outcome, resp.StatusCode, "audit-test/"+tc.name)
				if got != exp {
					t.Errorf("%s: record\n got %s\nwant %s", tc.name, got, exp)
				}
				for k, v := range tc.detail {
					if rec.Detail[k] != ids[v] {
						t.Errorf("%s: detail %s = %q, want %q", tc.name, k, rec.Detail[k], ids[v])
					}
				}
				if rec.SourceIP != "127.0.0.1" {
					t.Errorf("%s: source ip %q", tc.name, rec.SourceIP)
				}
			}
			var doc struct {
				Paths map[string]map[string]json.RawMessage `json:"paths"`
			}
			if err := json.Unmarshal(httpapi.OpenAPIDocument(), &doc); err != nil {
				t.Fatal(err)
			}
			for path, item := range doc.Paths {
				for method, raw := range item {
					var op struct {
						OperationID string `json:"operationId"`
					}
					_ = json.Unmarshal(raw, &op) // "parameters" is an array
					if op.OperationID != "" && !covered[op.OperationID] {
						t.Errorf("operation %s (%s %s) has no row in the audit table (auditRows): add one with the record it must leave",
							op.OperationID, strings.ToUpper(method), path)
					}
				}
			}
			h.checkImports(t, f)
			h.checkExport(t)
			h.checkSystemEvents(t, f)
			for _, org := range []string{h.A.OrgID, h.B.OrgID, ""} {
				v, err := audit.Verify(t.Context(), h.Store.(store.Audit), org)
				if err != nil || !v.OK() || v.Records == 0 {
					t.Errorf("Verify(%q) = %+v, %v", org, v, err)
				}
			}
		})
	}
}

func newAuditFixture(t *testing.T, h *harness) *auditFixture {
	t.Helper()
	f := &auditFixture{h: h, adminKeyID: keyID(t, h, h.A.AdminKey), writeKeyID: keyID(t, h, h.A.WriteKey),
		readKeyID: keyID(t, h, h.A.ReadKey)}
	cl, err := h.Store.OAuthClientGetByClientID(t.Context(), h.A.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	f.clientID = cl.ID
	c, _ := h.upload(t, http.StatusCreated, filePart("fixture.wav", wav(900, 4000)), field("campaign_id", h.A.CampaignID))
	f.callID, f.campaignID = c.ID, h.newCampaign(t, "audit fixture "+randID())
	k, _, err := h.Server.Auth.CreateAPIKey(t.Context(), h.A.OrgID, "spare", []store.Scope{store.ScopeCallsRead})
	if err != nil {
		t.Fatal(err)
	}
	oc, _, err := h.Server.Auth.CreateOAuthClient(t.Context(), h.A.OrgID, "spare", []store.Scope{store.ScopeCallsRead})
	if err != nil {
		t.Fatal(err)
	}
	f.spareKeyID, f.spareClientID = k.ID, oc.ID
	tok, err := h.Server.Auth.IssueToken(t.Context(), h.A.ClientID, h.A.ClientSecret, "")
	if err != nil {
		t.Fatal(err)
	}
	f.bearer = tok.AccessToken
	resp, body := tusDo(t, h, http.MethodPost, "/v1/uploads", h.A.WriteKey, "", map[string]string{
		"Upload-Length": strconv.Itoa(len(wav(903, 4000))), "Upload-Metadata": tusMeta(h.A.CampaignID)}, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("tus create: %d %s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	f.uploadPath = loc.Path
	newConnectorFixture(t, f)
	return f
}

func keyID(t *testing.T, h *harness, secret string) string {
	t.Helper()
	k, err := h.Store.APIKeyGetByHash(t.Context(), auth.HashSecret(secret))
	if err != nil {
		t.Fatal(err)
	}
	return k.ID
}

func uploadID(path string) string { return path[strings.LastIndexByte(path, '/')+1:] }

// auditByRequest returns the record of request rid in orgID's chain. The
// server records a request once its handler returns, which may be just
// after the client has read the answer: it flushes the trail and looks
// again for a while.
func (h *harness) auditByRequest(t *testing.T, rid, orgID string) (store.AuditRecord, bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		if err := h.Server.Audit.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		var found store.AuditRecord
		ok := false
		err := h.Store.(store.Audit).AuditChain(t.Context(), orgID, func(r store.AuditRecord) error {
			if r.Detail["request_id"] == rid {
				found, ok = r, true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if ok || time.Now().After(deadline) {
			return found, ok
		}
		time.Sleep(delay)
	}
}

// checkImports requires one call.import record per committed recording,
// by the uploading key, from the API and the resumable upload alike.
func (h *harness) checkImports(t *testing.T, f *auditFixture) {
	t.Helper()
	data := wav(903, 4000)
	resp, body := tusDo(t, h, http.MethodPatch, f.uploadPath, h.A.WriteKey, "", map[string]string{
		"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, data)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("tus patch: %d %s", resp.StatusCode, body)
	}
	dup, _ := h.upload(t, http.StatusOK, filePart("again.wav", wav(901, 4000)), field("campaign_id", h.A.CampaignID))
	if err := h.Server.Audit.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	recs, _, err := h.Store.(store.Audit).AuditList(t.Context(), store.AuditListParams{OrgID: h.A.OrgID, Action: "call.import",
		Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]int{}
	for _, r := range recs {
		if r.ActorType != audit.ActorAPIKey || r.ActorID != f.writeKeyID || r.TargetType != "call" || r.TargetID == "" ||
			r.Outcome != audit.OutcomeSuccess || r.SourceIP != "127.0.0.1" {
			t.Errorf("import record %+v", r)
		}
		sources[r.Detail["source"]+" duplicate="+r.Detail["duplicate"]]++
		if r.Detail["duplicate"] == "true" && r.TargetID != dup.ID {
			t.Errorf("duplicate import names %s, want %s", r.TargetID, dup.ID)
		}
	}
	// The fixture, the two uploads of the table and the tus upload; then the duplicate.
	if sources["api duplicate="] != 4 || sources["api duplicate=true"] != 1 {
		t.Errorf("import records by source: %v", sources)
	}
}

// checkExport reads the trail as an admin: a filtered page, and exports
// (format=jsonl and Accept) whose lines chain.
func (h *harness) checkExport(t *testing.T) {
	t.Helper()
	var page struct {
		Data       []audit.Entry `json:"data"`
		NextCursor *string       `json:"next_cursor"`
	}
	h.json(t, request{method: "GET", path: "/v1/audit-events?action=deleteCall&outcome=denied&limit=1", apiKey: h.A.AdminKey},
		http.StatusOK, &page)
	if len(page.Data) != 1 || page.Data[0].Action != "deleteCall" || page.Data[0].Outcome != "denied" || page.NextCursor != nil {
		t.Errorf("filtered page %+v", page)
	}
	since := url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339))
	for _, r := range []request{
		{method: "GET", path: "/v1/audit-events?format=jsonl&since=" + since, apiKey: h.A.AdminKey},
		{method: "GET", path: "/v1/audit-events", apiKey: h.A.AdminKey, header: map[string]string{"Accept": "application/x-ndjson"}},
	} {
		resp, body := h.do(t, r)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("export: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		var prev audit.Entry
		n := 0
		sc := bufio.NewScanner(bytes.NewReader(body))
		for sc.Scan() {
			var e audit.Entry
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("export line %q: %v", sc.Text(), err)
			}
			if e.OrgID != h.A.OrgID || (n > 0 && (e.Seq != prev.Seq+1 || e.PrevHash != prev.Hash)) {
				t.Fatalf("export line %d does not chain: %+v after %+v", n, e, prev)
			}
			prev, n = e, n+1
		}
		if n < 20 {
			t.Errorf("export of %d lines", n)
		}
	}
	resp, body := h.do(t, request{method: "GET", path: "/v1/audit-events?outcome=maybe&format=xml&since=yesterday", apiKey: h.A.AdminKey})
	checkProblem(t, resp, body, http.StatusUnprocessableEntity, "outcome", "format", "since")
	resp, body = h.do(t, request{method: "GET", path: "/v1/audit-events?cursor=bogus", apiKey: h.A.AdminKey})
	checkProblem(t, resp, body, http.StatusUnprocessableEntity, "cursor")
	resp, body = h.do(t, request{method: "GET", path: "/v1/audit-events", apiKey: h.A.WriteKey})
	checkProblem(t, resp, body, http.StatusForbidden)
}
