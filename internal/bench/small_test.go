package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"
)

const (
	smallSize = 1 << 20
	smallConc = 32
)

// envInt reads a positive integer from the environment, or def.
func envInt(tb testing.TB, name string, def int) int {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		tb.Fatalf("%s=%q is not a positive number", name, v)
	}
	return n
}

// smallBodies are one worker's upload bodies: a 1 MiB WAV alone (raw) and
// inside the form (multipart). Each upload stamps a unique number into the
// first audio bytes of both, so no upload is a duplicate.
type smallBodies struct {
	raw, form []byte
	formOff   int // offset of the audio data in form
}

func newSmallBodies(tb testing.TB, worker int, form Form) *smallBodies {
	tb.Helper()
	raw, err := io.ReadAll(NewWAV(uint64(1000+worker), smallSize))
	must(tb, err)
	return &smallBodies{raw: raw, form: form.Bytes(raw), formOff: len(form.Prefix) + WAVHeaderSize}
}

func (s *smallBodies) stamp(v uint64) {
	binary.LittleEndian.PutUint64(s.raw[WAVHeaderSize:], v)
	binary.LittleEndian.PutUint64(s.form[s.formOff:], v)
}

// BenchmarkUpload1MiBConc32 runs, per round, N uploads of distinct 1 MiB
// WAV files (N from CALLIMPORT_BENCH_N, default 2000; at most
// CALLIMPORT_BENCH_SECONDS, default 60, per run) with 32 concurrent
// clients, against the baseline (raw bodies) and then callimport
// (multipart, in-process on its embedded defaults), in alternating order.
// An upload counts when it is acknowledged (201). After callimport's run it
// waits (untimed) until every call is imported and reads created_at (row
// commit, just before the acknowledgement) and imported_at of each.
//
// It reports the median uploads/s of each (base_up/s, ci_up/s), the median
// per-round ratio ci/base (target ≥ 0.5), cpu_ratio (CPU of this process
// per base upload / per ci upload, probe work excluded as far as it runs
// after the last acknowledgement), the client-side p50/p99 latency of
// each, and import_p50_ms / import_p99_ms: imported_at − created_at over
// every call of every round. After each run, untimed, the baseline's files
// are removed and callimport's calls deleted (see deleteCalls). One round
// is one b.Loop iteration.
func BenchmarkUpload1MiBConc32(b *testing.B) {
	ctx := b.Context()
	n := envInt(b, "CALLIMPORT_BENCH_N", 2000)
	maxDur := time.Duration(envInt(b, "CALLIMPORT_BENCH_SECONDS", 60)) * time.Second
	baseURL, baseDir := startBaseline(b)
	ci := startApp(b)
	cl := newClient()

	var (
		ups       = map[string][]float64{}
		cpuPer    = map[string][]float64{}
		lat       = map[string][]time.Duration{}
		importLat []time.Duration
		round     uint64
	)
	record := func(name string, r loadResult) {
		if r.Errors > 0 {
			b.Fatalf("%s: %d of %d uploads failed, first: %v", name, r.Errors, r.Errors+r.Done, r.FirstErr)
		}
		ups[name] = append(ups[name], r.PerSecond())
		cpuPer[name] = append(cpuPer[name], r.CPU.Seconds()/float64(r.Done))
		lat[name] = append(lat[name], r.Latency...)
		b.Logf("round %d %s: %d uploads in %.1fs = %.0f/s, latency p50 %.1f ms p99 %.1f ms, cpu %.2f ms/upload",
			round, name, r.Done, r.Elapsed.Seconds(), r.PerSecond(), ms(Percentile(r.Latency, 50)), ms(Percentile(r.Latency, 99)),
			1000*r.CPU.Seconds()/float64(r.Done))
	}
	for b.Loop() {
		round++
		campaign := ci.newCampaign(b, fmt.Sprintf("Bench round %d", round))
		form, err := NewForm(DocFields(campaign)...)
		must(b, err)
		bodies := make([]*smallBodies, smallConc)
		for w := range bodies {
			bodies[w] = newSmallBodies(b, w, form)
		}
		runBase := func() {
			r := runLoad(ctx, n, smallConc, maxDur, func(ctx context.Context, w int, seq uint64) error {
				bodies[w].stamp(round<<40 | seq)
				_, err := cl.post(ctx, baseURL+"/raw", "application/octet-stream", "", bytes.NewReader(bodies[w].raw), smallSize, nil)
				return err
			})
			record("base", r)
			emptyDir(b, baseDir)
		}
		runCI := func() {
			r := runLoad(ctx, n, smallConc, maxDur, func(ctx context.Context, w int, seq uint64) error {
				bodies[w].stamp(round<<40 | seq)
				var c callInfo
				code, err := cl.post(ctx, ci.URL+"/v1/calls/audio", form.ContentType, ci.Key, bytes.NewReader(bodies[w].form), int64(len(bodies[w].form)), &c)
				if err == nil && code != 201 {
					err = fmt.Errorf("status %d (duplicate %v)", code, c.Duplicate)
				}
				return err
			})
			end := time.Now()
			record("ci", r)
			calls, err := cl.waitCalls(ctx, ci.target, campaign, r.Done, 10*time.Minute)
			must(b, err)
			var last time.Time
			for _, c := range calls {
				if c.Status != "imported" || c.ImportedAt == nil {
					b.Fatalf("call %s is %s: %v", c.ID, c.Status, c.RejectionReason)
				}
				importLat = append(importLat, c.ImportedAt.Sub(c.CreatedAt))
				if c.ImportedAt.After(last) {
					last = *c.ImportedAt
				}
			}
			b.Logf("round %d ci: %d calls imported, the last %.1fs after the last acknowledgement", round, len(calls), last.Sub(end).Seconds())
			ids := make([]string, len(calls))
			for i, c := range calls {
				ids[i] = c.ID
			}
			must(b, cl.deleteCalls(ctx, ci.target, ids...))
		}
		if round%2 == 1 {
			runBase()
			runCI()
		} else {
			runCI()
			runBase()
		}
	}
	b.ReportMetric(Median(ups["base"]), "base_up/s")
	b.ReportMetric(Median(ups["ci"]), "ci_up/s")
	b.ReportMetric(Median(ratios(ups["ci"], ups["base"])), "ratio")
	b.ReportMetric(Median(ratios(cpuPer["base"], cpuPer["ci"])), "cpu_ratio")
	for _, name := range []string{"base", "ci"} {
		b.ReportMetric(ms(Percentile(lat[name], 50)), name+"_p50_ms")
		b.ReportMetric(ms(Percentile(lat[name], 99)), name+"_p99_ms")
	}
	b.ReportMetric(ms(Percentile(importLat, 50)), "import_p50_ms")
	b.ReportMetric(ms(Percentile(importLat, 99)), "import_p99_ms")
}
