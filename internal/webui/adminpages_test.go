package webui_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/app/apptest"
	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/webui"
)

// adminEnv is the web application with the server's audit trail and
// privacy service, and an administrator in org B too.
type adminEnv struct {
	*env
	AdminB string
}

func setupAdmin(t *testing.T, opts ...apptest.Options) *adminEnv {
	t.Helper()
	var o apptest.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	e := setupWith(t, o, func(a *apptest.Env, c *webui.Config) {
		c.Audit, c.Privacy, c.Manager = a.Server.Audit, a.Server.Privacy, a.Server.Connectors
	})
	out := &adminEnv{env: e, AdminB: "bea@b.example.com"}
	if _, err := e.Store.UserCreate(t.Context(), store.UserCreateParams{OrgID: e.B.OrgID, Email: out.AdminB,
		Role: store.RoleAdmin, PasswordHash: auth.HashPassword(password)}); err != nil {
		t.Fatal(err)
	}
	return out
}

// signedIn returns a client signed in as email.
func (e *adminEnv) signedIn(t *testing.T, email string) *http.Client {
	t.Helper()
	c := client(t)
	if got := e.login(t, c, email, password); got != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d", email, got)
	}
	return c
}

// flush writes the audit trail's buffered events.
func (e *adminEnv) flush(t *testing.T) {
	t.Helper()
	if err := e.Server.Audit.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func (e *adminEnv) form(t *testing.T, c *http.Client, path string, f url.Values) result {
	t.Helper()
	return e.do(t, c, http.MethodPost, path, f.Encode(), "application/x-www-form-urlencoded")
}

// TestAdminPagesForAdminsOnly: members get 403 on the audit, export,
// erasure and campaign settings pages.
func TestAdminPagesForAdminsOnly(t *testing.T) {
	t.Parallel()
	e := setupAdmin(t)
	m := e.signedIn(t, e.EmailA)
	for _, p := range []string{"/settings/audit", "/settings/audit/export", "/settings/privacy", "/settings/privacy/x",
		"/campaigns/" + e.A.CampaignID + "/settings"} {
		if r := e.do(t, m, http.MethodGet, p, "", ""); r.Status != http.StatusForbidden {
			t.Errorf("member GET %s: %d, want 403", p, r.Status)
		}
	}
	r := e.form(t, m, "/settings/privacy", url.Values{"agent_email": {"x@a.example.com"}, "confirm": {"yes"}})
	if r.Status != http.StatusForbidden {
		t.Errorf("member POST erasure: %d, want 403", r.Status)
	}
	r = e.form(t, m, "/campaigns/"+e.A.CampaignID+"/settings", url.Values{"name": {"x"}, "retention_days": {"1"}})
	if r.Status != http.StatusForbidden {
		t.Errorf("member POST campaign settings: %d, want 403", r.Status)
	}
}

// TestAuditPage: the page lists the organisation's events newest first
// with filters and pages; the export streams the same filter as JSON
// lines (oldest first); another organisation's admin sees none of them.
func TestAuditPage(t *testing.T) {
	t.Parallel()
	for _, backend := range []struct {
		name string
		opts apptest.Options
	}{{"sqlite", apptest.Options{}}, {"postgres", apptest.Options{Postgres: true}}} {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel()
			testAuditPage(t, setupAdmin(t, backend.opts))
		})
	}
}

