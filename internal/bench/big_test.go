package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// bigSize is the size of the WAV file of BenchmarkUpload256MiB (header
// included).
const bigSize = 256 << 20

// roundOutcome is one upload of a round: its wall time, the CPU this
// process and its ended children spent meanwhile, and the hash the server
// answered.
type roundOutcome struct {
	wall, cpu time.Duration
	sha256    string
}

// variant is one way of uploading the round's file.
type variant struct {
	name string
	run  func(ctx context.Context) (roundOutcome, error)
}

// BenchmarkUpload256MiB uploads one 256 MiB WAV file per variant and round,
// the variants interleaved (their order alternates every round):
//
//   - base: the raw file to the baseline server's POST /raw (Go client);
//   - ci: the same file as multipart/form-data through callimport's
//     POST /v1/calls/audio (Go client), in-process on its embedded defaults;
//   - curl_base, curl_ci: the same with `curl -T` and `curl -F`, when curl
//     is installed.
//
// Each round changes 8 bytes of the file and the curl uploads go to a
// campaign of their own, so no upload is a duplicate. After each upload,
// untimed, callimport's call is awaited until imported, then deleted, as
// the baseline's file is removed (see deleteCalls). It reports the median
// MB/s (10^6 bytes of file per second of wall time, client side) of each
// variant, the median of the per-round ratios ci/base and curl_ci/curl_base
// (target ≥ 0.8), and cpu_ratio: the median per-round ratio of the CPU
// time spent by this process (client and both servers; for curl also the
// curl process) on a base upload to that of a ci upload, a figure the
// machine's other load disturbs less. One round is one b.Loop iteration:
// -benchtime 3x gives three rounds.
func BenchmarkUpload256MiB(b *testing.B) {
	ctx := b.Context()
	dir := b.TempDir()
	file := filepath.Join(dir, "call.wav")
	writeWAVFile(b, file, 1, bigSize)
	baseURL, baseDir := startBaseline(b)
	ci := startApp(b)
	form, err := NewForm(DocFields(ci.Campaign)...)
	must(b, err)
	cl := newClient()

	open := func() (*os.File, error) { return os.Open(file) }
	variants := []variant{
		{"base", func(ctx context.Context) (roundOutcome, error) {
			f, err := open()
			if err != nil {
				return roundOutcome{}, err
			}
			defer func() { _ = f.Close() }()
			var res BaselineResult
			return timed(func() (string, error) {
				_, err := cl.post(ctx, baseURL+"/raw", "application/octet-stream", "", struct{ io.Reader }{f}, bigSize, &res)
				return res.SHA256, err
			})
		}},
		{"ci", func(ctx context.Context) (roundOutcome, error) {
			f, err := open()
			if err != nil {
				return roundOutcome{}, err
			}
			defer func() { _ = f.Close() }()
			var c callInfo
			out, err := timed(func() (string, error) {
				_, err := cl.post(ctx, ci.URL+"/v1/calls/audio", form.ContentType, ci.Key, form.Body(f), form.Len(bigSize), &c)
				return c.SHA256, err
			})
			if err == nil {
				err = checkImported(ctx, cl, ci.target, c)
			}
			return out, err
		}},
	}
	if curl, err := exec.LookPath("curl"); err == nil {
		// A campaign of its own, as the same file goes through both clients.
		curlCampaign := ci.newCampaign(b, "Bench curl")
		variants = append(variants,
			variant{"curl_base", func(ctx context.Context) (roundOutcome, error) {
				var res BaselineResult
				return curlUpload(ctx, curl, &res, func() string { return res.SHA256 },
					"-X", "POST", "-T", file, "-H", "Content-Type: application/octet-stream", baseURL+"/raw")
			}},
			variant{"curl_ci", func(ctx context.Context) (roundOutcome, error) {
				var c callInfo
				args := []string{"-H", "x-api-key: " + ci.Key, "-F", "file=@" + file + ";type=audio/wav"}
				for _, f := range DocFields(curlCampaign) {
					args = append(args, "-F", f[0]+"="+f[1])
				}
				out, err := curlUpload(ctx, curl, &c, func() string { return c.SHA256 }, append(args, ci.URL+"/v1/calls/audio")...)
				if err == nil {
					err = checkImported(ctx, cl, ci.target, c)
				}
				return out, err
			}})
	} else {
		b.Log("curl is not installed: the curl ratio is not measured")
	}

	mbps := map[string][]float64{}
	cpu := map[string][]time.Duration{}
	var round uint64
	for b.Loop() {
		round++
		want := stampFile(b, file, round)
		order := variants
		if round%2 == 0 {
			order = reversed(variants)
		}
		var line strings.Builder
		for _, v := range order {
			out, err := v.run(ctx)
			if err != nil {
				b.Fatalf("round %d %s: %v", round, v.name, err)
			}
			if out.sha256 != want {
				b.Fatalf("round %d %s: server hash %s, file hash %s", round, v.name, out.sha256, want)
			}
			mbps[v.name] = append(mbps[v.name], bigSize/out.wall.Seconds()/1e6)
			cpu[v.name] = append(cpu[v.name], out.cpu)
			fmt.Fprintf(&line, " %s %.0f MB/s (cpu %.2fs);", v.name, bigSize/out.wall.Seconds()/1e6, out.cpu.Seconds())
			emptyDir(b, baseDir)
		}
		b.Logf("round %d:%s", round, line.String())
	}
	for _, v := range variants {
		b.ReportMetric(Median(mbps[v.name]), v.name+"_MB/s")
	}
	b.ReportMetric(Median(ratios(mbps["ci"], mbps["base"])), "ratio")
	b.ReportMetric(Median(cpuRatios(cpu["base"], cpu["ci"])), "cpu_ratio")
	if _, ok := mbps["curl_ci"]; ok {
		b.ReportMetric(Median(ratios(mbps["curl_ci"], mbps["curl_base"])), "curl_ratio")
		b.ReportMetric(Median(cpuRatios(cpu["curl_base"], cpu["curl_ci"])), "curl_cpu_ratio")
	}
}

