package sftpd_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// TestWaitForMetadata makes campaign A require metadata. Audio with its
// sidecar first is imported at once; audio without waits (listed in its
// folder, no call) across a restart of the server, until a batch CSV row
// or a sidecar arriving later imports it; audio whose metadata never comes
// is refused after the wait, with its reason in _rejected/.
func TestWaitForMetadata(t *testing.T) {
	t.Parallel()
	h := setup(t, false)
	camp := h.env.A.CampaignID
	yes := true
	if _, err := h.env.Store.CampaignUpdate(t.Context(), store.CampaignUpdateParams{OrgID: h.env.A.OrgID, ID: camp,
		RequireMetadata: &yes}); err != nil {
		t.Fatal(err)
	}
	local := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(local, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := write("first.wav.json", `{"agent_email": "ann@example.com"}`)
	rows := write("batch.csv", "file,agent_email,queue\nbyrow.mp3,bob@example.com,sales\n")
	late := write("late.json", `{"agent_email": "cat@example.com", "metadata": {"queue": "support"}}`)

	out, err := h.sftpBatch(t, h.user, "cd /"+camp+"\nput "+first+" first.wav.json\nput wav/gsm_ms_8k_mono.wav first.wav\n"+
		"put mp3/cbr_id3v2_8k_mono.mp3 byrow.mp3\nput ogg/vorbis_8k_mono.ogg late.ogg\nput flac/flac_8k_mono.flac lonely.flac\nls -1\n")
	if err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	if c, err := h.callOf(t, camp, "wav/gsm_ms_8k_mono.wav"); err != nil || c.AgentEmail != "ann@example.com" {
		t.Errorf("audio after its sidecar: %+v, %v", c, err)
	}
	for _, f := range []string{"mp3/cbr_id3v2_8k_mono.mp3", "ogg/vorbis_8k_mono.ogg", "flac/flac_8k_mono.flac"} {
		if _, err := h.callOf(t, camp, f); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: %v, want no call while it waits", f, err)
		}
	}
	for _, name := range []string{"byrow.mp3", "late.ogg", "lonely.flac"} {
		if !strings.Contains(out, name) {
			t.Errorf("waiting %s not listed:\n%s", name, out)
		}
	}

	h.start(t) // a restart: the waiting uploads live on
	out, err = h.sftpBatch(t, h.user, "cd /"+camp+"\nput "+rows+" batch.csv\nput "+late+" late.json\n")
	if err != nil {
		t.Fatalf("sftp after restart: %v\n%s", err, out)
	}
	for _, tc := range []struct{ fixture, agent, queue string }{
		{"mp3/cbr_id3v2_8k_mono.mp3", "bob@example.com", "sales"},
		{"ogg/vorbis_8k_mono.ogg", "cat@example.com", "support"},
	} {
		c, err := h.callOf(t, camp, tc.fixture)
		if err != nil || c.AgentEmail != tc.agent || len(c.Metadata) != 1 || c.Metadata[0] != (call.MetaPair{Key: "queue", Value: tc.queue}) {
			t.Errorf("%s: %+v, %v", tc.fixture, c, err)
		}
	}

	h.skew.Store(int64(2 * time.Hour)) // past the default wait of one hour
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		out, err = h.sftpBatch(t, h.user, "cd /"+camp+"\nget _rejected/lonely.flac.error.txt "+local+"/\n")
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the upload without metadata was not refused: %v\n%s", err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	reason, err := os.ReadFile(filepath.Join(local, "lonely.flac.error.txt"))
	if err != nil || !strings.Contains(string(reason), "no metadata arrived within 1h0m0s") {
		t.Errorf("reason %q, %v", reason, err)
	}
	if _, err := h.callOf(t, camp, "flac/flac_8k_mono.flac"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("refused upload has a call: %v", err)
	}
	out, err = h.sftpBatch(t, h.user, "ls -1 /"+camp+"\n")
	if err != nil || strings.Contains(out, "lonely.flac") || strings.Contains(out, "byrow.mp3") || strings.Contains(out, "late.ogg") {
		t.Errorf("folder after the imports and the refusal: %v\n%s", err, out)
	}
}
