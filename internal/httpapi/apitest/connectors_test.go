package apitest_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/app/apptest"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/sealing"
	"github.com/callimport/callimport/internal/source/genesys/genesystest"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/testenv"
)

// connectorsOptions run pull sources and Genesys rules on short ticks.
func connectorsOptions(postgres bool) apptest.Options {
	return apptest.Options{Postgres: postgres, Configure: func(c *config.Serve) {
		c.SFTPPull.Tick = 50 * time.Millisecond
		c.Genesys.Tick = 50 * time.Millisecond
		c.Genesys.Lag = -1
	}}
}

type sftpAccountJSON struct {
	ID          string   `json:"id"`
	Username    string   `json:"username"`
	HasPassword bool     `json:"has_password"`
	PublicKeys  []string `json:"public_keys"`
	CampaignIDs []string `json:"campaign_ids"`
	Disabled    bool     `json:"disabled"`
}

const testPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEm4xPs5yEWoBF0oXX6yq9cJa5cJ8C3e+Og3SdE3Ebqx partner"

func TestSFTPAccounts(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			h := setup(t, apptest.Options{Postgres: be.postgres})
			key := h.A.AdminKey
			body := jsonBody(t, map[string]any{"username": "Partner-One", "password": "correct horse battery",
				"public_keys": []string{testPublicKey}, "campaign_ids": []string{h.A.CampaignID}})
			var a sftpAccountJSON
			resp, raw := h.do(t, request{method: "POST", path: "/v1/sftp-accounts", apiKey: key, contentType: "application/json", body: body})
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("create: %d %s", resp.StatusCode, raw)
			}
			mustContainNone(t, "created account", raw, "correct horse battery", "argon2")
			h.json(t, request{method: "GET", path: resp.Header.Get("Location"), apiKey: key}, http.StatusOK, &a)
			if a.Username != "partner-one" || !a.HasPassword || len(a.PublicKeys) != 1 || len(a.CampaignIDs) != 1 {
				t.Fatalf("account %+v", a)
			}
			stored, err := h.Store.(store.SFTPAccounts).SFTPAccountGet(t.Context(), h.A.OrgID, a.ID)
			if err != nil || !strings.HasPrefix(stored.PasswordHash, "$argon2id$") {
				t.Fatalf("stored hash %q, %v", stored.PasswordHash, err)
			}
			resp, raw = h.do(t, request{method: "POST", path: "/v1/sftp-accounts", apiKey: h.B.AdminKey, contentType: "application/json",
				body: jsonBody(t, map[string]any{"username": "partner-one", "password": "another long password"})})
			checkProblem(t, resp, raw, http.StatusConflict)
			resp, raw = h.do(t, request{method: "POST", path: "/v1/sftp-accounts", apiKey: key, contentType: "application/json",
				body: jsonBody(t, map[string]any{"username": "x y", "password": "short", "public_keys": []string{"nope"},
					"campaign_ids": []string{h.B.CampaignID}})})
			checkProblem(t, resp, raw, http.StatusUnprocessableEntity, "username", "password", "public_keys", "campaign_ids")

			var list struct {
				Data []sftpAccountJSON `json:"data"`
			}
			h.json(t, request{method: "GET", path: "/v1/sftp-accounts", apiKey: key}, http.StatusOK, &list)
			if len(list.Data) != 1 || list.Data[0].ID != a.ID {
				t.Fatalf("list %+v", list.Data)
			}
			h.json(t, request{method: "PATCH", path: "/v1/sftp-accounts/" + a.ID, apiKey: key, contentType: "application/json",
				body: jsonBody(t, map[string]any{"password": "", "campaign_ids": []string{}, "disabled": true})}, http.StatusOK, &a)
			if a.HasPassword || !a.Disabled || len(a.CampaignIDs) != 0 || len(a.PublicKeys) != 1 {
				t.Fatalf("patched %+v", a)
			}
			resp, raw = h.do(t, request{method: "PATCH", path: "/v1/sftp-accounts/" + a.ID, apiKey: key, contentType: "application/json",
				body: jsonBody(t, map[string]any{"public_keys": []string{}})})
			checkProblem(t, resp, raw, http.StatusUnprocessableEntity, "password")
			resp, raw = h.do(t, request{method: "DELETE", path: "/v1/sftp-accounts/" + a.ID, apiKey: key})
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("delete: %d %s", resp.StatusCode, raw)
			}
			resp, raw = h.do(t, request{method: "GET", path: "/v1/sftp-accounts/" + a.ID, apiKey: key})
			checkProblem(t, resp, raw, http.StatusNotFound)
		})
	}
}