// timed runs f and measures its wall and CPU time.
func timed(f func() (string, error)) (roundOutcome, error) {
	c0, t0 := cpuTime(), time.Now()
	sum, err := f()
	return roundOutcome{wall: time.Since(t0), cpu: cpuTime() - c0, sha256: sum}, err
}

// curlUpload runs curl with args, decodes its JSON answer into out and
// takes the wall time from curl's own time_total.
func curlUpload(ctx context.Context, curl string, out any, sum func() string, args ...string) (roundOutcome, error) {
	var body bytes.Buffer
	cmd := exec.CommandContext(ctx, curl, append([]string{"-sS", "-o", "-", "-w", "\n%{http_code} %{time_total}"}, args...)...)
	cmd.Stdout = &body
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	c0 := cpuTime()
	if err := cmd.Run(); err != nil {
		return roundOutcome{}, fmt.Errorf("curl: %w: %s", err, stderr.Bytes())
	}
	cpu := cpuTime() - c0
	all := bytes.TrimSpace(body.Bytes())
	i := bytes.LastIndexByte(all, '\n')
	resp, trailer := all[:max(i, 0)], all[i+1:]
	fields := strings.Fields(string(trailer))
	if len(fields) != 2 || fields[0][0] != '2' {
		return roundOutcome{}, fmt.Errorf("curl: answer %q %q", trailer, resp)
	}
	secs, err := strconv.ParseFloat(fields[1], 64)
	if err != nil {
		return roundOutcome{}, fmt.Errorf("curl time_total %q: %w", fields[1], err)
	}
	if err := json.Unmarshal(resp, out); err != nil {
		return roundOutcome{}, fmt.Errorf("curl answer %q: %w", resp, err)
	}
	return roundOutcome{wall: time.Duration(secs * float64(time.Second)), cpu: cpu, sha256: sum()}, nil
}

// checkImported waits (untimed) until callimport imported c, then deletes
// it (see deleteCalls).
func checkImported(ctx context.Context, cl *client, tg target, c callInfo) error {
	if c.Duplicate || c.Status != "received" {
		return fmt.Errorf("call %s answered as %s (duplicate %v)", c.ID, c.Status, c.Duplicate)
	}
	got, err := cl.waitCall(ctx, tg, c.ID, 5*time.Minute)
	if err != nil {
		return err
	}
	if got.Status != "imported" {
		return fmt.Errorf("call %s is %s: %v", c.ID, got.Status, got.RejectionReason)
	}
	return cl.deleteCalls(ctx, tg, c.ID)
}

// writeWAVFile writes NewWAV(seed, size) to path and syncs it.
func writeWAVFile(tb testing.TB, path string, seed uint64, size int64) {
	tb.Helper()
	f, err := os.Create(path)
	must(tb, err)
	if _, err := io.CopyBuffer(f, NewWAV(seed, size), make([]byte, 1<<20)); err != nil {
		tb.Fatal(err)
	}
	must(tb, f.Sync())
	must(tb, f.Close())
}

// stampFile writes round into the first 8 audio bytes of the file and
// returns the file's SHA-256 (untimed; the file stays in the page cache).
func stampFile(tb testing.TB, path string, round uint64) string {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	must(tb, err)
	defer func() { _ = f.Close() }()
	if _, err := f.WriteAt(binary.LittleEndian.AppendUint64(nil, round), WAVHeaderSize); err != nil {
		tb.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.CopyBuffer(h, struct{ io.Reader }{f}, make([]byte, 1<<20)); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func reversed[T any](s []T) []T {
	r := make([]T, len(s))
	for i, v := range s {
		r[len(s)-1-i] = v
	}
	return r
}

// ratios returns num[i]/den[i].
func ratios(num, den []float64) []float64 {
	r := make([]float64, min(len(num), len(den)))
	for i := range r {
		r[i] = num[i] / den[i]
	}
	return r
}

// cpuRatios returns num[i]/den[i].
func cpuRatios(num, den []time.Duration) []float64 {
	r := make([]float64, min(len(num), len(den)))
	for i := range r {
		r[i] = num[i].Seconds() / den[i].Seconds()
	}
	return r
}
