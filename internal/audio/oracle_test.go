package audio

import (
	"bytes"
	"encoding/json"
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/callimport/callimport/internal/testenv"
)

// ffprobeResult is the part of `ffprobe -print_format json -show_format
// -show_streams` the oracle compares.
type ffprobeResult struct {
	Streams []struct {
		CodecType  string `json:"codec_type"`
		CodecName  string `json:"codec_name"`
		SampleRate string `json:"sample_rate"`
		Channels   int    `json:"channels"`
	} `json:"streams"`
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
	} `json:"format"`
}

// ffprobeFormats maps ffprobe's format_name to the container callimport names.
func ffprobeFormat(name string) Format {
	switch name {
	case "wav":
		return FormatWAV
	case "mp3":
		return FormatMP3
	case "flac":
		return FormatFLAC
	case "ogg":
		return FormatOgg
	case "matroska,webm":
		return FormatWebM
	case "mov,mp4,m4a,3gp,3g2,mj2":
		return FormatMP4
	}
	return Format("ffprobe:" + name)
}

// TestOracleFFprobe compares Probe with ffprobe on every audio fixture:
// container, codec, sample rate and channels exactly, duration within 1 % or
// 20 ms, whichever is larger. Containers whose parser is still a placeholder
// (listed in notImplemented) are logged instead of failing; any container
// that answers is compared.
func TestOracleFFprobe(t *testing.T) {
	t.Parallel()
	ffprobe := testenv.Tool(t, "ffprobe")
	notImplemented := notImplemented()
	for _, fx := range fixtures(t) {
		if fx.format == "" {
			continue
		}
		t.Run(fx.path, func(t *testing.T) {
			t.Parallel()
			b := readFixture(t, fx.path)
			if got := Sniff(b[:min(len(b), SniffSize)]); got != fx.format {
				t.Errorf("Sniff = %q, want %q", got, fx.format)
			}
			out, err := exec.CommandContext(t.Context(), ffprobe, "-v", "error", "-print_format", "json",
				"-show_format", "-show_streams", filepath.Join("testdata", fx.path)).Output()
			if err != nil {
				t.Fatalf("ffprobe %s: %v", fx.path, err)
			}
			var want ffprobeResult
			if err := json.Unmarshal(out, &want); err != nil {
				t.Fatalf("decode ffprobe output: %v", err)
			}
			if len(want.Streams) != 1 || want.Streams[0].CodecType != "audio" {
				t.Fatalf("fixture %s: ffprobe sees %d streams, want one audio stream", fx.path, len(want.Streams))
			}
			st := want.Streams[0]
			if f := ffprobeFormat(want.Format.FormatName); f != fx.format {
				t.Fatalf("fixture %s is in the wrong folder: ffprobe says %q", fx.path, want.Format.FormatName)
			}
			rate, _ := strconv.Atoi(st.SampleRate)
			dur, err := strconv.ParseFloat(want.Format.Duration, 64)
			if err != nil {
				t.Fatalf("ffprobe duration %q: %v", want.Format.Duration, err)
			}

			got, err := New(Config{}).Probe(t.Context(), bytes.NewReader(b), int64(len(b)))
			if err != nil {
				if rej, ok := IsRejection(err); ok && notImplemented[fx.format] && strings.Contains(rej.Reason, notYet) {
					t.Logf("%s: parser not implemented yet (%v); ffprobe says %s %s %d Hz %d ch %.3f s",
						fx.path, err, want.Format.FormatName, st.CodecName, rate, st.Channels, dur)
					return
				}
				t.Fatalf("Probe: %v (ffprobe: %s %s %d Hz %d ch %.3f s)", err, want.Format.FormatName, st.CodecName, rate, st.Channels, dur)
			}
			if got.Format != string(fx.format) {
				t.Errorf("container = %q, ffprobe says %q", got.Format, want.Format.FormatName)
			}
			if got.Codec != st.CodecName {
				t.Errorf("codec = %q, ffprobe says %q", got.Codec, st.CodecName)
			}
			if got.SampleRateHz != rate {
				t.Errorf("sample rate = %d Hz, ffprobe says %d Hz", got.SampleRateHz, rate)
			}
			if got.Channels != st.Channels {
				t.Errorf("channels = %d, ffprobe says %d", got.Channels, st.Channels)
			}
			if tol := math.Max(0.01*dur, 0.020); math.Abs(got.DurationSeconds-dur) > tol {
				t.Errorf("duration = %.6f s, ffprobe says %.6f s (tolerance %.3f s)", got.DurationSeconds, dur, tol)
			}
		})
	}
}
