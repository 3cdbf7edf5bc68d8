package apitest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/connectors"
	"github.com/callimport/callimport/internal/source/genesys/genesystest"
)

// connectorVictim is what org A owns of the import channels, and what org
// B needs so that its own organisation-wide operations answer 2xx.
type connectorVictim struct {
	accountID, sourceID string
	// bConn re-enters B's Genesys connection (a simulator it can test).
	bConn func(t *testing.T)
}

// newConnectorVictim gives A an SFTP account, a pull source, a Genesys
// connection and rule, and returns the strings none of B's answers may hold.
func newConnectorVictim(t *testing.T, h *harness) (connectorVictim, []string) {
	t.Helper()
	var cv connectorVictim
	var acct sftpAccountJSON
	h.json(t, request{method: "POST", path: "/v1/sftp-accounts", apiKey: h.A.AdminKey, contentType: "application/json",
		body: jsonBody(t, map[string]any{"username": "a-partner-login", "password": "a-sftp-password-secret",
			"public_keys": []string{testPublicKey}})}, http.StatusCreated, &acct)
	cv.accountID = acct.ID
	var src pullSourceJSON
	h.json(t, request{method: "POST", path: "/v1/campaigns/" + h.A.CampaignID + "/pull-sources", apiKey: h.A.AdminKey,
		contentType: "application/json", body: jsonBody(t, map[string]any{"host": "a-customer-sftp.example", "username": "a-pull-user",
			"password": "a-pull-password-secret", "host_key_fingerprint": "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
			"enabled": false})}, http.StatusCreated, &src)
	cv.sourceID = src.ID
	h.json(t, request{method: "PUT", path: "/v1/genesys/connection", apiKey: h.A.AdminKey, contentType: "application/json",
		body: jsonBody(t, map[string]any{"region": "a-region.example", "client_id": "a-genesys-client-id",
			"client_secret": "a-genesys-secret"})}, http.StatusOK, nil)
	h.json(t, request{method: "PUT", path: "/v1/campaigns/" + h.A.CampaignID + "/genesys-rule", apiKey: h.A.AdminKey,
		contentType: "application/json", body: jsonBody(t, map[string]any{"backfill_start": "2026-01-01T00:00:00Z",
			"queue_ids": []string{"a-queue-id"}})}, http.StatusOK, nil)
	sim := genesystest.New(genesystest.Config{Seed: 11, Conversations: 3})
	t.Cleanup(sim.Close)
	id, secret := sim.Credentials()
	cv.bConn = func(t *testing.T) {
		t.Helper()
		if _, err := h.Server.Connectors.PutGenesysConnection(t.Context(), h.B.OrgID, connectors.GenesysConnectionInput{
			APIBaseURL: sim.URL(), ClientID: id, ClientSecret: &secret}); err != nil {
			t.Fatal(err)
		}
	}
	cv.bConn(t)
	return cv, []string{acct.ID, "a-partner-login", "a-sftp-password-secret", "partner", src.ID, "a-customer-sftp",
		"a-pull-user", "a-pull-password-secret", "a-region", "a-genesys-client-id", "a-genesys-secret", "a-queue-id"}
}

// path fills a connector operation's path with A's ids; ok is false for
// a path it does not know.
func (cv connectorVictim) path(tmpl string) (string, bool) {
	var id string
	switch {
	case strings.HasPrefix(tmpl, "/v1/sftp-accounts/"):
		id = cv.accountID
	case strings.HasPrefix(tmpl, "/v1/pull-sources/"):
		id = cv.sourceID
	default:
		return "", false
	}
	return pathParam.ReplaceAllString(tmpl, url.PathEscape(id)), true
}

// prepare gives B's request to a connector operation a valid body and
// what B needs on its side (its own Genesys connection).
func (cv connectorVictim) prepare(t *testing.T, r *request, opID, cred string) {
	switch opID {
	case "createSFTPAccount":
		name := strings.ToLower(strings.ReplaceAll(cred, " ", "-"))
		r.contentType, r.body = "application/json", []byte(`{"username":"b-`+name+`-`+time.Now().Format("150405.000000")+`","password":"b password of twelve"}`)
	case "putGenesysConnection":
		r.contentType, r.body = "application/json", []byte(`{"region":"mypurecloud.ie","client_id":"b","client_secret":"b"}`)
	case "getGenesysConnection", "deleteGenesysConnection", "testGenesysConnection":
		cv.bConn(t)
	}
}
