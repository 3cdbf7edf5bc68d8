package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/connectors"
	"github.com/callimport/callimport/internal/source/genesys"
	"github.com/callimport/callimport/internal/source/genesys/genesystest"
	"github.com/callimport/callimport/internal/source/sftppull"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/webui"
)

const sealKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes

// simStart is the beginning of the simulator's seeded week.
var simStart = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

// channelEnv is a server with the channels on: a Genesys service on the
// simulator (its runs end at simStart+8 days), the pull runner and sealer,
// an admin per organisation, and a clock that tests can move forward.
type channelEnv struct {
	*env
	Sim            *genesystest.Server
	Genesys        *genesys.Service
	Manager        *connectors.Manager
	AdminA, AdminB string
	shift          *atomic.Int64
	GStore         store.Genesys
	Pulls          store.SFTPPull
	Accts          store.SFTPAccounts
}

func setupChannels(t *testing.T) *channelEnv {
	t.Helper()
	sim := genesystest.New(genesystest.Config{Seed: 7, Conversations: 60, TranscodingPercent: -1})
	t.Cleanup(sim.Close)
	sealer, err := genesys.NewSealer(sealKey)
	if err != nil {
		t.Fatal(err)
	}
	shift := &atomic.Int64{}
	var svc *genesys.Service
	var mgr *connectors.Manager
	e := setup(t, func(c *webui.Config) {
		gs, ok := c.Store.(store.Genesys)
		if !ok {
			t.Fatalf("%T is not a store.Genesys", c.Store)
		}
		end := simStart.Add(8 * 24 * time.Hour)
		svc = genesys.NewService(gs, sealer, c.Ingest, genesys.ServiceConfig{
			Runner: genesys.RunnerConfig{Lag: -1, PollInterval: time.Millisecond, Now: func() time.Time { return end }}})
		c.Genesys = svc
		runner := &sftppull.Runner{Ingest: c.Ingest, Ledger: sftppull.StoreLedger{Store: c.Store.(store.SFTPPull)},
			DialTimeout: 2 * time.Second, Settle: 10 * time.Millisecond}
		mgr = connectors.New(connectors.Config{Store: c.Store.(connectors.Store), Keyring: sealer, Genesys: svc, Pull: runner})
		c.Manager = mgr
		c.SFTPAddress = "sftp.example.com:2022"
		c.SessionTTL = 100 * time.Hour
		c.Now = func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }
	})
	ce := &channelEnv{env: e, Sim: sim, Genesys: svc, Manager: mgr, AdminA: "admin@a.example.com", AdminB: "admin@b.example.com", shift: shift}
	// The pull scheduler, as serve runs it: "Run now" wakes it.
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan struct{})
	go func() { defer close(done); _ = mgr.RunPullLoop(ctx, time.Hour) }()
	t.Cleanup(func() { cancel(); <-done })
	ce.GStore, _ = e.Store.(store.Genesys)
	ce.Pulls, _ = e.Store.(store.SFTPPull)
	ce.Accts, _ = e.Store.(store.SFTPAccounts)
	hash := auth.HashPassword(password)
	for _, u := range []struct{ org, email string }{{e.A.OrgID, ce.AdminA}, {e.B.OrgID, ce.AdminB}} {
		if _, err := e.Store.UserCreate(t.Context(), store.UserCreateParams{OrgID: u.org, Email: u.email,
			Role: store.RoleAdmin, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
	}
	return ce
}

// signedIn returns a client signed in as email.
func (e *channelEnv) signedIn(t *testing.T, email string) *http.Client {
	t.Helper()
	c := client(t)
	if got := e.login(t, c, email, password); got != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d", email, got)
	}
	return c
}

// post sends a same-origin form.
func (e *channelEnv) post(t *testing.T, c *http.Client, path string, form url.Values, extra ...string) result {
	t.Helper()
	return e.do(t, c, http.MethodPost, path, form.Encode(), "application/x-www-form-urlencoded", extra...)
}