func testAuditPage(t *testing.T, e *adminEnv) {
	a := e.signedIn(t, e.AdminA)
	for range 3 {
		e.do(t, a, http.MethodGet, "/campaigns/"+e.A.CampaignID, "", "")
	}
	e.flush(t)
	r := e.do(t, a, http.MethodGet, "/settings/audit?action=web.calls.list", "", "")
	rows := regexp.MustCompile(`<tr data-seq="(\d+)">`).FindAllStringSubmatch(r.Body, -1)
	if r.Status != http.StatusOK || len(rows) != 3 || !strings.Contains(r.Body, e.A.CampaignID) {
		t.Fatalf("audit page: %d, %d rows\n%s", r.Status, len(rows), r.Body)
	}
	if first, _ := strconv.Atoi(rows[0][1]); first <= atoi(t, rows[2][1]) {
		t.Errorf("not newest first: %v", rows)
	}
	if !strings.Contains(r.Body, `id="audit-export" href="/settings/audit/export?action=web.calls.list"`) {
		t.Errorf("no export link with the filter")
	}
	// The sign-in is there too, without the e-mail.
	r = e.do(t, a, http.MethodGet, "/settings/audit?action=web.signin&outcome=success", "", "")
	if !strings.Contains(r.Body, "web.signin") || strings.Contains(r.Body, "web.calls.list") {
		t.Errorf("filter by action: %s", r.Body)
	}
	if r := e.do(t, a, http.MethodGet, "/settings/audit?since=yesterday", "", ""); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, `id="err-since"`) {
		t.Errorf("bad since: %d", r.Status)
	}
	future := time.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04")
	if r := e.do(t, a, http.MethodGet, "/settings/audit?since="+future, "", ""); !strings.Contains(r.Body, `id="audit-empty"`) {
		t.Errorf("since in the future lists events")
	}

	// Paging: the store's cursor, 50 a page.
	for range 50 {
		e.do(t, a, http.MethodGet, "/campaigns/"+e.A.CampaignID, "", "")
	}
	e.flush(t)
	r = e.do(t, a, http.MethodGet, "/settings/audit?action=web.calls.list", "", "")
	next := regexp.MustCompile(`href="(/settings/audit\?[^"]*cursor=[^"]*)" id="audit-next"`).FindStringSubmatch(r.Body)
	if next == nil {
		t.Fatalf("no next page link")
	}
	r = e.do(t, a, http.MethodGet, strings.ReplaceAll(next[1], "&amp;", "&"), "", "")
	if n := strings.Count(r.Body, "<tr data-seq="); n != 3 {
		t.Errorf("second page: %d rows, want 3", n)
	}

	// Export: the same filter, every page, oldest first, JSON lines.
	r = e.do(t, a, http.MethodGet, "/settings/audit/export?action=web.calls.list", "", "")
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/x-ndjson" ||
		!strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %v", r.Status, r.Header)
	}
	var last int64
	n := 0
	sc := bufio.NewScanner(strings.NewReader(r.Body))
	for sc.Scan() {
		var en audit.Entry
		if err := json.Unmarshal(sc.Bytes(), &en); err != nil {
			t.Fatal(err)
		}
		if en.OrgID != e.A.OrgID || en.Action != "web.calls.list" || en.Seq <= last || en.Hash == "" {
			t.Fatalf("export line %s", sc.Text())
		}
		last = en.Seq
		n++
	}
	if n != 53 {
		t.Errorf("export: %d lines, want 53", n)
	}
	// The same bytes as the API's export of the same filter.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.URL+"/v1/audit-events?format=jsonl&action=web.calls.list", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Api-Key", e.A.AdminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	api, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || string(api) != r.Body {
		t.Errorf("API export (%d, %v) differs from the page's:\n%.500s\n---\n%.500s", resp.StatusCode, err, api, r.Body)
	}

	// Org B's admin sees none of org A's events.
	b := e.signedIn(t, e.AdminB)
	e.flush(t)
	r = e.do(t, b, http.MethodGet, "/settings/audit", "", "")
	if r.Status != http.StatusOK || strings.Contains(r.Body, e.A.CampaignID) || strings.Contains(r.Body, "web.calls.list") {
		t.Errorf("org B sees org A's events: %d", r.Status)
	}
	r = e.do(t, b, http.MethodGet, "/settings/audit/export", "", "")
	if strings.Contains(r.Body, e.A.OrgID) || strings.Contains(r.Body, "web.calls.list") {
		t.Errorf("org B's export holds org A's events")
	}
}

