package admission_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/admission"
	"github.com/callimport/callimport/internal/call"
)

func requireRefusal(t *testing.T, err error, reason string, after time.Duration) {
	t.Helper()
	if call.ErrorCode(err) != call.CodeRateLimited {
		t.Fatalf("error %v: code %q, want rate_limited", err, call.ErrorCode(err))
	}
	r, ok := errors.AsType[*admission.Refusal](err)
	if !ok || r.Reason != reason {
		t.Fatalf("error %v: want a refusal %q", err, reason)
	}
	if got, _ := admission.RetryAfter(err); got != after {
		t.Fatalf("retry after %s, want %s", got, after)
	}
}

func TestLimiterGlobalAndPerOrg(t *testing.T) {
	t.Parallel()
	l := admission.NewLimiter(3, 2)
	a1, err := l.TryAcquire("a")
	if err != nil {
		t.Fatal(err)
	}
	a2, err := l.TryAcquire("a")
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.TryAcquire("a")
	requireRefusal(t, err, "organisation busy", time.Second)
	b1, err := l.TryAcquire("b")
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.TryAcquire("c")
	requireRefusal(t, err, "server busy", time.Second)
	if all, ofA := l.InUse("a"); all != 3 || ofA != 2 {
		t.Fatalf("in use %d, of a %d; want 3, 2", all, ofA)
	}
	a1()
	a1() // a second release does nothing
	if all, ofA := l.InUse("a"); all != 2 || ofA != 1 {
		t.Fatalf("after release: in use %d, of a %d; want 2, 1", all, ofA)
	}
	c1, err := l.TryAcquire("c")
	if err != nil {
		t.Fatal(err)
	}
	a2()
	b1()
	c1()
	if all, _ := l.InUse("a"); all != 0 {
		t.Fatalf("in use %d after every release", all)
	}
}

func TestLimiterNilAdmitsAll(t *testing.T) {
	t.Parallel()
	var l *admission.Limiter
	for range 1000 {
		if _, err := l.TryAcquire("a"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLimiterConcurrent: many goroutines racing never exceed the limits.
func TestLimiterConcurrent(t *testing.T) {
	t.Parallel()
	l := admission.NewLimiter(8, 5)
	var mu sync.Mutex
	peak, peakOrg := 0, map[string]int{}
	var wg sync.WaitGroup
	for i := range 64 {
		org := fmt.Sprint("org", i%3)
		wg.Go(func() {
			for range 200 {
				release, err := l.TryAcquire(org)
				if err != nil {
					continue
				}
				all, ofOrg := l.InUse(org)
				mu.Lock()
				peak, peakOrg[org] = max(peak, all), max(peakOrg[org], ofOrg)
				mu.Unlock()
				release()
			}
		})
	}
	wg.Wait()
	if peak > 8 {
		t.Errorf("peak %d ingests at once, limit 8", peak)
	}
	for org, n := range peakOrg {
		if n > 5 {
			t.Errorf("peak %d ingests at once for %s, limit 5", n, org)
		}
	}
}

func TestRateLimiter(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	r := admission.NewRateLimiter(admission.RateConfig{Rate: 2, Burst: 3, Now: func() time.Time { return now }})
	for i := range 3 {
		if err := r.Allow("k"); err != nil {
			t.Fatalf("request %d of the burst: %v", i, err)
		}
	}
	requireRefusal(t, r.Allow("k"), "rate limited", time.Second)
	if err := r.Allow("other"); err != nil {
		t.Fatalf("another key shares the bucket: %v", err)
	}
	now = now.Add(500 * time.Millisecond) // one token at 2/s
	if err := r.Allow("k"); err != nil {
		t.Fatalf("after refill: %v", err)
	}
	requireRefusal(t, r.Allow("k"), "rate limited", time.Second)
	now = now.Add(time.Hour)
	for i := range 3 { // the bucket refills up to the burst only
		if err := r.Allow("k"); err != nil {
			t.Fatalf("request %d after an hour: %v", i, err)
		}
	}
	if r.Allow("k") == nil {
		t.Fatal("the bucket held more than the burst")
	}
}

func TestRateLimiterSlowRateRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	r := admission.NewRateLimiter(admission.RateConfig{Rate: 0.1, Now: func() time.Time { return now }})
	if err := r.Allow("k"); err != nil {
		t.Fatal(err)
	}
	requireRefusal(t, r.Allow("k"), "rate limited", 10*time.Second)
}

func TestRateLimiterBoundedKeys(t *testing.T) {
	t.Parallel()
	r := admission.NewRateLimiter(admission.RateConfig{Rate: 1, Burst: 1, MaxKeys: 100})
	for i := range 10_000 {
		if err := r.Allow(fmt.Sprint("key", i)); err != nil {
			t.Fatal(err)
		}
	}
	if r.Len() != 100 {
		t.Fatalf("%d keys remembered, want at most 100", r.Len())
	}
	// The most recent keys are remembered: their bucket is empty.
	if r.Allow("key9999") == nil {
		t.Fatal("the most recent key was forgotten")
	}
}

func TestRateLimiterOff(t *testing.T) {
	t.Parallel()
	r := admission.NewRateLimiter(admission.RateConfig{})
	if r != nil {
		t.Fatal("rate 0 must turn the limiter off")
	}
	if err := r.Allow("k"); err != nil {
		t.Fatal(err)
	}
}
