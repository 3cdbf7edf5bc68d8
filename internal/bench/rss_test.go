package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	rssUploads = 16
	rssSize    = 256 << 20
)

// BenchmarkPeakRSS16x256MiB builds cmd/callimport and runs `callimport
// serve` as a process of its own on its embedded defaults (a fresh data
// folder, CALLIMPORT_* variables removed from its environment). The first
// start bootstraps and is stopped (ci_first_start_MB: its peak RSS, mostly
// the 64 MiB of the admin password's argon2id hash); the measured process
// is a second start on the same folder (ci_idle_MB once ready). It gets 16
// multipart uploads of 256 MiB at once, each WAV generated on the fly from
// its own seed (ChaCha8), so nothing is held in the client's memory. The
// server's peak resident set (VmHWM of /proc/PID/status) is read when the
// uploads are acknowledged (ci_peak_MB, target < 150 MB) and once the 16
// calls are imported (ci_peak_imported_MB: the probe reads every file
// too). The same 16 raw uploads go first to the baseline server, run as a
// process of its own (this test binary re-executed), for base_peak_MB. MB
// are 10^6 bytes. Each round (b.Loop iteration) starts fresh processes;
// the peaks reported are the highest of all rounds.
func BenchmarkPeakRSS16x256MiB(b *testing.B) {
	exe := buildCallimport(b)
	var base, ci, ciImported, idle, first []float64
	for b.Loop() {
		r := rssRound(b, exe)
		base, ci, ciImported = append(base, r.base), append(ci, r.ci), append(ciImported, r.ciImported)
		idle, first = append(idle, r.idle), append(first, r.firstStart)
	}
	b.ReportMetric(slices.Max(base), "base_peak_MB")
	b.ReportMetric(slices.Max(ci), "ci_peak_MB")
	b.ReportMetric(slices.Max(ciImported), "ci_peak_imported_MB")
	b.ReportMetric(Median(idle), "ci_idle_MB")
	b.ReportMetric(slices.Max(first), "ci_first_start_MB")
}

// rssPeaks are the figures of one round, in MB.
type rssPeaks struct{ base, ci, ciImported, idle, firstStart float64 }

// rssRound measures a fresh baseline process, then a fresh callimport.
func rssRound(b *testing.B, exe string) rssPeaks {
	ctx := b.Context()
	cl := newClient()
	base := startBaselineProc(b)
	baseRes := uploadMany(ctx, b, func(ctx context.Context, i int) error {
		var res BaselineResult
		_, err := cl.post(ctx, base.URL+"/raw", "application/octet-stream", "", noWriterTo(NewWAV(uint64(i), rssSize)), rssSize, &res)
		if err == nil && res.Size != rssSize {
			err = fmt.Errorf("baseline stored %d bytes", res.Size)
		}
		return err
	})
	basePeak := rssMB(b, base, "VmHWM")
	base.stop()

	// The first start bootstraps (its argon2id password hash alone takes
	// 64 MiB, kept until the Go runtime returns it); the measured process
	// is a second start on the same data folder, as a server runs for good.
	dataDir := b.TempDir()
	first := startProc(b, serveCmd(ctx, exe, dataDir))
	if first.Key == "" || first.Campaign == "" {
		b.Fatalf("no API key or campaign in the first-start banner:\n%s", first.stdout.String())
	}
	firstIdle := rssMB(b, first, "VmHWM")
	first.stop()
	srv := startProc(b, serveCmd(ctx, exe, dataDir))
	defer srv.stop()
	srv.Key, srv.Campaign = first.Key, first.Campaign
	idle := rssMB(b, srv, "VmRSS")
	b.Logf("callimport: peak RSS of the first start (bootstrap) %.1f MB; idle RSS of the second start %.1f MB (anon %.1f, file %.1f)",
		firstIdle, idle, rssMB(b, srv, "RssAnon"), rssMB(b, srv, "RssFile"))
	form, err := NewForm(DocFields(srv.Campaign)...)
	must(b, err)
	ciRes := uploadMany(ctx, b, func(ctx context.Context, i int) error {
		var c callInfo
		_, err := cl.post(ctx, srv.URL+"/v1/calls/audio", form.ContentType, srv.Key, form.Body(NewWAV(uint64(i+100), rssSize)), form.Len(rssSize), &c)
		if err == nil && (c.SizeBytes != rssSize || c.Duplicate) {
			err = fmt.Errorf("call %s: %d bytes, duplicate %v", c.ID, c.SizeBytes, c.Duplicate)
		}
		return err
	})
	ciPeak := rssMB(b, srv, "VmHWM")
	calls, err := cl.waitCalls(ctx, srv.target, srv.Campaign, rssUploads, 10*time.Minute)
	must(b, err)
	for _, c := range calls {
		if c.Status != "imported" {
			b.Fatalf("call %s is %s: %v", c.ID, c.Status, c.RejectionReason)
		}
	}
	ciPeakImported := rssMB(b, srv, "VmHWM")

	b.Logf("baseline: 16 x 256 MiB in %.1fs (%.0f MB/s together), peak RSS %.1f MB", baseRes.Seconds(), 16*rssSize/baseRes.Seconds()/1e6, basePeak)
	b.Logf("callimport: 16 x 256 MiB in %.1fs (%.0f MB/s together), peak RSS %.1f MB at the last acknowledgement, %.1f MB after the imports (now anon %.1f, file %.1f)",
		ciRes.Seconds(), 16*rssSize/ciRes.Seconds()/1e6, ciPeak, ciPeakImported, rssMB(b, srv, "RssAnon"), rssMB(b, srv, "RssFile"))
	if ciPeakImported >= 150 {
		b.Logf("TARGET MISSED: callimport's peak RSS %.1f MB is not under 150 MB", ciPeakImported)
	}
	return rssPeaks{base: basePeak, ci: ciPeak, ciImported: ciPeakImported, idle: idle, firstStart: firstIdle}
}

// uploadMany runs rssUploads uploads at once and returns the wall time of
// the slowest.
func uploadMany(ctx context.Context, tb testing.TB, up func(ctx context.Context, i int) error) time.Duration {
	tb.Helper()
	var wg sync.WaitGroup
	errs := make([]error, rssUploads)
	start := time.Now()
	for i := range rssUploads {
		wg.Go(func() { errs[i] = up(ctx, i) })
	}
	wg.Wait()
	d := time.Since(start)
	for i, err := range errs {
		if err != nil {
			tb.Fatalf("upload %d: %v", i, err)
		}
	}
	return d
}

// rssMB reads a memory field of /proc/PID/status of p in MB (10^6 bytes).
func rssMB(tb testing.TB, p *proc, field string) float64 {
	tb.Helper()
	kb, err := statusKB(p.cmd.Process.Pid, field)
	must(tb, err)
	return float64(kb) * 1024 / 1e6
}

// serveCmd is `callimport serve` on dataDir with the embedded defaults:
// CALLIMPORT_* variables are removed from its environment; flags of
// CALLIMPORT_BENCH_SERVE_ARGS are added.
func serveCmd(ctx context.Context, exe, dataDir string) *exec.Cmd {
	args := append([]string{"serve", "--data-dir", dataDir, "--http-addr", "127.0.0.1:0", "--sftp-addr", "127.0.0.1:0"}, serveArgs()...)
	cmd := exec.CommandContext(context.WithoutCancel(ctx), exe, args...)
	cmd.Env = []string{"CALLIMPORT_ADMIN_PASSWORD=correct-horse-battery"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CALLIMPORT_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}
