package sftpd_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReceipts uploads a recording and a non-audio file, then reads the
// day's _results CSV and the refused file's _rejected/<name>.error.txt.
func TestReceipts(t *testing.T) {
	t.Parallel()
	h := setup(t, false)
	camp := h.env.A.CampaignID
	local := t.TempDir()
	batch := "cd /" + camp + "\nput wav/gsm_ms_8k_mono.wav\n-put nonaudio/page.html call2.wav\nls -1\nls -1 _results\n" +
		"get _results/*.csv " + local + "/\nget _rejected/call2.wav.error.txt " + local + "/\n" +
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
	want := [][]string{
		{"time", "file", "call_id", "status", "reason"},
		{"", "gsm_ms_8k_mono.wav", c.ID, "received", ""},
		{"", "call2.wav", "", "rejected", string(reason[:len(reason)-1])},
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
