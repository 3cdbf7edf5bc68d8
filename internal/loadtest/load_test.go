package loadtest

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/app/apptest"
	"github.com/callimport/callimport/internal/config"
)

const (
	loadUploads = 200 // sent at once
	loadLimit   = 32  // ingests the server runs at once
	// loadHeapBound bounds the heap in use during the burst; 200 uploads
	// of 48 KB are under 10 MB of bodies, so this only fails when memory
	// grows with the number of waiting requests.
	loadHeapBound = 256 << 20
	// loadRounds bounds the retries of refused uploads.
	loadRounds = 20
)

// TestLoadBeyondIngestLimit sends 200 uploads of distinct real WAV files
// at once, over loopback, to a server that runs 32 ingests at once (in all
// and per organisation), then retries the refused ones after their
// Retry-After until all are acknowledged. Every answer must be 201, 200 or
// 429 with Retry-After (no 5xx, no connection error); every acknowledged
// call must end imported; the heap in use must stay bounded. The figures
// are logged (go test -v -run TestLoad ./internal/loadtest/).
func TestLoadBeyondIngestLimit(t *testing.T) {
	t.Parallel()
	for _, be := range []struct {
		name     string
		postgres bool
	}{{"sqlite", false}, {"postgres", true}} {
		t.Run(be.name, func(t *testing.T) {
			env := apptest.Start(t, apptest.Options{Postgres: be.postgres, Configure: func(c *config.Serve) {
				c.Limits = config.Limits{MaxIngests: loadLimit, MaxIngestsPerOrg: loadLimit}
			}})
			runLoad(t, env)
		})
	}
}

func runLoad(t *testing.T, env *apptest.Env) {
	wavs := recordings(t, loadUploads)
	cl := newClient(t)
	tenants := []apptest.Tenant{env.A, env.B}
	send := func(i int) outcome {
		tn := tenants[i%2]
		return upload(t.Context(), cl, env.URL, tn.WriteKey, tn.CampaignID, "load.wav", wavs[i])
	}

	heapBefore := heapInUse()
	stopWatch := heapWatch()
	start := time.Now()
	pending := make([]int, loadUploads)
	for i := range pending {
		pending[i] = i
	}
	var acked []string
	var firstWave map[int]int
	var rounds int
	for rounds = 1; len(pending) > 0; rounds++ {
		if rounds > loadRounds {
			t.Fatalf("%d uploads still refused after %d rounds", len(pending), loadRounds)
		}
		results := make([]outcome, len(pending))
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for k, i := range pending {
			wg.Go(func() {
				<-gate
				results[k] = send(i)
			})
		}
		close(gate)
		wg.Wait()
		counts := map[int]int{}
		var refused []int
		wait := 1
		for k, o := range results {
			switch {
			case o.err != nil:
				t.Fatalf("upload %d: %v", pending[k], o.err)
			case o.status == http.StatusCreated || o.status == http.StatusOK:
				acked = append(acked, o.id)
			case o.status == http.StatusTooManyRequests && validRetryAfter(o.retryAfter):
				refused = append(refused, pending[k])
				wait = max(wait, atoi(o.retryAfter))
			default:
				t.Fatalf("upload %d: status %d, Retry-After %q: want 201, 200 or 429 with Retry-After",
					pending[k], o.status, o.retryAfter)
			}
			counts[o.status]++
		}
		if firstWave == nil {
			firstWave = counts
		}
		t.Logf("round %d: %d uploads at once: %d created, %d duplicate, %d refused (429)",
			rounds, len(pending), counts[201], counts[200], counts[429])
		pending = refused
		if len(pending) > 0 {
			time.Sleep(time.Duration(wait) * time.Second)
		}
	}
	ackTime := time.Since(start)
	peak := stopWatch()
	importWait := waitImported(t, env.Store, acked, 2*time.Minute)
	heapAfter := heapInUse()

	slices.Sort(acked)
	if n := len(slices.Compact(acked)); n != loadUploads {
		t.Fatalf("%d distinct calls acknowledged for %d distinct recordings", n, loadUploads)
	}
	t.Logf("first wave of %d at once (limit %d): %d × 201, %d × 200, %d × 429 with Retry-After",
		loadUploads, loadLimit, firstWave[201], firstWave[200], firstWave[429])
	t.Logf("all %d acknowledged in %s over %d rounds; all imported %s later",
		loadUploads, ackTime.Round(time.Millisecond), rounds-1, importWait.Round(time.Millisecond))
	t.Logf("Go heap in use: %s before, peak %s during the bursts (+%s), %s after; process VmHWM %s",
		mib(heapBefore), mib(peak), mib(peak-min(peak, heapBefore)), mib(heapAfter), mib(vmHWM()))
	if peak > loadHeapBound {
		t.Errorf("heap in use peaked at %s, bound %s", mib(peak), mib(loadHeapBound))
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