type pullSourceJSON struct {
	ID            string     `json:"id"`
	CampaignID    string     `json:"campaign_id"`
	Host          string     `json:"host"`
	Port          int        `json:"port"`
	HasPassword   bool       `json:"has_password"`
	HasPrivateKey bool       `json:"has_private_key"`
	AfterAction   string     `json:"after_action"`
	Enabled       bool       `json:"enabled"`
	LastRunAt     *time.Time `json:"last_run_at"`
	LastImportAt  *time.Time `json:"last_import_at"`
	Quiet         bool       `json:"quiet"`
}

type pullRunJSON struct {
	ID       string   `json:"id"`
	Seen     int      `json:"seen"`
	Imported int      `json:"imported"`
	Errors   []string `json:"errors"`
}

func TestPullSources(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			h := setup(t, connectorsOptions(be.postgres))
			key := h.A.AdminKey
			const pw = "pull-password-secret"
			var src pullSourceJSON
			resp := h.json(t, request{method: "POST", path: "/v1/campaigns/" + h.A.CampaignID + "/pull-sources", apiKey: key,
				contentType: "application/json", body: jsonBody(t, map[string]any{"host": "127.0.0.1", "port": 1, "username": "u",
					"password": pw, "host_key_fingerprint": "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
					"pattern": "*.wav", "interval_seconds": 3600, "enabled": false})}, http.StatusCreated, &src)
			if resp.Header.Get("Location") != "/v1/pull-sources/"+src.ID || !src.HasPassword || src.HasPrivateKey || src.Enabled ||
				src.Quiet || src.LastImportAt != nil || src.Port != 1 || src.AfterAction != "keep" {
				t.Fatalf("created %+v", src)
			}
			stored, err := h.Store.(store.SFTPPull).PullSourceGet(t.Context(), h.A.OrgID, src.ID)
			if err != nil || !strings.HasPrefix(stored.PasswordSealed, "v2:") || strings.Contains(stored.PasswordSealed, pw) {
				t.Fatalf("stored password %q, %v", stored.PasswordSealed, err)
			}
			resp, raw := h.do(t, request{method: "POST", path: "/v1/campaigns/" + h.A.CampaignID + "/pull-sources", apiKey: key,
				contentType: "application/json", body: jsonBody(t, map[string]any{"host": "h", "username": "u", "port": 0,
					"host_key_fingerprint": "md5", "after_action": "archive", "interval_seconds": 5})})
			checkProblem(t, resp, raw, http.StatusUnprocessableEntity, "port", "host_key_fingerprint", "after_action", "interval_seconds", "password")
			resp, raw = h.do(t, request{method: "POST", path: "/v1/pull-sources/" + src.ID + "/run", apiKey: key})
			checkProblem(t, resp, raw, http.StatusConflict)

			var list struct {
				Data []pullSourceJSON `json:"data"`
			}
			for _, p := range []string{"/v1/pull-sources", "/v1/campaigns/" + h.A.CampaignID + "/pull-sources"} {
				_, raw := h.do(t, request{method: "GET", path: p, apiKey: h.A.ReadKey})
				mustContainNone(t, p, raw, pw)
				h.json(t, request{method: "GET", path: p, apiKey: h.A.ReadKey}, http.StatusOK, &list)
				if len(list.Data) != 1 || list.Data[0].ID != src.ID {
					t.Fatalf("%s: %+v", p, list.Data)
				}
			}
			h.json(t, request{method: "PATCH", path: "/v1/pull-sources/" + src.ID, apiKey: key, contentType: "application/json",
				body: jsonBody(t, map[string]any{"enabled": true, "after_action": "move:done"})}, http.StatusOK, &src)
			if !src.Enabled || src.AfterAction != "move:done" || !src.HasPassword {
				t.Fatalf("patched %+v", src)
			}
			h.json(t, request{method: "POST", path: "/v1/pull-sources/" + src.ID + "/run", apiKey: key}, http.StatusAccepted, nil)
			var runs struct {
				Data []pullRunJSON `json:"data"`
			}
			for range 300 { // the run is recorded, then its lease released
				h.json(t, request{method: "GET", path: "/v1/pull-sources/" + src.ID, apiKey: h.A.ReadKey}, http.StatusOK, &src)
				if src.LastRunAt != nil {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			h.json(t, request{method: "GET", path: "/v1/pull-sources/" + src.ID + "/runs?limit=5", apiKey: h.A.ReadKey}, http.StatusOK, &runs)
			// One run, or two when the scheduler's first run of the new
			// source was under way when "run now" came (it is kept, not lost).
			if len(runs.Data) == 0 || len(runs.Data) > 2 {
				t.Fatalf("runs %+v", runs.Data)
			}
			for _, r := range runs.Data {
				if len(r.Errors) == 0 || !strings.HasPrefix(r.Errors[0], "run failed: ") {
					t.Fatalf("runs %+v", runs.Data)
				}
			}
			if src.LastRunAt == nil || src.LastImportAt != nil {
				t.Fatalf("health after a failed run %+v", src)
			}
			resp, raw = h.do(t, request{method: "GET", path: "/v1/pull-sources/" + src.ID + "/runs?limit=0", apiKey: key})
			checkProblem(t, resp, raw, http.StatusUnprocessableEntity, "limit")
			resp, _ = h.do(t, request{method: "DELETE", path: "/v1/pull-sources/" + src.ID, apiKey: key})
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("delete: %d", resp.StatusCode)
			}
			resp, raw = h.do(t, request{method: "GET", path: "/v1/pull-sources/" + src.ID + "/runs", apiKey: key})
			checkProblem(t, resp, raw, http.StatusNotFound)
		})
	}
}

