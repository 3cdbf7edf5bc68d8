package webui_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/testenv"
)

func TestPullRunNowImports(t *testing.T) {
	t.Parallel()
	srv := testenv.StartSSHD(t)
	wav, err := os.ReadFile("../audio/testdata/wav/pcm_s16le_8k_mono.wav")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(srv.Remote, "call1.wav"), wav, 0o600); err != nil {
		t.Fatal(err)
	}
	e := setupChannels(t)
	a := e.signedIn(t, e.AdminA)
	page := "/campaigns/" + e.A.CampaignID + "/settings/sftp"
	r := e.post(t, a, page+"/pull", url.Values{"host": {"127.0.0.1"}, "port": {strconv.Itoa(srv.Port)}, "username": {srv.User},
		"private_key": {srv.ClientKey}, "fingerprint": {srv.Fingerprint}, "folder": {"."}, "pattern": {"*.wav"},
		"interval": {"60"}, "min_age": {"0"}, "after": {"keep"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", r.Status, r.Body)
	}
	srcs, err := e.Pulls.PullSourceList(t.Context())
	if err != nil || len(srcs) != 1 || srcs[0].PrivateKeySealed == "" || strings.Contains(srcs[0].PrivateKeySealed, "OPENSSH") {
		t.Fatalf("stored sources %+v %v", srcs, err)
	}
	if r := e.post(t, a, page+"/pull/"+srcs[0].ID+"/run", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("run: %d", r.Status)
	}
	e.waitRuns(t, srcs[0].ID, 1)
	calls, _, err := e.Store.CallList(t.Context(), store.CallListParams{OrgID: e.A.OrgID, CampaignID: e.A.CampaignID})
	if err != nil || len(calls) != 1 || calls[0].Source != call.SourceSFTPPull || calls[0].FileName != "call1.wav" {
		t.Fatalf("calls after the run: %+v %v", calls, err)
	}
	r = e.do(t, a, http.MethodGet, page, "", "")
	if strings.Contains(r.Body, "OPENSSH PRIVATE KEY") || !strings.Contains(r.Body, "<td>1</td><td>1</td><td>0</td><td>0</td><td class=\"errors\">—</td>") ||
		strings.Contains(r.Body, `<span class="last-import">—</span>`) || strings.Contains(r.Body, "Failing") {
		t.Fatalf("page after the run:\n%s", r.Body)
	}
	if r := e.post(t, a, page+"/pull/"+srcs[0].ID+"/run", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("second run: %d", r.Status)
	}
	e.waitRuns(t, srcs[0].ID, 2)
	if calls, _, _ := e.Store.CallList(t.Context(), store.CallListParams{OrgID: e.A.OrgID, CampaignID: e.A.CampaignID}); len(calls) != 1 {
		t.Fatalf("a kept file was imported again: %d calls", len(calls))
	}
}
