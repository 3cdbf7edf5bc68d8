package webui_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/webui"
)

// TestEventStreamEndsOnDone: closing Config.Done ends the open streams, so
// that a graceful shutdown does not wait for open import pages.
func TestEventStreamEndsOnDone(t *testing.T) {
	t.Parallel()
	done := make(chan struct{})
	e := setup(t, func(c *webui.Config) { c.Done = done })
	c := client(t)
	if e.login(t, c, e.EmailA, password) != http.StatusSeeOther {
		t.Fatal("sign in failed")
	}
	req, err := http.NewRequestWithContext(ctxTimeout(t, time.Minute), http.MethodGet, e.Web.URL+"/campaigns/"+e.A.CampaignID+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req) // returns once the stream has started
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	close(done)
	body, err := io.ReadAll(resp.Body) // ends at the stream's end (or fails at the minute)
	if err != nil {
		t.Fatalf("the stream did not end when Done was closed: %v", err)
	}
	if !strings.HasPrefix(string(body), "retry: ") {
		t.Errorf("stream: %q", body)
	}
}
