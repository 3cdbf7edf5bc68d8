package webui_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/webui"
)

func TestSignInOut(t *testing.T) {
	t.Parallel()
	e := setup(t, nil)
	c := client(t)
	if r := e.do(t, c, http.MethodGet, "/campaigns", "", ""); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("signed out /campaigns: %d %q", r.Status, r.Header.Get("Location"))
	}
	if got := e.login(t, c, e.EmailA, "wrong"); got != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", got)
	}
	if got := e.login(t, c, "nobody@example.com", password); got != http.StatusUnauthorized {
		t.Fatalf("unknown e-mail: %d", got)
	}
	if got := e.login(t, c, strings.ToUpper(e.EmailA), password); got != http.StatusSeeOther {
		t.Fatalf("sign in: %d", got)
	}
	r := e.do(t, c, http.MethodGet, "/campaigns", "", "", "Accept-Language", "fr-FR,fr;q=0.9,en;q=0.5")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Campagnes") || !strings.Contains(r.Body, "Campaign of Org A") {
		t.Fatalf("campaigns in French: %d\n%s", r.Status, r.Body)
	}
	if strings.Contains(r.Body, "Campaign of Org B") {
		t.Fatal("org B's campaign is listed for org A")
	}
	if r := e.do(t, c, http.MethodGet, "/campaigns", "", "", "Accept-Language", "en"); !strings.Contains(r.Body, "Import calls") {
		t.Fatalf("campaigns in English:\n%s", r.Body)
	}
	if r := e.do(t, c, http.MethodPost, "/lang", "lang=fr&next=/campaigns", "application/x-www-form-urlencoded"); r.Status != http.StatusSeeOther {
		t.Fatalf("switch language: %d", r.Status)
	}
	if r := e.do(t, c, http.MethodGet, "/campaigns", "", "", "Accept-Language", "en"); !strings.Contains(r.Body, "Importer des appels") {
		t.Fatal("the language switch does not win over Accept-Language")
	}
	if r := e.do(t, c, http.MethodPost, "/logout", "", ""); r.Status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.Status)
	}
	if r := e.do(t, c, http.MethodGet, "/campaigns", "", ""); r.Status != http.StatusSeeOther {
		t.Fatalf("after logout: %d", r.Status)
	}
}

func TestSignInSlowsThenLocks(t *testing.T) {
	t.Parallel()
	e := setup(t, func(c *webui.Config) { c.SlowAfter = 2; c.LockAfter = 4; c.LockFor = time.Hour })
	c := client(t)
	var took []time.Duration
	for i := range 4 {
		start := time.Now()
		got := e.login(t, c, e.EmailA, "wrong")
		took = append(took, time.Since(start))
		want := http.StatusUnauthorized
		if i == 3 {
			want = http.StatusTooManyRequests
		}
		if got != want {
			t.Fatalf("attempt %d: %d, want %d", i+1, got, want)
		}
	}
	if took[2] < time.Second {
		t.Errorf("third failure answered in %v; want at least the 1s slow-down", took[2])
	}
	if got := e.login(t, c, e.EmailA, password); got != http.StatusTooManyRequests {
		t.Fatalf("right password while locked: %d, want 429", got)
	}
	if got := e.login(t, c, e.EmailB, password); got != http.StatusSeeOther {
		t.Fatalf("another user is not locked: %d", got)
	}
}

func TestCrossSiteRequestsRefused(t *testing.T) {
	t.Parallel()
	e := setup(t, nil)
	c := client(t)
	if got := e.login(t, c, e.EmailA, password); got != http.StatusSeeOther {
		t.Fatalf("sign in: %d", got)
	}
	r := e.do(t, c, http.MethodPost, "/logout", "", "", "Sec-Fetch-Site", "cross-site")
	if r.Status != http.StatusForbidden {
		t.Fatalf("cross-site logout: %d, want 403", r.Status)
	}
	r = e.do(t, c, http.MethodPost, "/login", "email=x", "application/x-www-form-urlencoded",
		"Sec-Fetch-Site", "", "Origin", "https://evil.example")
	if r.Status != http.StatusForbidden {
		t.Fatalf("cross-origin login: %d, want 403", r.Status)
	}
}

