package webui_test

import (
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestImportWhenBusy: beyond the ingest limits the import page's upload is
// answered 429 with Retry-After and outcome "failed" (the page offers a
// retry), and goes through once there is room.
func TestImportWhenBusy(t *testing.T) {
	t.Parallel()
	e := setup(t, nil)
	c := client(t)
	if e.login(t, c, e.EmailA, password) != http.StatusSeeOther {
		t.Fatal("sign in failed")
	}
	wav, err := os.ReadFile("../audio/testdata/wav/pcm_s16le_8k_mono.wav")
	if err != nil {
		t.Fatal(err)
	}
	var releases []func()
	for len(releases) < 1000 {
		release, err := e.Server.Ingest.Admit(e.A.OrgID)
		if err != nil {
			break
		}
		releases = append(releases, release)
	}
	body, ct := multipartFile(t, "busy.wav", wav)
	r := e.do(t, c, http.MethodPost, "/campaigns/"+e.A.CampaignID+"/import", body, ct)
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !strings.Contains(r.Body, `"failed"`) {
		t.Fatalf("import while busy: %d %v %s", r.Status, r.Header, r.Body)
	}
	for _, release := range releases {
		release()
	}
	body, ct = multipartFile(t, "busy.wav", wav)
	if r := e.do(t, c, http.MethodPost, "/campaigns/"+e.A.CampaignID+"/import", body, ct); r.Status != http.StatusOK {
		t.Fatalf("import once there is room: %d %s", r.Status, r.Body)
	}
}
