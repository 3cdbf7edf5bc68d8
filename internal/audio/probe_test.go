package audio

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/call"
)

// fixture is a committed file under testdata and the format Sniff must name.
type fixture struct {
	path   string // relative to testdata
	format Format // "" for the non-audio files
}

// fixtures lists testdata/<dir>/*, the format taken from the directory, so
// that a new fixture is tested without editing a table.
func fixtures(t testing.TB) []fixture {
	t.Helper()
	dirs := map[string]Format{
		"wav": FormatWAV, "mp3": FormatMP3, "flac": FormatFLAC, "ogg": FormatOgg,
		"webm": FormatWebM, "mp4": FormatMP4, "nonaudio": "",
	}
	var out []fixture
	for dir, f := range dirs {
		paths, err := filepath.Glob(filepath.Join("testdata", dir, "*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			rel, _ := filepath.Rel("testdata", p)
			out = append(out, fixture{path: rel, format: f})
		}
	}
	if len(out) < 30 {
		t.Fatalf("found %d fixtures under testdata; run testdata/make-fixtures.sh", len(out))
	}
	return out
}

// readFixture returns the bytes of testdata/path.
func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// probeBytes runs a default Prober over b, with its true size.
func probeBytes(t testing.TB, b []byte) (call.AudioInfo, error) {
	t.Helper()
	return New(Config{}).Probe(t.Context(), bytes.NewReader(b), int64(len(b)))
}

// notYet is the message of a container parser that is still a placeholder.
const notYet = "cannot be described yet"

// notImplemented lists the containers whose parser may still be a
// placeholder: their fixtures are logged instead of failing. Every parser
// has landed, so it is empty; any placeholder answer now fails the tests.
func notImplemented() map[Format]bool {
	return map[Format]bool{}
}

func TestProbeFixtures(t *testing.T) {
	t.Parallel()
	for _, fx := range fixtures(t) {
		t.Run(fx.path, func(t *testing.T) {
			t.Parallel()
			info, err := probeBytes(t, readFixture(t, fx.path))
			switch {
			case fx.format == "":
				rej, ok := IsRejection(err)
				if !ok {
					t.Fatalf("Probe(%s) = %+v, %v; want a rejection", fx.path, info, err)
				}
				if !strings.HasPrefix(rej.Reason, "not an audio file") && !strings.HasPrefix(rej.Reason, "empty file") {
					t.Errorf("reason = %q, want it to say the file is not audio", rej.Reason)
				}
			case err != nil:
				if rej, ok := IsRejection(err); ok && notImplemented()[fx.format] && strings.Contains(rej.Reason, notYet) {
					t.Logf("%s parser not implemented yet: %v", fx.format, err)
					return
				}
				t.Fatalf("Probe(%s): %v", fx.path, err)
			default:
				if info.Format != string(fx.format) {
					t.Errorf("Format = %q, want %q", info.Format, fx.format)
				}
			}
		})
	}
}

// TestProbeTruncatedEveryFormat cuts every audio fixture at several lengths:
// Probe must answer with a description that passes the common checks or a
// rejection, never a read error (the reader does not fail) nor a panic.
func TestProbeTruncatedEveryFormat(t *testing.T) {
	t.Parallel()
	for _, fx := range fixtures(t) {
		if fx.format == "" {
			continue
		}
		t.Run(fx.path, func(t *testing.T) {
			t.Parallel()
			b := readFixture(t, fx.path)
			for _, cut := range []int{0, 3, 8, 20, 40, 100, 300, 1000, len(b) / 3, len(b) / 2, len(b) - 100, len(b) - 1} {
				cut = max(0, min(cut, len(b)))
				for _, size := range []int64{int64(cut), -1} {
					info, err := New(Config{}).Probe(t.Context(), bytes.NewReader(b[:cut]), size)
					if err == nil {
						if cerr := checkInfo(info); cerr != nil {
							t.Errorf("cut at %d (size %d): accepted %+v that fails the checks: %v", cut, size, info, cerr)
						}
						continue
					}
					if _, ok := IsRejection(err); !ok {
						t.Errorf("cut at %d (size %d): error %v is not a rejection", cut, size, err)
					}
				}
			}
		})
	}
}

func TestProbeNonAudioReasons(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path, want string
	}{
		{"nonaudio/tiny.pdf", "not an audio file: it looks like a PDF document"},
		{"nonaudio/image.png", "not an audio file: it looks like a PNG image"},
		{"nonaudio/text.wav", "not an audio file: it looks like text"},
		{"nonaudio/page.html", "not an audio file: it looks like an HTML page"},
		{"nonaudio/archive.zip", "not an audio file: it looks like a ZIP archive"},
		{"nonaudio/video.avi", `not an audio file: it is a RIFF file of type "AVI ", not WAVE`},
		{"nonaudio/empty.wav", "empty file"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			_, err := probeBytes(t, readFixture(t, tt.path))
			rej, ok := IsRejection(err)
			if !ok || !strings.HasPrefix(rej.Reason, tt.want) {
				t.Errorf("Probe(%s) error = %v, want a rejection starting %q", tt.path, err, tt.want)
			}
		})
	}
}

// readCounter counts bytes and calls, and fails a read after the end.
type readCounter struct {
	r             io.Reader
	n             int64
	atEOF         bool
	readsAfterEOF int
}

