package webui

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReasonKinds checks that every rejection reason the audio check can
// give (the literals of internal/audio) gets a summary of its own kind in
// French, and that English pages show reasons as they are.
func TestReasonKinds(t *testing.T) {
	t.Parallel()
	for reason, want := range map[string]string{
		"truncated: the FLAC header declares 12.0 s of audio but the frames stop at 3.1 s": "rs_truncated",
		"too short for this campaign: 2s, the minimum duration is 5s":                      "rs_too_short",
		"MP4 audio with codec USAC (xHE-AAC) is not supported":                             "rs_unsupported",
		"malformed WAV: no data chunk holding the audio":                                   "rs_damaged",
		"not a WAV file: it does not start with RIFF":                                      "rs_wrong_format",
		"the WebM/Matroska file has no audio track (tracks: video)":                        "rs_no_audio",
		"not an audio file: a PDF document":                                                "rs_not_audio",
		"something new":                                                                    "rs_other",
	} {
		if got := reasonKind(reason); got != want {
			t.Errorf("reasonKind(%q) = %s, want %s", reason, got, want)
		}
	}
	files, err := filepath.Glob(filepath.Join("..", "audio", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("audio sources: %v %v", files, err)
	}
	lit := regexp.MustCompile(`Reject\("((?:[^"\\]|\\.)*)"`)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
			n++
			if reasonKind(m[1]) == "rs_other" {
				t.Errorf("%s: reason %q has no summary kind", filepath.Base(f), m[1])
			}
		}
	}
	if n < 50 {
		t.Errorf("found only %d reasons in internal/audio", n)
	}
	en, fr := translator{lang: "en", idx: 0, msgs: baseMessages()}, translator{lang: "fr", idx: 1, msgs: baseMessages()}
	r := "truncated: the file ends inside an Ogg page header"
	if got := en.Reason(r); got != r {
		t.Errorf("English: %q", got)
	}
	if got := fr.Reason(r); got != "Fichier incomplet (coupé avant la fin) : "+r {
		t.Errorf("French: %q", got)
	}
	if fr.Reason("") != "" {
		t.Error("an empty reason must stay empty")
	}
}
