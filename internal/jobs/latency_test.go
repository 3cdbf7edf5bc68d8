package jobs

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// BenchmarkCommitToStart measures the time from the commit of a call (and
// its probe job) to the start of ProcessCall, with the default PollInterval.
// It reports the p50, p90 and max latency in milliseconds.
func BenchmarkCommitToStart(b *testing.B) {
	for _, open := range []struct {
		name string
		fn   func(testing.TB) backend
	}{{"sqlite", openSQLite}, {"postgres", openPostgres}} {
		b.Run(open.name, func(b *testing.B) {
			be := open.fn(b)
			started := make(chan time.Time, 1)
			calls := &fakeCalls{ProcessCallFunc: func(context.Context, string) error {
				started <- time.Now()
				return nil
			}}
			cfg := testConfig(b)
			cfg.PollInterval = 0 // the default
			cfg.RetryDelay = nil
			q := startQueue(b, be, cfg, Handlers{Calls: calls})
			var lat []time.Duration
			i := 0
			for b.Loop() {
				// Commit at a random phase of the poll cycle.
				time.Sleep(rand.N(PollIntervalDefault))
				i++
				be.createCall(b, q, fmt.Sprintf("c%d", i), true)
				committed := time.Now()
				lat = append(lat, (<-started).Sub(committed))
			}
			slices.Sort(lat)
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[len(lat)*9/10]), "p90-ms")
			b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
		})
	}
}