// importCall imports the WAV fixture on the web as c into org A's campaign
// with the agent e-mail and returns its id once imported.
func (e *adminEnv) importCall(t *testing.T, c *http.Client, name, agent string) string {
	t.Helper()
	wav, err := os.ReadFile("../audio/testdata/wav/pcm_s16le_8k_mono.wav")
	if err != nil {
		t.Fatal(err)
	}
	wav = append(wav, name...) // a different file each time (trailing bytes)
	body, ct := multipartFile(t, name, wav, "agent_email", agent)
	base := "/campaigns/" + e.A.CampaignID
	r := e.do(t, c, http.MethodPost, base+"/import", body, ct)
	var got map[string]any
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	id, _ := got["call_id"].(string)
	deadline := time.Now().Add(30 * time.Second)
	for got["outcome"] == "checking" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		r = e.do(t, c, http.MethodGet, base+"/calls/"+id+"/status", "", "")
		got = nil
		_ = json.Unmarshal([]byte(r.Body), &got)
	}
	if got["outcome"] != "imported" {
		t.Fatalf("import %s: %s", name, r.Body)
	}
	return id
}

// TestErasurePage: an erasure by agent e-mail requested on the page erases
// the agent's calls and the receipt lists them; the e-mail is never shown
// back; org B cannot see org A's erasure; bad requests are refused.
func TestErasurePage(t *testing.T) {
	t.Parallel()
	for _, backend := range []struct {
		name string
		opts apptest.Options
	}{{"sqlite", apptest.Options{}}, {"postgres", apptest.Options{Postgres: true}}} {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel()
			testErasurePage(t, setupAdmin(t, backend.opts))
		})
	}
}

