package audio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/testenv"
)

// psParser is the signature every container parser shares.
type psParser func(ctx context.Context, r io.Reader, size int64) (call.AudioInfo, error)

// psProbe runs a parser over b, announcing its true size.
func psProbe(t testing.TB, fn psParser, b []byte) (call.AudioInfo, error) {
	t.Helper()
	return fn(t.Context(), bytes.NewReader(b), int64(len(b)))
}

// psMustProbe probes b and fails the test on any error.
func psMustProbe(t testing.TB, fn psParser, b []byte) call.AudioInfo {
	t.Helper()
	info, err := psProbe(t, fn, b)
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	return info
}

// psWantReject probes b and fails unless it is rejected; it returns the reason.
func psWantReject(t testing.TB, fn psParser, b []byte) string {
	t.Helper()
	info, err := psProbe(t, fn, b)
	if err == nil {
		t.Fatalf("probe = %+v, want a rejection", info)
	}
	rej, ok := IsRejection(err)
	if !ok {
		t.Fatalf("probe error %v is not a rejection", err)
	}
	return rej.Reason
}

// psFixtures returns the files under testdata/<dir> (and
// testdata/parsers/<dir>) with one of the extensions.
func psFixtures(t testing.TB, dir string, exts ...string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, d := range []string{filepath.Join("testdata", dir), filepath.Join("testdata", "parsers", dir)} {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range entries {
			for _, ext := range exts {
				if filepath.Ext(e.Name()) == ext {
					b, err := os.ReadFile(filepath.Join(d, e.Name()))
					if err != nil {
						t.Fatal(err)
					}
					out[filepath.Join(d, e.Name())] = b
				}
			}
		}
	}
	return out
}

// psFuzzMaxSeed bounds the seeds taken from fixtures: the fuzzer
// minimizes every new input byte by byte, which on a 50 KB input takes
// the whole fuzzing time.
const psFuzzMaxSeed = 4 << 10

// psFuzzSeeds adds the fixtures of dirs with one of the extensions as
// seeds: whole when small, else their first psFuzzMaxSeed/2 bytes.
func psFuzzSeeds(f *testing.F, dirs []string, exts ...string) {
	f.Helper()
	for _, d := range dirs {
		for _, b := range psFixtures(f, d, exts...) {
			if len(b) > psFuzzMaxSeed {
				b = b[:psFuzzMaxSeed/2]
			}
			psFuzzAdd(f, b)
		}
	}
}

// psFuzzAdd adds a seed twice: with its size announced, and with the size
// unknown (-1), so that the parsers also walk truncated input to its end.
func psFuzzAdd(f *testing.F, b []byte) {
	f.Helper()
	f.Add(b, false)
	f.Add(b, true)
}

// psFuzzProbe runs fn over b as the fuzz targets do and checks the result.
func psFuzzProbe(t *testing.T, fn psParser, b []byte, sizeUnknown bool) {
	size := int64(len(b))
	if sizeUnknown {
		size = -1
	}
	info, err := fn(t.Context(), bytes.NewReader(b), size)
	psCheckFuzz(t, info, err)
}

// psFFmpeg runs ffmpeg with args, writing dir/name, and returns the path.
// It skips (or fails under CALLIMPORT_TEST_REQUIRE_ALL=1) without ffmpeg.
func psFFmpeg(t testing.TB, dir, name string, args ...string) string {
	t.Helper()
	ff := testenv.Tool(t, "ffmpeg")
	out := filepath.Join(dir, name)
	full := append([]string{"-hide_banner", "-loglevel", "error", "-nostdin", "-y"}, args...)
	full = append(full, out)
	cmd := exec.CommandContext(t.Context(), ff, full...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, b)
	}
	return out
}

// psFFprobeResult is the part of ffprobe's JSON the parsers are checked
// against.
type psFFprobeResult struct {
	codec      string
	sampleRate int
	channels   int
	duration   float64 // NaN when ffprobe gives none
}