// TestOrganisationIsolation: a member of organisation B gets 404 on every URL
// of organisation A's campaign and call, its event stream and its uploads,
// and cannot import into it.
func TestOrganisationIsolation(t *testing.T) {
	t.Parallel()
	e := setup(t, nil)
	ca, cb := client(t), client(t)
	if e.login(t, ca, e.EmailA, password) != http.StatusSeeOther || e.login(t, cb, e.EmailB, password) != http.StatusSeeOther {
		t.Fatal("sign in failed")
	}
	wav, err := os.ReadFile("../audio/testdata/wav/pcm_s16le_8k_mono.wav")
	if err != nil {
		t.Fatal(err)
	}
	body, ct := multipartFile(t, "a.wav", wav)
	r := e.do(t, ca, http.MethodPost, "/campaigns/"+e.A.CampaignID+"/import", body, ct)
	var o struct {
		CallID string `json:"call_id"`
	}
	if err := json.Unmarshal([]byte(r.Body), &o); err != nil || r.Status != http.StatusOK || o.CallID == "" {
		t.Fatalf("import as A: %d %s", r.Status, r.Body)
	}
	camp, callID := e.A.CampaignID, o.CallID
	for _, p := range []string{"/campaigns/" + camp, "/campaigns/" + camp + "/settings/import",
		"/campaigns/" + camp + "/calls/" + callID + "/status", "/campaigns/" + camp + "/calls/" + callID + "/audio",
		"/campaigns/" + e.B.CampaignID + "/calls/" + callID + "/status", "/campaigns/" + e.B.CampaignID + "/calls/" + callID + "/audio"} {
		if r := e.do(t, cb, http.MethodGet, p, "", ""); r.Status != http.StatusNotFound {
			t.Errorf("B GET %s: %d, want 404", p, r.Status)
		}
		if r := e.do(t, ca, http.MethodGet, p, "", ""); strings.Contains(p, e.B.CampaignID) == (r.Status != http.StatusNotFound) {
			t.Errorf("A GET %s: %d", p, r.Status)
		}
	}
	body, ct = multipartFile(t, "b.wav", wav)
	if r := e.do(t, cb, http.MethodPost, "/campaigns/"+camp+"/import", body, ct); r.Status != http.StatusNotFound {
		t.Errorf("B import into A: %d, want 404", r.Status)
	}
	if r := e.do(t, cb, http.MethodPost, "/campaigns/"+camp+"/import/check", "agent_email=a@b.example", "application/x-www-form-urlencoded"); r.Status != http.StatusNotFound {
		t.Errorf("B check on A: %d, want 404", r.Status)
	}
	if r := e.do(t, cb, http.MethodGet, "/campaigns", "", ""); strings.Contains(r.Body, camp) {
		t.Error("B's campaign list shows A's campaign")
	}
	checkEventsAndUploadsIsolated(t, e, ca, cb, callID)
}

func TestImportAndAudio(t *testing.T) {
	t.Parallel()
	e := setup(t, nil)
	c := client(t)
	if e.login(t, c, e.EmailA, password) != http.StatusSeeOther {
		t.Fatal("sign in failed")
	}
	base := "/campaigns/" + e.A.CampaignID
	r := e.do(t, c, http.MethodPost, base+"/import/check", "agent_email=nope&metadata=[1]", "application/x-www-form-urlencoded")
	if !strings.Contains(r.Body, `"invalid"`) || !strings.Contains(r.Body, "agent_email") || !strings.Contains(r.Body, "metadata") {
		t.Fatalf("check of bad fields: %d %s", r.Status, r.Body)
	}
	wav, err := os.ReadFile("../audio/testdata/wav/pcm_s16le_8k_mono.wav")
	if err != nil {
		t.Fatal(err)
	}
	body, ct := multipartFile(t, "a.wav", wav, "agent_email", "agent@a.example.com", "metadata", `{"team":"north"}`)
	r = e.do(t, c, http.MethodPost, base+"/import", body, ct)
	var got map[string]any
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil || got["outcome"] != "checking" {
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
		t.Fatalf("status: %s", r.Body)
	}
	cl, err := e.Store.CallGet(t.Context(), e.A.OrgID, id)
	if err != nil || cl.Source != call.SourceWeb || cl.AgentEmail != "agent@a.example.com" || len(cl.Metadata) != 1 {
		t.Fatalf("stored call: %+v %v", cl, err)
	}
	body, ct = multipartFile(t, "again.wav", wav)
	if r := e.do(t, c, http.MethodPost, base+"/import", body, ct); !strings.Contains(r.Body, `"duplicate"`) {
		t.Fatalf("same file again: %s", r.Body)
	}
	body, ct = multipartFile(t, "notes.wav", []byte("these are meeting notes, not a recording"))
	if r := e.do(t, c, http.MethodPost, base+"/import", body, ct); !strings.Contains(r.Body, `"rejected"`) || !strings.Contains(r.Body, "supported format") {
		t.Fatalf("non-audio: %s", r.Body)
	}
	r = e.do(t, c, http.MethodGet, base+"/calls/"+id+"/audio", "", "", "Range", "bytes=4-11")
	if r.Status != http.StatusPartialContent || r.Body != string(wav[4:12]) || r.Header.Get("Content-Type") != "audio/wav" {
		t.Fatalf("range: %d %q %q", r.Status, r.Header.Get("Content-Range"), r.Header.Get("Content-Type"))
	}
	r = e.do(t, c, http.MethodGet, base+"/calls/"+id+"/audio", "", "")
	if r.Status != http.StatusOK || r.Body != string(wav) {
		t.Fatalf("whole audio: %d, %d bytes", r.Status, len(r.Body))
	}
	if r := e.do(t, c, http.MethodGet, base, "", "", "Accept-Language", "en"); !strings.Contains(r.Body, "agent@a.example.com") || !strings.Contains(r.Body, "0:03") {
		t.Fatalf("campaign page lacks the call:\n%s", r.Body)
	}
	for q, shown := range map[string]bool{"?status=rejected": false, "?status=imported": true, "?source=api": false,
		"?source=web&agent=agent@a.example.com": true, "?agent=other@a.example.com": false} {
		if r := e.do(t, c, http.MethodGet, base+q, "", ""); strings.Contains(r.Body, id) != shown {
			t.Errorf("filter %s: call shown = %v, want %v", q, !shown, shown)
		}
	}
}

// multipartFile builds a form with fields (name, value pairs) then the file.
func multipartFile(t *testing.T, name string, data []byte, fields ...string) (string, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		if err := mw.WriteField(fields[i], fields[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String(), mw.FormDataContentType()
}
