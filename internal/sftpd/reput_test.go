package sftpd_test

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/testenv"
)

// TestReputAfterKilledClient starts OpenSSH's sftp putting a 6 MiB
// recording at a throttled rate, SIGKILLs it mid-transfer, then resumes
// with reput: the campaign ends with exactly one call, with the file's
// SHA-256, and the remote file showed the bytes received in between.
func TestReputAfterKilledClient(t *testing.T) {
	t.Parallel()
	h := setup(t, false)
	camp := h.env.A.CampaignID
	local, sum := bigWAV(t, 6<<20)

	bf := filepath.Join(t.TempDir(), "batch")
	if err := os.WriteFile(bf, []byte("put "+local+" /"+camp+"/killed.wav\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, testenv.Tool(t, "sftp"), "-F", "/dev/null", "-b", bf, "-l", "8000", // Kbit/s: ~6 s
		"-P", strconv.Itoa(h.port), "-i", h.keyFile, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
		h.user+"@127.0.0.1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill the client once the server has streamed a good part into the
	// blob store, but not all of it.
	for !blobTempAtLeast(t, h.env.DataDir, 1<<20) {
		if ctx.Err() != nil {
			t.Fatal("the upload never started")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	// The server notices the dead connection and keeps what arrived.
	var out string
	for {
		var err error
		out, err = h.sftpBatch(t, h.user, "ls -l /"+camp+"/killed.wav\n")
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the interrupted upload is not visible: %v\n%s", err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	i := strings.Index(out, "-rw")
	if i < 0 {
		t.Fatalf("no file in the listing:\n%s", out)
	}
	fields := strings.Fields(out[i:])
	size, err := strconv.ParseInt(fields[4], 10, 64)
	if err != nil || size <= 0 || size >= 44+6<<20 {
		t.Fatalf("interrupted upload listed as %q", out)
	}
	if n := countCalls(t, h, camp); n != 0 {
		t.Fatalf("%d calls after the killed upload, want 0", n)
	}

	out, err = h.sftpBatch(t, h.user, "reput "+local+" /"+camp+"/killed.wav\n")
	if err != nil {
		t.Fatalf("reput: %v\n%s", err, out)
	}
	c, err := h.env.Store.CallGetBySHA256(t.Context(), camp, sum)
	if err != nil || c.SizeBytes != 44+6<<20 {
		t.Fatalf("resumed call: %+v, %v", c, err)
	}
	if n := countCalls(t, h, camp); n != 1 {
		t.Fatalf("%d calls after reput, want 1", n)
	}
	t.Logf("killed after %d bytes; resumed as call %s", size, c.ID)
	if out, err := h.sftpBatch(t, h.user, "ls -l /"+camp+"/killed.wav\n"); err == nil {
		t.Errorf("the imported file is still listed:\n%s", out)
	}
}

// blobTempAtLeast reports whether a blob being written under dir holds at
// least n bytes.
func blobTempAtLeast(t *testing.T, dir string, n int64) bool {
	t.Helper()
	found := false
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.Contains(p, string(filepath.Separator)+".tmp"+string(filepath.Separator)) {
			return nil //nolint:nilerr // files vanish while we look
		}
		if fi, err := d.Info(); err == nil && fi.Size() >= n {
			found = true
		}
		return nil
	})
	return found
}

// countCalls counts the calls of a campaign of organisation A.
func countCalls(t *testing.T, h *harness, camp string) int {
	t.Helper()
	cs, _, err := h.env.Store.CallList(t.Context(), store.CallListParams{OrgID: h.env.A.OrgID, CampaignID: camp, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return len(cs)
}