// psParseFFprobe reads ffprobe's JSON (-show_format -show_streams): the
// first audio stream, and its duration (the format's when the stream has
// none, as for Ogg and WebM).
func psParseFFprobe(t testing.TB, out []byte) psFFprobeResult {
	t.Helper()
	var doc struct {
		Format struct {
			Duration *string `json:"duration"`
		} `json:"format"`
		Streams []struct {
			CodecType  string  `json:"codec_type"`
			CodecName  string  `json:"codec_name"`
			SampleRate *string `json:"sample_rate"`
			Channels   *int    `json:"channels"`
			Duration   *string `json:"duration"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("ffprobe json: %v", err)
	}
	res := psFFprobeResult{duration: math.NaN()}
	for _, s := range doc.Streams {
		if s.CodecType != "audio" {
			continue
		}
		res.codec = s.CodecName
		if s.Channels != nil {
			res.channels = *s.Channels
		}
		if s.SampleRate != nil {
			res.sampleRate, _ = strconv.Atoi(*s.SampleRate)
		}
		for _, d := range []*string{s.Duration, doc.Format.Duration} {
			if d == nil {
				continue
			}
			if v, err := strconv.ParseFloat(*d, 64); err == nil {
				res.duration = v
				break
			}
		}
		break
	}
	return res
}

// psDurationClose applies the oracle tolerance: 1 % or 20 ms.
func psDurationClose(got, want float64) bool {
	return math.Abs(got-want) <= max(0.02, 0.01*want)
}

// psCheckFFprobe compares info with ffprobe's view (want) of path. wantDur, if > 0,
// replaces ffprobe's duration when it has none (live WebM).
func psCheckFFprobe(t testing.TB, info call.AudioInfo, path string, want psFFprobeResult, wantDur float64) {
	t.Helper()
	if info.Codec != want.codec || info.SampleRateHz != want.sampleRate || info.Channels != want.channels {
		t.Errorf("%s: got codec %s, %d Hz, %d ch; ffprobe says %s, %d Hz, %d ch",
			filepath.Base(path), info.Codec, info.SampleRateHz, info.Channels, want.codec, want.sampleRate, want.channels)
	}
	d := want.duration
	if math.IsNaN(d) {
		d = wantDur
	}
	if d > 0 && !psDurationClose(info.DurationSeconds, d) {
		t.Errorf("%s: duration %.4f s, want %.4f s", filepath.Base(path), info.DurationSeconds, d)
	}
}

// psCutPoints returns offsets at which to truncate a file of n bytes.
func psCutPoints(n int) []int {
	pts := []int{n / 10, n / 3, n / 2, 9 * n / 10, n - 1}
	out := pts[:0]
	for _, p := range pts {
		if p > 0 && p < n {
			out = append(out, p)
		}
	}
	return out
}

// psClaimReader yields head, then zeros up to n bytes in total, without
// holding them: a file as large as a header claims.
type psClaimReader struct {
	head []byte
	n    int64
	off  int64
}

func (r *psClaimReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n-r.off)]
	n := 0
	if r.off < int64(len(r.head)) {
		n = copy(p, r.head[r.off:])
	}
	clear(p[n:])
	r.off += int64(len(p))
	return len(p), nil
}

// psAllocated returns the bytes allocated while fn runs.
func psAllocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// psCheckFuzz is the invariant every fuzz target checks: no panic
// (implicit), and any error other than a rejection is a read failure,
// which a bytes.Reader never causes.
func psCheckFuzz(t *testing.T, info call.AudioInfo, err error) {
	t.Helper()
	if err != nil {
		if _, ok := IsRejection(err); !ok {
			t.Fatalf("error is not a rejection: %v", err)
		}
		return
	}
	if math.IsNaN(info.DurationSeconds) || info.DurationSeconds < 0 || info.SampleRateHz < 0 || info.Channels < 0 {
		t.Fatalf("implausible result %+v", info)
	}
}

// psBenchFile makes a recording with ffmpeg for a benchmark and returns its
// bytes.
func psBenchFile(b *testing.B, name string, args ...string) []byte {
	b.Helper()
	path := psFFmpeg(b, b.TempDir(), name, args...)
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// psBenchProbe measures a parser's throughput over data.
func psBenchProbe(b *testing.B, fn psParser, data []byte) {
	b.Helper()
	if _, err := fn(b.Context(), bytes.NewReader(data), int64(len(data))); err != nil {
		b.Fatalf("probe: %v", err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := fn(b.Context(), bytes.NewReader(data), int64(len(data))); err != nil {
			b.Fatal(err)
		}
	}
}

// psBenchSpeech is a 10-minute lavfi input that varies like speech.
func psBenchSpeech(rate string) []string {
	return []string{"-f", "lavfi", "-i",
		"aevalsrc=sin(440*t*(1+sin(3*t)))*sin(7*t)*0.5+0.05*random(0):d=600:s=" + rate}
}

func TestPStreamSkipAndPeek(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte("0123456789"), 100_000) // 1 MB
	s := newPStream(t.Context(), bytes.NewReader(data), int64(len(data)))
	if b, err := s.peek(4); err != nil || string(b) != "0123" {
		t.Fatalf("peek = %q, %v", b, err)
	}
	if err := s.skip(999_995); err != nil {
		t.Fatal(err)
	}
	var buf [5]byte
	if err := s.full(buf[:]); err != nil || string(buf[:]) != "56789" || s.off != 1_000_000 {
		t.Fatalf("full = %q, %v at %d", buf, err, s.off)
	}
	if err := s.skip(1); !errors.Is(err, errPStreamEOF) {
		t.Fatalf("skip past the end = %v, want errPStreamEOF", err)
	}
	if eof, err := s.atEOF(); !eof || err != nil {
		t.Fatalf("atEOF = %v, %v", eof, err)
	}
}

func TestPStreamStopsOnCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s := newPStream(ctx, &psClaimReader{n: 1 << 30}, 1<<30)
	if err := s.skip(1 << 30); !errors.Is(err, context.Canceled) {
		t.Fatalf("skip with a cancelled context = %v, want context.Canceled", err)
	}
}

type psFailingReader struct{}

func (psFailingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestParsersReportReadFailures(t *testing.T) {
	t.Parallel()
	for name, fn := range map[string]psParser{
		"mp3": probeMP3, "flac": probeFLAC, "ogg": probeOgg, "webm": probeMatroska, "mp4": probeMP4,
	} {
		_, err := fn(t.Context(), io.MultiReader(bytes.NewReader([]byte("ID3")), psFailingReader{}), 1000)
		if err == nil {
			t.Errorf("%s: no error from a failing reader", name)
			continue
		}
		if _, ok := IsRejection(err); ok {
			t.Errorf("%s: read failure reported as a rejection: %v", name, err)
		}
	}
}
