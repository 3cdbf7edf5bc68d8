package apitest_test

import (
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/callimport/callimport/client"
	"github.com/callimport/callimport/internal/app/apptest"
)

// streamSize is the size of the upload of TestStreamingMemory.
const streamSize = 256 << 20

// TestStreamingMemory uploads a 256 MiB WAV generated on the fly and
// checks that the heap of the process (server and client both run in it)
// grows by less than 32 MiB: uploads stream. It does not call t.Parallel
// so that no other test's allocations blur the measure (top-level
// sequential tests finish before parallel ones start).
func TestStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the 256 MiB upload in -short mode")
	}
	if raceEnabled {
		// The detector's shadow memory is not heap, and it makes the copy
		// several times slower: the measure would cost much and mean little.
		t.Skip("skipping the 256 MiB upload under the race detector")
	}
	h := setup(t, apptest.Options{})
	c := client.New(h.URL, client.WithAPIKey(h.A.WriteKey), client.WithHTTPClient(h.http))
	// Warm up: first-use allocations (pools, TLS-free transport, SQL
	// statements) are not what this test measures.
	if _, err := c.UploadCall(t.Context(), client.Upload{CampaignID: h.A.CampaignID, FileName: "warm.wav", Body: mustReader(bigWAV(1, 1<<20))}); err != nil {
		t.Fatal(err)
	}

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	peak := base
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapAlloc)
			}
		}
	})
	body, size := bigWAV(2, streamSize)
	start := time.Now()
	res, err := c.UploadCall(t.Context(), client.Upload{CampaignID: h.A.CampaignID, FileName: "big.wav", Body: body})
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || res.SizeBytes != size {
		t.Fatalf("upload: %+v, want a new call of %d bytes", res.Call, size)
	}
	growth := int64(peak) - int64(base)
	t.Logf("256 MiB upload in %v (%.0f MiB/s); heap %d MiB before, peak growth %.1f MiB",
		elapsed.Round(time.Millisecond), float64(size)/(1<<20)/elapsed.Seconds(), base>>20, float64(growth)/(1<<20))
	if growth > 32<<20 {
		t.Errorf("heap grew by %.1f MiB during a 256 MiB upload, want < 32 MiB", float64(growth)/(1<<20))
	}
	done := h.waitCall(t, h.A.ReadKey, res.ID)
	if done.Status != "imported" || done.Audio == nil {
		t.Errorf("256 MiB call ended %s (%v)", done.Status, ptr(done.RejectionReason))
	}
	resp, _ := h.do(t, request{method: "GET", path: "/v1/calls/" + res.ID + "/audio", apiKey: h.A.ReadKey,
		header: map[string]string{"Range": "bytes=-16"}})
	if resp.StatusCode != http.StatusPartialContent {
		t.Errorf("tail of the big file: %d", resp.StatusCode)
	}
}

func mustReader[T any](r T, _ int64) T { return r }