func (c *readCounter) Read(p []byte) (int, error) {
	if c.atEOF {
		c.readsAfterEOF++
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if errors.Is(err, io.EOF) {
		c.atEOF = true
	}
	return n, err
}

func TestProbeReadsOnceFrontToBack(t *testing.T) {
	t.Parallel()
	b := readFixture(t, "wav/pcm_s16le_8k_mono.wav")
	rc := &readCounter{r: bytes.NewReader(b)}
	if _, err := New(Config{}).Probe(t.Context(), rc, int64(len(b))); err != nil {
		t.Fatal(err)
	}
	if rc.n > int64(len(b)) || rc.n < int64(len(b))-1 {
		t.Errorf("read %d bytes of a %d-byte file", rc.n, len(b))
	}
	if rc.readsAfterEOF > 1 {
		t.Errorf("%d reads after the end of the stream", rc.readsAfterEOF)
	}
}

// errAfter returns the bytes of b, then fails with err.
type errAfter struct {
	b   *bytes.Reader
	err error
}

func (e *errAfter) Read(p []byte) (int, error) {
	if e.b.Len() == 0 {
		return 0, e.err
	}
	return e.b.Read(p)
}

func TestProbeReadFailureIsNotARejection(t *testing.T) {
	t.Parallel()
	b := readFixture(t, "wav/pcm_s16le_8k_mono.wav")
	boom := errors.New("disk on fire")
	for _, cut := range []int{0, 10, 100, 10000} {
		_, err := New(Config{}).Probe(t.Context(), &errAfter{b: bytes.NewReader(b[:cut]), err: boom}, int64(len(b)))
		if !errors.Is(err, boom) {
			t.Errorf("cut %d: error = %v, want it to wrap %v", cut, err, boom)
		}
		if _, ok := IsRejection(err); ok {
			t.Errorf("cut %d: a read failure came back as a rejection: %v", cut, err)
		}
	}
}

func TestProbeStopsWhenContextDone(t *testing.T) {
	t.Parallel()
	b := readFixture(t, "wav/pcm_s16le_8k_mono.wav")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := New(Config{}).Probe(ctx, bytes.NewReader(b), int64(len(b)))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

func TestCheckInfo(t *testing.T) {
	t.Parallel()
	ok := call.AudioInfo{Format: "wav", Codec: "pcm_s16le", DurationSeconds: 3, SampleRateHz: 8000, Channels: 1}
	tests := []struct {
		name   string
		modify func(*call.AudioInfo)
		want   string // "" = accepted
	}{
		{"fine", func(*call.AudioInfo) {}, ""},
		{"zero duration", func(i *call.AudioInfo) { i.DurationSeconds = 0 }, "zero duration"},
		{"negative duration", func(i *call.AudioInfo) { i.DurationSeconds = -1 }, "zero duration"},
		{"NaN duration", func(i *call.AudioInfo) { i.DurationSeconds = math.NaN() }, "zero duration"},
		{"infinite duration", func(i *call.AudioInfo) { i.DurationSeconds = math.Inf(1) }, "absurd duration"},
		{"sample rate 0", func(i *call.AudioInfo) { i.SampleRateHz = 0 }, "invalid sample rate: 0 Hz"},
		{"sample rate 1 MHz", func(i *call.AudioInfo) { i.SampleRateHz = 1000000 }, "absurd sample rate: 1000000 Hz"},
		{"0 channels", func(i *call.AudioInfo) { i.Channels = 0 }, "invalid channel count: 0"},
		{"255 channels", func(i *call.AudioInfo) { i.Channels = 255 }, "absurd channel count: 255 channels"},
		{"32 channels", func(i *call.AudioInfo) { i.Channels = 32 }, ""},
		{"no codec", func(i *call.AudioInfo) { i.Codec = "" }, "unknown codec"},
		{"negative bit rate", func(i *call.AudioInfo) { i.BitRate = -5 }, "invalid bit rate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			info := ok
			tt.modify(&info)
			err := checkInfo(info)
			assertReason(t, err, tt.want)
		})
	}
}

func TestRulesCheck(t *testing.T) {
	t.Parallel()
	info := call.AudioInfo{DurationSeconds: 42.5, Channels: 1}
	tests := []struct {
		name  string
		rules Rules
		want  string
	}{
		{"no rules", Rules{}, ""},
		{"long enough", Rules{MinDuration: 10 * time.Second}, ""},
		{"too short", Rules{MinDuration: time.Minute}, "too short for this campaign: 42.5s, the minimum duration is 1m0s"},
		{"too long", Rules{MaxDuration: 30 * time.Second}, "too long for this campaign: 42.5s, the maximum duration is 30s"},
		{"needs stereo", Rules{Channels: 2}, "wrong channel count for this campaign: 1, the campaign requires 2"},
		{"mono ok", Rules{Channels: 1, MinDuration: time.Second, MaxDuration: time.Hour}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assertReason(t, tt.rules.Check(info), tt.want)
		})
	}
}

// assertReason checks that err is nil when want is "", and otherwise a
// *Rejection whose reason contains want.
func assertReason(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Errorf("error = %v, want none", err)
		}
		return
	}
	rej, ok := IsRejection(err)
	if !ok {
		t.Errorf("error = %v, want a rejection containing %q", err, want)
		return
	}
	if !strings.Contains(rej.Reason, want) {
		t.Errorf("reason = %q, want it to contain %q", rej.Reason, want)
	}
}
