package webui_test

import (
	"bufio"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"
)

// readEvents reads the event stream at path for c until it has seen want
// (or d has passed) and returns what it read.
func (e *env) readEvents(t *testing.T, c *http.Client, path, want string, d time.Duration) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxTimeout(t, d), http.MethodGet, e.Web.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
		if want != "" && strings.Contains(b.String(), want) {
			break
		}
	}
	return resp.StatusCode, b.String()
}

// tusCreate creates a resumable upload with the session of c (no API key).
func (e *env) tusCreate(t *testing.T, c *http.Client, campaignID string, extra ...string) result {
	t.Helper()
	meta := "filename " + base64.StdEncoding.EncodeToString([]byte("x.wav")) + ",campaign_id " + base64.StdEncoding.EncodeToString([]byte(campaignID))
	return e.do(t, c, http.MethodPost, "/v1/uploads/", "", "", append([]string{"Tus-Resumable", "1.0.0", "Upload-Length", "100", "Upload-Metadata", meta}, extra...)...)
}

// checkEventsAndUploadsIsolated: B's session cannot read A's event stream,
// create an upload in A's campaign, or touch A's upload; A's stream
// carries A's call; a cross-site request does not get A's session.
func checkEventsAndUploadsIsolated(t *testing.T, e *env, ca, cb *http.Client, callID string) {
	t.Helper()
	campA := "/campaigns/" + e.A.CampaignID + "/events?since=1"
	if status, body := e.readEvents(t, cb, campA, "", 5*time.Second); status != http.StatusNotFound || strings.Contains(body, callID) {
		t.Errorf("B reads A's events: %d %q", status, body)
	}
	if status, body := e.readEvents(t, ca, campA, callID, 20*time.Second); status != http.StatusOK || !strings.Contains(body, "event: outcome") || !strings.Contains(body, callID) {
		t.Errorf("A's events: %d %q", status, body)
	}
	if status, body := e.readEvents(t, cb, "/campaigns/"+e.B.CampaignID+"/events", "", 2*time.Second); status != http.StatusOK || strings.Contains(body, callID) {
		t.Errorf("B's own events show A's call: %d %q", status, body)
	}
	if r := e.tusCreate(t, cb, e.A.CampaignID); r.Status != http.StatusNotFound {
		t.Errorf("B creates an upload into A's campaign: %d %s", r.Status, r.Body)
	}
	r := e.tusCreate(t, ca, e.A.CampaignID)
	loc := r.Header.Get("Location")
	if r.Status != http.StatusCreated || loc == "" {
		t.Fatalf("A creates an upload with the session: %d %s", r.Status, r.Body)
	}
	if i := strings.Index(loc, "/v1/uploads/"); i >= 0 {
		loc = loc[i:]
	}
	if r := e.do(t, cb, http.MethodHead, loc, "", "", "Tus-Resumable", "1.0.0"); r.Status != http.StatusNotFound {
		t.Errorf("B HEAD on A's upload: %d", r.Status)
	}
	if r := e.do(t, cb, http.MethodPatch, loc, "RIFF", "application/offset+octet-stream", "Tus-Resumable", "1.0.0", "Upload-Offset", "0"); r.Status != http.StatusNotFound {
		t.Errorf("B PATCH on A's upload: %d", r.Status)
	}
	if r := e.do(t, cb, http.MethodDelete, loc, "", "", "Tus-Resumable", "1.0.0"); r.Status != http.StatusNotFound {
		t.Errorf("B DELETE on A's upload: %d", r.Status)
	}
	if r := e.do(t, ca, http.MethodHead, loc, "", "", "Tus-Resumable", "1.0.0"); r.Status != http.StatusOK {
		t.Errorf("A HEAD on its upload: %d", r.Status)
	}
	if r := e.tusCreate(t, ca, e.A.CampaignID, "Sec-Fetch-Site", "cross-site"); r.Status != http.StatusUnauthorized {
		t.Errorf("cross-site upload with A's cookie: %d, want 401", r.Status)
	}
	if r := e.tusCreate(t, client(t), e.A.CampaignID); r.Status != http.StatusUnauthorized {
		t.Errorf("upload without a session: %d, want 401", r.Status)
	}
}
