package sftpd_test

import (
	"bytes"
	"crypto/rand"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callimport/callimport/internal/sftpd"
)

// TestReceipts uploads a recording and a non-audio file, then reads the
// day's _results CSV and the refused file's _rejected/<name>.error.txt.
func TestReceipts(t *testing.T) {
	t.Parallel()
	h := setup(t, false)
	camp := h.env.A.CampaignID
	local := t.TempDir()
	noise := make([]byte, 2*sftpd.PipeBuffer+12345) // a non-audio file larger than the upload pipe, refused from its first bytes
	_, _ = rand.Read(noise)
	noiseFile := filepath.Join(t.TempDir(), "noise.bin")
	if err := os.WriteFile(noiseFile, noise, 0o600); err != nil {
		t.Fatal(err)
	}
	batch := "cd /" + camp + "\nput wav/gsm_ms_8k_mono.wav\n-put nonaudio/page.html call2.wav\n-put " + noiseFile + " noise.wav\n" +
		"get _rejected/noise.wav " + local + "/\nls -1\nls -1 _results\n" +
		"get _results/*.csv " + local + "/\nls -1 _rejected\nget _rejected/call2.wav.error.txt " + local + "/\n" +
		"get _rejected/call2.wav " + local + "/\n" +
		"-put wav/gsm_ms_8k_mono.wav _results/x.wav\n"
	out, err := h.sftpBatch(t, h.user, batch)
	if err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	c, err := h.callOf(t, camp, "wav/gsm_ms_8k_mono.wav")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "_rejected") || !strings.Contains(out, "_results") {
		t.Errorf("campaign listing lacks the receipt folders:\n%s", out)
	}
	if kept, err := os.ReadFile(filepath.Join(local, "noise.wav")); err != nil || !bytes.Equal(kept, noise) {
		t.Errorf("_rejected/noise.wav is not the refused file (%d bytes): %v", len(kept), err)
	}
	kept, err := os.ReadFile(filepath.Join(local, "call2.wav"))
	if want, _ := os.ReadFile(filepath.Join(fixtures, "nonaudio/page.html")); err != nil || string(kept) != string(want) {
		t.Errorf("_rejected/call2.wav is not the refused file: %v\n%s", err, out)
	}
	if !strings.Contains(out, "_rejected/call2.wav\n") && !strings.Contains(out, "call2.wav\n") {
		t.Errorf("_rejected does not list the refused file:\n%s", out)
	}
	t.Logf("sftp session:\n%s", out)
	reason, err := os.ReadFile(filepath.Join(local, "call2.wav.error.txt"))
	if err != nil || !strings.Contains(strings.ToLower(string(reason)), "audio") {
		t.Errorf("error.txt = %q, %v", reason, err)
	}
	csvs, _ := filepath.Glob(filepath.Join(local, "*.csv"))
	if len(csvs) != 1 {
		t.Fatalf("results files %v\n%s", csvs, out)
	}
	f, err := os.Open(csvs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("receipts %s: %q", filepath.Base(csvs[0]), rows)
	want := [][]string{
		{"time", "file", "call_id", "status", "reason"},
		{"", "gsm_ms_8k_mono.wav", c.ID, "received", ""},
		{"", "call2.wav", "", "rejected", string(reason[:len(reason)-1])},
		{"", "noise.wav", "", "rejected", string(reason[:len(reason)-1])},
	}
	if len(rows) != len(want) {
		t.Fatalf("results rows = %q", rows)
	}
	for i, row := range rows {
		for j, cell := range row {
			if want[i][j] != "" && cell != want[i][j] {
				t.Errorf("results row %d col %d = %q, want %q", i, j, cell, want[i][j])
			}
		}
	}
	if !strings.Contains(out, "Permission denied") {
		t.Errorf("writing into _results was not refused:\n%s", out)
	}
}