func TestChannelPagesAreForAdminsOnly(t *testing.T) {
	t.Parallel()
	e := setupChannels(t)
	member := e.signedIn(t, e.EmailA)
	base := "/campaigns/" + e.A.CampaignID + "/settings/"
	for _, p := range []string{base + "sftp", base + "genesys", "/activity", "/activity/feed"} {
		if r := e.do(t, member, http.MethodGet, p, "", ""); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "Only administrators") {
			t.Errorf("member GET %s: %d", p, r.Status)
		}
		if r := e.do(t, client(t), http.MethodGet, p, "", ""); r.Status != http.StatusSeeOther {
			t.Errorf("signed-out GET %s: %d", p, r.Status)
		}
	}
	for _, p := range []string{base + "sftp/accounts", base + "sftp/pull", base + "genesys/connection", base + "genesys/rule",
		base + "genesys/run", base + "genesys/test"} {
		if r := e.post(t, member, p, url.Values{"username": {"intruder"}}); r.Status != http.StatusForbidden {
			t.Errorf("member POST %s: %d", p, r.Status)
		}
	}
	if list, _ := e.Accts.SFTPAccountList(t.Context(), e.A.OrgID); len(list) != 0 {
		t.Errorf("a member created %d accounts", len(list))
	}
	// The campaign page links to the settings for admins only.
	if r := e.do(t, member, http.MethodGet, "/campaigns/"+e.A.CampaignID, "", ""); strings.Contains(r.Body, "settings/sftp") {
		t.Error("member sees the SFTP settings link")
	}
	admin := e.signedIn(t, e.AdminA)
	if r := e.do(t, admin, http.MethodGet, "/campaigns/"+e.A.CampaignID, "", ""); !strings.Contains(r.Body, "settings/sftp") ||
		!strings.Contains(r.Body, `href="/activity"`) {
		t.Error("admin lacks the SFTP settings or activity link")
	}
	// A cross-site form post is refused.
	r := e.do(t, admin, http.MethodPost, base+"sftp/accounts", "username=evil&password=aaaaaaaaaaaaaaa", "application/x-www-form-urlencoded",
		"Sec-Fetch-Site", "cross-site")
	if r.Status != http.StatusForbidden {
		t.Errorf("cross-site POST: %d", r.Status)
	}
}

