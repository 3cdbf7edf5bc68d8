package webui_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// TestCampaignPagingBench measures the campaign page (the call list) with
// 1,000 and then 100,000 calls in the campaign: the first page, pages deep
// into the cursor chain, and the status and agent filters. It prints each
// case's median at both sizes and their ratio (1.0 means the page does not
// slow down as the campaign grows). Not a pass/fail test:
//
//	CALLIMPORT_WEB_PAGING_BENCH=1 go test -run TestCampaignPagingBench -v ./internal/webui/
func TestCampaignPagingBench(t *testing.T) {
	if os.Getenv("CALLIMPORT_WEB_PAGING_BENCH") == "" {
		t.Skip("benchmark: set CALLIMPORT_WEB_PAGING_BENCH=1 to run it")
	}
	e := setup(t, nil)
	c := client(t)
	if got := e.login(t, c, e.EmailA, password); got != http.StatusSeeOther {
		t.Fatalf("sign in: %d", got)
	}
	base := "/campaigns/" + e.A.CampaignID
	cases := []struct{ name, path string }{
		{"first page", base},
		{"rejected only", base + "?status=rejected"},
		{"one agent", base + "?agent=agent7%40a.example.com"},
		{"page 20 (cursor)", ""},
	}
	nextRe := regexp.MustCompile(`href="[^"]*[?&]cursor=([^"&]+)`)
	measure := func() []time.Duration {
		out := make([]time.Duration, len(cases))
		for i, cs := range cases {
			var runs []time.Duration
			for range 7 {
				start := time.Now()
				if cs.path != "" {
					if r := e.do(t, c, http.MethodGet, cs.path, "", ""); r.Status != http.StatusOK {
						t.Fatalf("%s: %d", cs.name, r.Status)
					}
				} else { // follow the next-page links 20 times; time the last page
					path := base
					for range 19 {
						r := e.do(t, c, http.MethodGet, path, "", "")
						m := nextRe.FindStringSubmatch(r.Body)
						if m == nil {
							t.Fatalf("no next-page link on %s", path)
						}
						path = base + "?cursor=" + m[1]
					}
					start = time.Now()
					if r := e.do(t, c, http.MethodGet, path, "", ""); r.Status != http.StatusOK {
						t.Fatalf("%s: %d", cs.name, r.Status)
					}
				}
				runs = append(runs, time.Since(start))
			}
			slices.Sort(runs)
			out[i] = runs[len(runs)/2]
		}
		return out
	}
	fill := func(from, to int) {
		for lo := from; lo < to; lo += 5000 {
			err := e.Store.InTx(t.Context(), func(tx store.Tx) error {
				for i := lo; i < min(lo+5000, to); i++ {
					sum := sha256.Sum256([]byte(strconv.Itoa(i)))
					conv := time.Unix(1700000000+int64(i)*60, 0)
					c, err := tx.CallCreate(t.Context(), store.CallCreateParams{ID: call.NewID(), OrgID: e.A.OrgID, CampaignID: e.A.CampaignID,
						Source: call.SourceAPI, FileName: fmt.Sprintf("call-%06d.wav", i), SizeBytes: 48044,
						SHA256: hex.EncodeToString(sum[:]), Format: "wav", BlobKey: "calls/bench/" + strconv.Itoa(i),
						ConversationTime: &conv, AgentEmail: fmt.Sprintf("agent%d@a.example.com", i%50),
						Metadata: []call.MetaPair{{Key: "queue", Value: "sales"}}})
					if err != nil {
						return err
					}
					p := store.CallSetStatusParams{ID: c.ID, Status: call.StatusImported,
						Audio: &call.AudioInfo{Format: "wav", Codec: "pcm_s16le", SampleRateHz: 8000, Channels: 1, DurationSeconds: 3}}
					if i%10 == 0 {
						p = store.CallSetStatusParams{ID: c.ID, Status: call.StatusRejected, RejectionReason: "the recording is silent"}
					}
					if _, err := tx.CallSetStatus(t.Context(), p); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	fill(0, 1000)
	small := measure()
	start := time.Now()
	fill(1000, 100000)
	t.Logf("99,000 calls added in %s", time.Since(start).Round(time.Millisecond))
	large := measure()
	t.Logf("%-18s %12s %12s %8s", "campaign page", "1,000 calls", "100,000", "ratio")
	for i, cs := range cases {
		t.Logf("%-18s %12s %12s %8.2f", cs.name, small[i].Round(10*time.Microsecond), large[i].Round(10*time.Microsecond),
			large[i].Seconds()/small[i].Seconds())
	}
}