type genesysRuleJSON struct {
	CampaignID   string     `json:"campaign_id"`
	Enabled      bool       `json:"enabled"`
	LastRunAt    *time.Time `json:"last_run_at"`
	LastImportAt *time.Time `json:"last_import_at"`
	Quiet        bool       `json:"quiet"`
	Watermark    *time.Time `json:"watermark"`
}

func TestGenesysAPI(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			h := setup(t, connectorsOptions(be.postgres))
			sim := genesystest.New(genesystest.Config{Seed: 7, Conversations: 15, TranscodingPercent: -1,
				Start: time.Now().Add(-10 * 24 * time.Hour).UTC().Truncate(time.Hour), Days: 3})
			t.Cleanup(sim.Close)
			id, secret := sim.Credentials()
			key := h.A.AdminKey
			resp, raw := h.do(t, request{method: "GET", path: "/v1/genesys/connection", apiKey: key})
			checkProblem(t, resp, raw, http.StatusNotFound)
			resp, raw = h.do(t, request{method: "PUT", path: "/v1/genesys/connection", apiKey: key, contentType: "application/json",
				body: jsonBody(t, map[string]any{"client_id": id})})
			checkProblem(t, resp, raw, http.StatusUnprocessableEntity, "region", "client_secret")
			var conn struct {
				ClientID  string `json:"client_id"`
				HasSecret bool   `json:"has_client_secret"`
			}
			_, raw = h.do(t, request{method: "PUT", path: "/v1/genesys/connection", apiKey: key, contentType: "application/json",
				body: jsonBody(t, map[string]any{"api_base_url": sim.URL(), "client_id": id, "client_secret": secret})})
			mustContainNone(t, "connection", raw, secret)
			h.json(t, request{method: "GET", path: "/v1/genesys/connection", apiKey: key}, http.StatusOK, &conn)
			if conn.ClientID != id || !conn.HasSecret {
				t.Fatalf("connection %+v", conn)
			}
			stored, _ := h.Store.(store.Genesys).GenesysConnectionGet(t.Context(), h.A.OrgID)
			if sealing.SealedKeyID(stored.SecretSealed) == "" || strings.Contains(stored.SecretSealed, secret) {
				t.Fatalf("stored secret %q", stored.SecretSealed)
			}
			// Without client_secret the stored one is kept.
			h.json(t, request{method: "PUT", path: "/v1/genesys/connection", apiKey: key, contentType: "application/json",
				body: jsonBody(t, map[string]any{"api_base_url": sim.URL(), "client_id": id})}, http.StatusOK, nil)
			var seen struct {
				OrganizationName string `json:"organization_name"`
				Users, Queues    int
			}
			h.json(t, request{method: "POST", path: "/v1/genesys/connection/test", apiKey: key}, http.StatusOK, &seen)
			if seen.OrganizationName == "" || seen.Users == 0 || seen.Queues == 0 {
				t.Fatalf("test connection %+v", seen)
			}
			backfill := time.Now().Add(-14 * 24 * time.Hour).UTC().Format(time.RFC3339)
			var rule genesysRuleJSON
			rulePath := "/v1/campaigns/" + h.A.CampaignID + "/genesys-rule"
			resp, raw = h.do(t, request{method: "PUT", path: rulePath, apiKey: key, contentType: "application/json",
				body: jsonBody(t, map[string]any{"sample_percent": 150, "directions": []string{"sideways"}})})
			checkProblem(t, resp, raw, http.StatusUnprocessableEntity, "sample_percent", "directions", "backfill_start")
			h.json(t, request{method: "PUT", path: rulePath, apiKey: key, contentType: "application/json",
				body: jsonBody(t, map[string]any{"backfill_start": backfill, "interval_seconds": 3600, "enabled": false,
					"queue_daily_cap": []map[string]any{{"queue_id": "q", "cap": 5}}})}, http.StatusOK, &rule)
			var pv struct {
				Candidates int `json:"candidates"`
				Kept       int `json:"kept"`
				ByQueue    []struct {
					Name          string
					Matched, Kept int
				} `json:"by_queue"`
			}
			h.json(t, request{method: "POST", path: rulePath + "/preview", apiKey: key, contentType: "application/json",
				body: jsonBody(t, map[string]any{"from": backfill, "to": time.Now().UTC().Format(time.RFC3339)})}, http.StatusOK, &pv)
			if pv.Candidates == 0 || pv.Kept == 0 || len(pv.ByQueue) == 0 {
				t.Fatalf("preview %+v", pv)
			}
			// Enabled, the rule runs on the next tick and imports.
			h.json(t, request{method: "PUT", path: rulePath, apiKey: key, contentType: "application/json",
				body: jsonBody(t, map[string]any{"backfill_start": backfill, "interval_seconds": 3600, "enabled": true})}, http.StatusOK, &rule)
			var runs struct {
				Data []struct {
					Imported int    `json:"imported"`
					Error    string `json:"error"`
				} `json:"data"`
			}
			for range 500 { // the run is recorded, then its lease released
				h.json(t, request{method: "GET", path: rulePath, apiKey: h.A.ReadKey}, http.StatusOK, &rule)
				if rule.LastRunAt != nil {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			h.json(t, request{method: "GET", path: rulePath + "/runs", apiKey: h.A.ReadKey}, http.StatusOK, &runs)
			if len(runs.Data) != 1 || runs.Data[0].Imported == 0 || runs.Data[0].Error != "" {
				t.Fatalf("runs %+v", runs.Data)
			}
			h.json(t, request{method: "GET", path: rulePath, apiKey: h.A.ReadKey}, http.StatusOK, &rule)
			if rule.LastImportAt == nil || rule.Quiet || rule.Watermark == nil {
				t.Fatalf("rule health %+v", rule)
			}
			var rules struct {
				Data []genesysRuleJSON `json:"data"`
			}
			h.json(t, request{method: "GET", path: "/v1/genesys/rules", apiKey: h.A.ReadKey}, http.StatusOK, &rules)
			if len(rules.Data) != 1 || rules.Data[0].CampaignID != h.A.CampaignID {
				t.Fatalf("rules %+v", rules.Data)
			}
			var health struct {
				LastImportAt *time.Time `json:"last_import_at"`
			}
			h.json(t, request{method: "GET", path: "/v1/genesys/connection", apiKey: key}, http.StatusOK, &health)
			if health.LastImportAt == nil {
				t.Fatal("connection without last_import_at after an import")
			}
			// A refused secret is a 422 of the test.
			h.json(t, request{method: "PUT", path: "/v1/genesys/connection", apiKey: key, contentType: "application/json",
				body: jsonBody(t, map[string]any{"api_base_url": sim.URL(), "client_id": id, "client_secret": "wrong"})}, http.StatusOK, nil)
			resp, raw = h.do(t, request{method: "POST", path: "/v1/genesys/connection/test", apiKey: key})
			checkProblem(t, resp, raw, http.StatusUnprocessableEntity)
			for _, p := range []string{rulePath, "/v1/genesys/connection"} {
				if resp, raw := h.do(t, request{method: "DELETE", path: p, apiKey: key}); resp.StatusCode != http.StatusNoContent {
					t.Fatalf("delete %s: %d %s", p, resp.StatusCode, raw)
				}
			}
			resp, raw = h.do(t, request{method: "GET", path: rulePath, apiKey: key})
			checkProblem(t, resp, raw, http.StatusNotFound)
		})
	}
}

