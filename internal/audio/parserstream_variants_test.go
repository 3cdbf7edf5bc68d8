package audio

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// psParserFor picks the container parser by file extension.
func psParserFor(name string) psParser {
	switch filepath.Ext(name) {
	case ".mp3", ".mp2":
		return probeMP3
	case ".flac":
		return probeFLAC
	case ".ogg", ".opus", ".oga":
		return probeOgg
	case ".webm", ".mka", ".mkv":
		return probeMatroska
	case ".m4a", ".mp4":
		return probeMP4
	}
	return nil
}

// psLiveDurations are the lengths of fixtures ffprobe gives no duration for.
var psLiveDurations = map[string]float64{"live_opus.webm": 1.0}

// TestParsersMatchFFprobe checks each parser on the shapes of
// testdata/parsers/ok (made by make-parser-fixtures.sh) against what
// ffprobe said of them when they were made: codec, sample rate and
// channels exactly, duration within 1 % or 20 ms.
func TestParsersMatchFFprobe(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "parsers", "ok", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in testdata/parsers/ok: %v", err)
	}
	for _, js := range files {
		path := strings.TrimSuffix(js, ".json")
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			want, err := os.ReadFile(js)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			info := psMustProbe(t, psParserFor(path), b)
			psCheckFFprobe(t, info, path, psParseFFprobe(t, want), psLiveDurations[filepath.Base(path)])
			// A WebM with video is not read past its Tracks: no bit rate.
			if info.BitRate <= 0 && !strings.HasPrefix(filepath.Base(path), "vp8_") {
				t.Errorf("bit rate %d", info.BitRate)
			}
		})
	}
}

// TestParsersNameUnsupportedCodecs checks that the files of
// testdata/parsers/reject are refused with the codec (or problem) named.
func TestParsersNameUnsupportedCodecs(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"layer2.mp2":      "layer II (mp2)",
		"flac.oga":        "Ogg stream with codec FLAC",
		"speex.ogg":       "Ogg stream with codec Speex",
		"flac.mka":        "codec A_FLAC",
		"video_only.webm": "no audio track (tracks: V_VP8)",
		"alac.m4a":        "codec ALAC",
		"mp3_in.mp4":      "codec MP3",
		"video_only.mp4":  "no audio track",
	}
	for name, reason := range want {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(filepath.Join("testdata", "parsers", "reject", name))
			if err != nil {
				t.Fatal(err)
			}
			if got := psWantReject(t, psParserFor(name), b); !strings.Contains(got, reason) {
				t.Errorf("reason %q does not contain %q", got, reason)
			}
		})
	}
}

// mkvUnknownClusters rewrites a WebM whose Segment has an unknown size so
// that every Cluster has an unknown size too, as browsers' MediaRecorder
// writes them.
func mkvUnknownClusters(t testing.TB, b []byte) []byte {
	t.Helper()
	seg := bytes.Index(b, []byte{0x18, 0x53, 0x80, 0x67})
	if seg < 0 || !bytes.Equal(b[seg+4:seg+12], []byte{1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}) {
		t.Fatal("want a Segment of unknown size")
	}
	out := append([]byte(nil), b[:seg+12]...)
	for p := seg + 12; p < len(b); {
		id, n := ebmlParseID(b[p:])
		size, m := ebmlParseVint(b[p+n:])
		if n == 0 || m == 0 || size < 0 {
			t.Fatalf("bad element at %d", p)
		}
		end := p + n + m + int(size)
		if id == mkvIDCluster {
			out = append(out, b[p:p+n]...)
			out = append(out, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)
			out = append(out, b[p+n+m:end]...)
		} else {
			out = append(out, b[p:end]...)
		}
		p = end
	}
	return out
}

func TestMatroskaUnknownSizeClusters(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("testdata", "parsers", "ok", "live_opus.webm"))
	if err != nil {
		t.Fatal(err)
	}
	known := psMustProbe(t, probeMatroska, b)
	live := mkvUnknownClusters(t, b)
	got := psMustProbe(t, probeMatroska, live)
	if got.DurationSeconds != known.DurationSeconds || got.Codec != "opus" {
		t.Errorf("unknown-size clusters: %+v, want the duration of %+v", got, known)
	}
	// Cut in the middle of the last block: the block declares more than
	// the file holds.
	if r := psWantReject(t, probeMatroska, live[:len(live)-10]); !strings.Contains(r, "truncated") {
		t.Errorf("reason %q", r)
	}
}