func TestSFTPAccounts(t *testing.T) {
	t.Parallel()
	e := setupChannels(t)
	a, b := e.signedIn(t, e.AdminA), e.signedIn(t, e.AdminB)
	page := "/campaigns/" + e.A.CampaignID + "/settings/sftp"
	r := e.do(t, a, http.MethodGet, page, "", "")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "sftp.example.com:2022") || !strings.Contains(r.Body, "/"+e.A.CampaignID+"/") {
		t.Fatalf("sftp page: %d\n%s", r.Status, r.Body)
	}
	// Field errors, in French, keep what was typed.
	r = e.post(t, a, page+"/accounts", url.Values{"username": {"No Spaces"}, "password": {"short"}}, "Accept-Language", "fr")
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "1 à 64 caractères, sans espace") ||
		!strings.Contains(r.Body, "Au moins 12 caractères") || !strings.Contains(r.Body, `value="no spaces"`) {
		t.Fatalf("bad account: %d\n%s", r.Status, r.Body)
	}
	r = e.post(t, a, page+"/accounts", url.Values{"username": {"acme"}, "authorized_keys": {"ssh-ed25519 notakey"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Line 1 is not an OpenSSH public key") {
		t.Fatalf("bad key: %d", r.Status)
	}
	key := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq0m8rP0qOKjS8Ow6Ikq9EcdO8G8nR8p8Hb0wHfGmJx test@example"
	r = e.post(t, a, page+"/accounts", url.Values{"username": {"Acme-Upload"}, "password": {"a long enough password"}, "authorized_keys": {key + "\n# comment\n"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", r.Status, r.Body)
	}
	acct, err := e.Accts.SFTPAccountGetByUsername(t.Context(), "acme-upload")
	if err != nil || acct.OrgID != e.A.OrgID || len(acct.CampaignIDs) != 1 || acct.CampaignIDs[0] != e.A.CampaignID ||
		!auth.CheckPassword(acct.PasswordHash, "a long enough password") || acct.AuthorizedKeys != key+"\n" {
		t.Fatalf("stored account %+v %v", acct, err)
	}
	r = e.do(t, a, http.MethodGet, r.Header.Get("Location"), "", "")
	if !strings.Contains(r.Body, "The account was created.") || !strings.Contains(r.Body, "acme-upload") ||
		strings.Contains(r.Body, acct.PasswordHash) || !strings.Contains(r.Body, ">set<") {
		t.Fatalf("list after create:\n%s", r.Body)
	}
	if r := e.post(t, a, page+"/accounts", url.Values{"username": {"acme-upload"}, "password": {"another long password"}}); !strings.Contains(r.Body, "This username is taken.") {
		t.Errorf("duplicate username: %d", r.Status)
	}
	// Org B sees nothing of it and cannot change it, by any URL.
	accURL := page + "/accounts/" + acct.ID
	bPage := "/campaigns/" + e.B.CampaignID + "/settings/sftp"
	if r := e.do(t, b, http.MethodGet, page, "", ""); r.Status != http.StatusNotFound {
		t.Errorf("B GET A's page: %d", r.Status)
	}
	if r := e.do(t, b, http.MethodGet, bPage, "", ""); strings.Contains(r.Body, "acme-upload") {
		t.Error("B's page lists A's account")
	}
	for _, p := range []string{accURL + "/disable", accURL + "/delete", bPage + "/accounts/" + acct.ID + "/disable", bPage + "/accounts/" + acct.ID + "/delete"} {
		if r := e.post(t, b, p, url.Values{}); r.Status != http.StatusNotFound {
			t.Errorf("B POST %s: %d", p, r.Status)
		}
	}
	if got, _ := e.Accts.SFTPAccountGet(t.Context(), e.A.OrgID, acct.ID); got.Disabled {
		t.Fatal("B disabled A's account")
	}
	if r := e.post(t, a, accURL+"/disable", url.Values{"disabled": {"1"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("disable: %d", r.Status)
	}
	if got, _ := e.Accts.SFTPAccountGet(t.Context(), e.A.OrgID, acct.ID); !got.Disabled {
		t.Fatal("not disabled")
	}
	if r := e.do(t, a, http.MethodGet, page, "", ""); !strings.Contains(r.Body, "Disabled") || !strings.Contains(r.Body, ">Enable<") {
		t.Error("list does not show the account disabled")
	}
	if r := e.post(t, a, accURL+"/delete", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.Status)
	}
	if _, err := e.Accts.SFTPAccountGet(t.Context(), e.A.OrgID, acct.ID); err == nil {
		t.Fatal("still there after delete")
	}
}

func TestPullSources(t *testing.T) {
	t.Parallel()
	e := setupChannels(t)
	a, b := e.signedIn(t, e.AdminA), e.signedIn(t, e.AdminB)
	page := "/campaigns/" + e.A.CampaignID + "/settings/sftp"
	fp := "SHA256:" + strings.Repeat("A", 43)
	form := url.Values{"host": {"127.0.0.1"}, "port": {"1"}, "username": {"puller"}, "password": {"pull secret"},
		"fingerprint": {"MD5:aa:bb"}, "folder": {"outbox"}, "pattern": {"*.wav"}, "interval": {"5"}, "min_age": {"30"}, "after": {"keep"}}
	r := e.post(t, a, page+"/pull", form)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="err-pull-fingerprint"`) ||
		!strings.Contains(r.Body, "SHA256: followed by 43 base64") || !strings.Contains(r.Body, `value="outbox"`) ||
		strings.Contains(r.Body, "pull secret") {
		t.Fatalf("wrong fingerprint: %d\n%s", r.Status, r.Body)
	}
	form.Set("fingerprint", fp)
	form.Set("after", "move")
	if r := e.post(t, a, page+"/pull", form); !strings.Contains(r.Body, `id="err-pull-move_folder"`) {
		t.Fatalf("move without folder: %d", r.Status)
	}
	form.Set("move_folder", "done")
	if r := e.post(t, a, page+"/pull", form); r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", r.Status, r.Body)
	}
	srcs, err := e.Pulls.PullSourceList(t.Context())
	if err != nil || len(srcs) != 1 {
		t.Fatalf("sources %+v %v", srcs, err)
	}
	src := srcs[0]
	if src.OrgID != e.A.OrgID || src.CampaignID != e.A.CampaignID || src.AfterAction != "move:done" || src.IntervalSeconds != 300 ||
		src.MinAgeSeconds != 30 || src.PasswordSealed == "" || strings.Contains(src.PasswordSealed, "pull secret") || src.HostKeyFingerprint != fp {
		t.Fatalf("stored source %+v", src)
	}
	// Editing with a bad value loses nothing; with a blank password keeps it.
	edit := url.Values{"id": {src.ID}, "host": {"127.0.0.1"}, "port": {"99999"}, "username": {"puller"}, "fingerprint": {fp},
		"folder": {"outbox2"}, "interval": {"5"}, "min_age": {"0"}, "after": {"keep"}}
	if r := e.post(t, a, page+"/pull", edit); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="err-pull-port"`) {
		t.Fatalf("bad port: %d", r.Status)
	}
	if got, _ := e.Pulls.PullSourceGet(t.Context(), e.A.OrgID, src.ID); got.Folder != "outbox" {
		t.Fatal("a refused edit changed the source")
	}
	edit.Set("port", "1")
	if r := e.post(t, a, page+"/pull", edit); r.Status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", r.Status, r.Body)
	}
	got, _ := e.Pulls.PullSourceGet(t.Context(), e.A.OrgID, src.ID)
	if got.Folder != "outbox2" || got.PasswordSealed != src.PasswordSealed || got.AfterAction != "keep" {
		t.Fatalf("edited source %+v", got)
	}
	if r := e.do(t, a, http.MethodGet, page+"?edit="+src.ID, "", ""); !strings.Contains(r.Body, `value="outbox2"`) || !strings.Contains(r.Body, "leave blank to keep it") {
		t.Error("edit form not filled")
	}
	// Org B can neither see, edit, run nor delete it.
	bPage := "/campaigns/" + e.B.CampaignID + "/settings/sftp"
	if r := e.do(t, b, http.MethodGet, bPage+"?edit="+src.ID, "", ""); strings.Contains(r.Body, `name="id" value="`+src.ID) ||
		strings.Contains(r.Body, "outbox") || strings.Contains(r.Body, `data-source=`) {
		t.Error("B sees A's source")
	}
	for _, p := range []string{page + "/pull/" + src.ID + "/run", page + "/pull/" + src.ID + "/delete", bPage + "/pull/" + src.ID + "/run", bPage + "/pull/" + src.ID + "/delete"} {
		if r := e.post(t, b, p, url.Values{}); r.Status != http.StatusNotFound {
			t.Errorf("B POST %s: %d", p, r.Status)
		}
	}
	edit.Set("folder", "stolen")
	if r := e.post(t, b, bPage+"/pull", edit); r.Status != http.StatusNotFound {
		t.Errorf("B edits A's source through its campaign: %d", r.Status)
	}
	// Run now against a closed port: the history shows the failure.
	if r := e.post(t, a, page+"/pull/"+src.ID+"/run", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("run: %d", r.Status)
	}
	e.waitRuns(t, src.ID, 1)
	r = e.do(t, a, http.MethodGet, page, "", "")
	if !strings.Contains(r.Body, "run failed: sftp pull: dial 127.0.0.1:1") || !strings.Contains(r.Body, "Failing") || strings.Contains(r.Body, "Quiet") {
		t.Fatalf("history after a failed run:\n%s", r.Body)
	}
	// Two days later with nothing imported, the source is quiet.
	e.shift.Store(int64(48 * time.Hour))
	if r := e.do(t, a, http.MethodGet, page, "", "", "Accept-Language", "fr"); !strings.Contains(r.Body, "Silencieux") {
		t.Error("no quiet badge after 48 h")
	}
	if r := e.do(t, a, http.MethodGet, "/activity", "", ""); !strings.Contains(r.Body, "puller@127.0.0.1") || !strings.Contains(r.Body, "Quiet") {
		t.Error("activity lacks the source's status")
	}
	if r := e.post(t, a, page+"/pull/"+src.ID+"/delete", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.Status)
	}
	if _, err := e.Pulls.PullSourceGet(t.Context(), e.A.OrgID, src.ID); err == nil {
		t.Fatal("source still there")
	}
}

var (
	keptRe    = regexp.MustCompile(`id="pv-kept">(\d+)<`)
	candRe    = regexp.MustCompile(`id="pv-candidates">(\d+)<`)
	importRe  = regexp.MustCompile(`class="imported">(\d+)<`)
	selectRe  = regexp.MustCompile(`class="selected">(\d+)<`)
	queueRowR = regexp.MustCompile(`(?s)<table id="pv-queues">.*?</table>`)
)

func atoiMatch(t *testing.T, re *regexp.Regexp, body string) int {
	t.Helper()
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("%s not in:\n%s", re, body)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// ruleForm is the export rule the tests save.
func (e *channelEnv) ruleForm() url.Values {
	qs := e.Sim.Data().Queues
	return url.Values{"queues": {qs[0].ID + "\n" + qs[1].ID + "\n" + qs[2].ID}, "inbound": {"1"}, "outbound": {"1"},
		"min_duration": {"30"}, "max_duration": {"2400"}, "min_mos": {"3.2"}, "quota": {"3"}, "caps": {qs[1].ID + "=4"},
		"sample": {"70"}, "interval": {"60"}, "backfill": {"2026-05-01"}, "enabled": {"1"}}
}

func TestGenesysPage(t *testing.T) {
	t.Parallel()
	e := setupChannels(t)
	a, b := e.signedIn(t, e.AdminA), e.signedIn(t, e.AdminB)
	page := "/campaigns/" + e.A.CampaignID + "/settings/genesys"
	id, secret := e.Sim.Credentials()
	// The Manager checks the fields first, then the region with the secret.
	if r := e.post(t, a, page+"/connection", url.Values{"region": {"not a region/"}, "client_id": {id}}, "Accept-Language", "fr"); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, `id="err-g-client_secret"`) || !strings.Contains(r.Body, "Obligatoire.") {
		t.Fatalf("connection without secret: %d\n%s", r.Status, r.Body)
	}
	if r := e.post(t, a, page+"/connection", url.Values{"region": {"not a region/"}, "client_id": {id}, "client_secret": {"x"}}, "Accept-Language", "fr"); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, `id="err-g-region"`) || !strings.Contains(r.Body, "Saisissez une région") || strings.Contains(r.Body, `value="x"`) {
		t.Fatalf("bad region: %d\n%s", r.Status, r.Body)
	}
	if r := e.post(t, a, page+"/connection", url.Values{"api_base_url": {e.Sim.URL()}, "client_id": {id}, "client_secret": {secret}}); r.Status != http.StatusSeeOther {
		t.Fatalf("save connection: %d\n%s", r.Status, r.Body)
	}
	conn, err := e.GStore.GenesysConnectionGet(t.Context(), e.A.OrgID)
	if err != nil || strings.Contains(conn.SecretSealed, secret) {
		t.Fatalf("stored connection %+v %v", conn, err)
	}
	r := e.do(t, a, http.MethodGet, page, "", "")
	if !strings.Contains(r.Body, `id="secret-set"`) || strings.Contains(r.Body, secret) {
		t.Fatal("the page shows the secret or not that it is set")
	}
	// Saving again with a blank secret keeps it.
	if r := e.post(t, a, page+"/connection", url.Values{"api_base_url": {e.Sim.URL()}, "client_id": {id}}); r.Status != http.StatusSeeOther {
		t.Fatalf("save without secret: %d", r.Status)
	}
	r = e.post(t, a, page+"/test", url.Values{})
	if !strings.Contains(r.Body, `id="test-org"`) || !strings.Contains(r.Body, "Connected to") {
		t.Fatalf("test connection:\n%s", r.Body)
	}
	// A refused rule is not saved; a good one is.
	bad := e.ruleForm()
	bad.Set("sample", "150")
	bad.Del("inbound")
	bad.Del("outbound")
	if r := e.post(t, a, page+"/rule", bad); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="err-r-sample"`) ||
		!strings.Contains(r.Body, `id="err-r-directions"`) || !strings.Contains(r.Body, ">"+bad.Get("caps")+"<") {
		t.Fatalf("bad rule: %d", r.Status)
	}
	if _, err := e.GStore.GenesysRuleGet(t.Context(), e.A.OrgID, e.A.CampaignID); err == nil {
		t.Fatal("a refused rule was saved")
	}
	if r := e.post(t, a, page+"/rule", e.ruleForm()); r.Status != http.StatusSeeOther {
		t.Fatalf("save rule: %d\n%s", r.Status, r.Body)
	}
	if r := e.do(t, a, http.MethodGet, page, "", ""); !strings.Contains(r.Body, `value="3.2"`) || !strings.Contains(r.Body, ">"+e.ruleForm().Get("caps")+"<") ||
		!strings.Contains(r.Body, `value="2026-05-01"`) || !strings.Contains(r.Body, `value="2400"`) {
		t.Error("the saved rule is not shown back")
	}
	// The preview shows the service's counts.
	end := simStart.Add(8 * 24 * time.Hour)
	want, err := e.Genesys.Preview(t.Context(), e.A.OrgID, e.A.CampaignID, simStart, end)
	if err != nil {
		t.Fatal(err)
	}
	r = e.do(t, a, http.MethodGet, page+"?from=2026-05-01&to=2026-05-08", "", "")
	if k, c := atoiMatch(t, keptRe, r.Body), atoiMatch(t, candRe, r.Body); k != want.Kept || c != want.Candidates || want.Kept == 0 {
		t.Fatalf("preview kept %d of %d, service %d of %d", k, c, want.Kept, want.Candidates)
	}
	queues := queueRowR.FindString(r.Body)
	for name, c := range want.ByQueue {
		if !strings.Contains(queues, "<td>"+name+"</td><td>"+strconv.Itoa(c.Matched)+"</td><td>"+strconv.Itoa(c.Kept)+"</td>") {
			t.Errorf("queue %s %+v not in the preview:\n%s", name, c, queues)
		}
	}
	if r := e.do(t, a, http.MethodGet, page+"?from=2026-05-08&to=2026-05-01", "", ""); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="err-p-to"`) {
		t.Errorf("reversed period: %d", r.Status)
	}
	// Org B cannot see, run or change A's rule.
	bPage := "/campaigns/" + e.B.CampaignID + "/settings/genesys"
	if r := e.do(t, b, http.MethodGet, page, "", ""); r.Status != http.StatusNotFound {
		t.Errorf("B GET A's page: %d", r.Status)
	}
	for _, p := range []string{page + "/run", page + "/rule", page + "/connection", page + "/test"} {
		if r := e.post(t, b, p, e.ruleForm()); r.Status != http.StatusNotFound {
			t.Errorf("B POST %s: %d", p, r.Status)
		}
	}
	if r := e.do(t, b, http.MethodGet, bPage, "", ""); strings.Contains(r.Body, "secret-set") || strings.Contains(r.Body, `id="rule-run"`) {
		t.Error("B's page shows A's connection or rule")
	}
	if r := e.post(t, b, bPage+"/run", url.Values{}); r.Status != http.StatusNotFound {
		t.Errorf("B runs a rule it does not have: %d", r.Status)
	}
	// Run now: the calls appear, and the history says so.
	if r := e.post(t, a, page+"/run", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("run: %d", r.Status)
	}
	// The rule is due at once; the scheduler's next tick runs it.
	if sc, err := e.Store.(store.Connectors).ScheduleGet(t.Context(), e.A.OrgID, store.ScheduleGenesys, e.A.CampaignID); err != nil ||
		sc.NextRunAt.After(time.Now()) {
		t.Fatalf("schedule after run now: %+v %v", sc, err)
	}
	if err := e.Manager.RunGenesysDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	calls, _, err := e.Store.CallList(t.Context(), store.CallListParams{OrgID: e.A.OrgID, CampaignID: e.A.CampaignID, Limit: 500})
	if err != nil || len(calls) == 0 {
		t.Fatalf("no call after the run: %v", err)
	}
	r = e.do(t, a, http.MethodGet, page, "", "")
	if n := atoiMatch(t, importRe, r.Body); n != len(calls) {
		t.Errorf("history says %d imported, the store has %d", n, len(calls))
	}
	if n := atoiMatch(t, selectRe, r.Body); n != want.Kept {
		t.Errorf("history says %d selected, the preview kept %d", n, want.Kept)
	}
	feed := e.do(t, a, http.MethodGet, "/activity/feed", "", "")
	if !strings.Contains(feed.Body, calls[0].ID) || !strings.Contains(feed.Body, "Genesys Cloud") {
		t.Errorf("activity feed lacks the new calls:\n%.2000s", feed.Body)
	}
	if fb := e.do(t, b, http.MethodGet, "/activity/feed", "", ""); strings.Contains(fb.Body, calls[0].ID) {
		t.Error("B's activity shows A's calls")
	}
}

// waitRuns waits until the source has n runs in its history and its
// schedule is free again ("Run now" runs in the background).
func (e *channelEnv) waitRuns(t *testing.T, sourceID string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		runs, err := e.Pulls.PullRunList(t.Context(), sourceID, 20)
		if err != nil {
			t.Fatal(err)
		}
		sc, serr := e.Store.(store.Connectors).ScheduleGet(t.Context(), e.A.OrgID, store.ScheduleSFTPPull, sourceID)
		// Done once the run is in the history and the scheduler let go of
		// it (a "Run now" during a run is lost when the run ends).
		if len(runs) >= n && serr == nil && sc.LeaseOwner == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("source %s: %d runs after 30s, want %d", sourceID, len(runs), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