// TestPullSourceImportsOverSSH runs a pull source against a real sshd
// through the API: the file becomes a call, the remote file is deleted,
// and the source reports its last import.
func TestPullSourceImportsOverSSH(t *testing.T) {
	t.Parallel()
	sshd := testenv.StartSSHD(t)
	h := setup(t, apptest.Options{Configure: func(c *config.Serve) {
		c.SFTPPull.Tick = time.Hour // only "run now" runs it
		c.SFTPPull.Settle = 50 * time.Millisecond
	}})
	remote := filepath.Join(sshd.Remote, "in", "call-1.wav")
	if err := os.MkdirAll(filepath.Dir(remote), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(remote, wav(901, 8000), 0o644); err != nil {
		t.Fatal(err)
	}
	var src pullSourceJSON
	h.json(t, request{method: "POST", path: "/v1/campaigns/" + h.A.CampaignID + "/pull-sources", apiKey: h.A.AdminKey,
		contentType: "application/json", body: jsonBody(t, map[string]any{"host": "127.0.0.1", "port": sshd.Port,
			"username": sshd.User, "private_key": sshd.ClientKey, "host_key_fingerprint": sshd.Fingerprint, "folder": "in",
			"pattern": "*.wav", "min_age_seconds": 0, "after_action": "delete"})}, http.StatusCreated, &src)
	h.json(t, request{method: "POST", path: "/v1/pull-sources/" + src.ID + "/run", apiKey: h.A.AdminKey}, http.StatusAccepted, nil)
	for range 500 {
		h.json(t, request{method: "GET", path: "/v1/pull-sources/" + src.ID, apiKey: h.A.ReadKey}, http.StatusOK, &src)
		if src.LastRunAt != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	var runs struct {
		Data []pullRunJSON `json:"data"`
	}
	h.json(t, request{method: "GET", path: "/v1/pull-sources/" + src.ID + "/runs", apiKey: h.A.ReadKey}, http.StatusOK, &runs)
	if src.LastImportAt == nil || src.Quiet || len(runs.Data) != 1 || runs.Data[0].Imported != 1 || len(runs.Data[0].Errors) != 0 {
		t.Fatalf("source %+v, runs %+v", src, runs.Data)
	}
	if _, err := os.Stat(remote); !os.IsNotExist(err) {
		t.Fatalf("the remote file is still there: %v", err)
	}
	calls := h.storedCalls(t, h.A.OrgID)
	if len(calls) != 1 || calls[0].Source != call.SourceSFTPPull || calls[0].FileName != "call-1.wav" {
		t.Fatalf("calls %+v", calls)
	}
}
