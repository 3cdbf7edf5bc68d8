package sftpd_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/callimport/callimport/internal/admission"
)

// TestBusyServerRefusesUploads: when the ingest limits are reached, opening
// an upload and renaming a staged one fail at once with "server busy,
// retry later" (nothing waits, nothing is imported); the staged file stays
// so that the rename can be retried, and both succeed once there is room.
func TestBusyServerRefusesUploads(t *testing.T) {
	t.Parallel()
	h := setup(t, false)
	camp := h.env.A.CampaignID
	wav, err := os.ReadFile(filepath.Join(fixtures, "wav", "pcm_s16le_8k_mono.wav"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(wav)

	key, err := ssh.ParsePrivateKey(mustRead(t, h.keyFile))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := ssh.Dial("tcp", "127.0.0.1:"+strconv.Itoa(h.port), &ssh.ClientConfig{User: h.user,
		Auth: []ssh.AuthMethod{ssh.PublicKeys(key)}, HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	sc, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sc.Close() }()
	put := func(name string) error {
		f, err := sc.Create("/" + camp + "/" + name)
		if err != nil {
			return err
		}
		if _, err := f.Write(wav); err != nil {
			_ = f.Close()
			return err
		}
		return f.Close()
	}
	if err := put("staged.wav.part"); err != nil { // a temporary name: staged, not ingested
		t.Fatal(err)
	}

	// Take every slot of organisation A.
	var releases []func()
	for {
		release, err := h.env.Server.Ingest.Admit(h.env.A.OrgID)
		if err != nil {
			break
		}
		releases = append(releases, release)
		if len(releases) > admission.MaxIngestsDefault {
			t.Fatal("the ingest limiter admits without bound")
		}
	}
	busy := func(what string, err error) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), "server busy") || !strings.Contains(err.Error(), "retry later") {
			t.Errorf("%s while busy: %v, want a failure saying server busy, retry later", what, err)
		}
	}
	busy("open", put("busy.wav"))
	busy("rename", sc.Rename("/"+camp+"/staged.wav.part", "/"+camp+"/staged.wav"))
	if _, err := h.env.Store.CallGetBySHA256(t.Context(), camp, hex.EncodeToString(sum[:])); err == nil {
		t.Fatal("a refused upload was imported")
	}

	for _, r := range releases {
		r()
	}
	if err := sc.Rename("/"+camp+"/staged.wav.part", "/"+camp+"/staged.wav"); err != nil {
		t.Fatalf("rename once there is room: %v", err)
	}
	if err := put("busy.wav"); err != nil { // the same content: a duplicate, accepted
		t.Fatalf("upload once there is room: %v", err)
	}
	if _, err := h.env.Store.CallGetBySHA256(t.Context(), camp, hex.EncodeToString(sum[:])); err != nil {
		t.Fatalf("the retried upload is not imported: %v", err)
	}
}