func testErasurePage(t *testing.T, e *adminEnv) {
	a := e.signedIn(t, e.AdminA)
	const agent = "erase.me@a.example.com"
	gone := e.importCall(t, a, "one.wav", agent)
	kept := e.importCall(t, a, "two.wav", "keep@a.example.com")

	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"nothing", url.Values{"confirm": {"yes"}}, `id="err-criterion"`},
		{"two criteria", url.Values{"call_id": {gone}, "agent_email": {agent}, "confirm": {"yes"}}, `id="err-criterion"`},
		{"not confirmed", url.Values{"agent_email": {agent}}, `id="err-confirm"`},
		{"bad e-mail", url.Values{"agent_email": {"not-an-email"}, "confirm": {"yes"}}, `id="err-agent_email"`},
		{"key without value", url.Values{"meta_key": {"team"}, "confirm": {"yes"}}, `id="err-metadata"`},
		{"unknown call", url.Values{"call_id": {"nope"}, "confirm": {"yes"}}, `id="err-criterion"`},
	} {
		r := e.form(t, a, "/settings/privacy", tc.form)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, tc.want) {
			t.Errorf("%s: %d, want 422 with %s", tc.name, r.Status, tc.want)
		}
		if strings.Contains(r.Body, agent) || strings.Contains(r.Body, "not-an-email") {
			t.Errorf("%s: the searched value is shown back", tc.name)
		}
	}

	r := e.form(t, a, "/settings/privacy", url.Values{"agent_email": {strings.ToUpper(agent)}, "campaign_id": {e.A.CampaignID}, "confirm": {"yes"}})
	loc := r.Header.Get("Location")
	m := regexp.MustCompile(`^/settings/privacy/([^/?]+)\?done=done_erasure$`).FindStringSubmatch(loc)
	if r.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("request: %d %q %s", r.Status, loc, r.Body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		r = e.do(t, a, http.MethodGet, loc, "", "")
		if strings.Contains(r.Body, `data-status="done"`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(r.Body, `data-status="done"`) || !strings.Contains(r.Body, `<tr data-call="`+gone+`">`) ||
		strings.Contains(r.Body, kept) || !strings.Contains(r.Body, `id="notice"`) {
		t.Fatalf("erasure page: %s", r.Body)
	}
	if strings.Contains(strings.ToLower(r.Body), agent) {
		t.Errorf("the erasure page shows the e-mail")
	}
	if _, err := e.Store.CallGet(t.Context(), e.A.OrgID, gone); err == nil {
		t.Errorf("the call is still there")
	}
	if _, err := e.Store.CallGet(t.Context(), e.A.OrgID, kept); err != nil {
		t.Errorf("the other call is gone: %v", err)
	}
	list := e.do(t, a, http.MethodGet, "/settings/privacy", "", "")
	if !strings.Contains(list.Body, `data-erasure="`+m[1]+`"`) || strings.Contains(strings.ToLower(list.Body), agent) {
		t.Errorf("erasure list: %s", list.Body)
	}

	// The request and its end are in org A's audit trail, by the admin.
	e.flush(t)
	au := e.do(t, a, http.MethodGet, "/settings/audit?target_id="+m[1], "", "")
	if !strings.Contains(au.Body, "erasure.request") || !strings.Contains(au.Body, "erasure.done") {
		t.Errorf("audit page lacks the erasure's events:\n%s", au.Body)
	}
	// Org B's admin cannot see org A's erasure, nor its events.
	b := e.signedIn(t, e.AdminB)
	if r := e.do(t, b, http.MethodGet, "/settings/audit?target_id="+m[1], "", ""); strings.Contains(r.Body, "erasure.") {
		t.Errorf("org B sees org A's erasure events")
	}
	if r := e.do(t, b, http.MethodGet, "/settings/privacy/"+m[1], "", ""); r.Status != http.StatusNotFound {
		t.Errorf("org B reads org A's erasure: %d", r.Status)
	}
	if r := e.do(t, b, http.MethodGet, "/settings/privacy", "", ""); strings.Contains(r.Body, m[1]) {
		t.Errorf("org B lists org A's erasure")
	}
	if r := e.form(t, b, "/settings/privacy", url.Values{"call_id": {kept}, "confirm": {"yes"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("org B erases org A's call: %d", r.Status)
	}
}

// TestCampaignSettings: the retention and the other fields are saved,
// validated as the API does.
func TestCampaignSettings(t *testing.T) {
	t.Parallel()
	e := setupAdmin(t)
	a := e.signedIn(t, e.AdminA)
	path := "/campaigns/" + e.A.CampaignID + "/settings"
	if r := e.do(t, a, http.MethodGet, path, "", ""); r.Status != http.StatusOK || !strings.Contains(r.Body, `id="cs-retention"`) {
		t.Fatalf("page: %d", r.Status)
	}
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"negative retention", url.Values{"name": {"C"}, "retention_days": {"-1"}}, "err-retention_days"},
		{"too long retention", url.Values{"name": {"C"}, "retention_days": {"36501"}}, "err-retention_days"},
		{"empty name", url.Values{"name": {"  "}, "retention_days": {"0"}}, "err-name"},
		{"long description", url.Values{"name": {"C"}, "description": {strings.Repeat("x", 2001)}}, "err-description"},
	} {
		if r := e.form(t, a, path, tc.form); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, tc.want) {
			t.Errorf("%s: %d", tc.name, r.Status)
		}
	}
	r := e.form(t, a, path, url.Values{"name": {" Renamed "}, "description": {"d"}, "retention_days": {"30"}, "require_metadata": {"on"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	c, err := e.Store.CampaignGet(t.Context(), e.A.OrgID, e.A.CampaignID)
	if err != nil || c.Name != "Renamed" || c.Description != "d" || c.RetentionDays != 30 || !c.RequireMetadata {
		t.Fatalf("saved: %+v %v", c, err)
	}
	b := e.signedIn(t, e.AdminB)
	if r := e.form(t, b, path, url.Values{"name": {"X"}}); r.Status != http.StatusNotFound {
		t.Errorf("org B changes org A's campaign: %d", r.Status)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
