package sftpd_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callimport/callimport/internal/call"
)

// TestSidecarBothOrders sends a sidecar before its audio (the envelope goes
// with the import) and after it (merged into the call), and a bad sidecar.
func TestSidecarBothOrders(t *testing.T) {
	t.Parallel()
	h := setup(t, false)
	camp := h.env.A.CampaignID
	local := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(local, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := write("first.wav.json", `{"conversation_timestamp": 1704067200, "agent_email": "ann@example.com",
		"external_id": "ext-1", "metadata": {"queue": "sales"}}`)
	later := write("later.json", `{"agent_email": "bob@example.com", "metadata": [{"key": "queue", "value": "support"}]}`)
	bad := write("bad.json", `{"agent_email": "not an address"}`)
	batch := "cd /" + camp + "\n" +
		"put " + first + " first.wav.json\nput wav/gsm_ms_8k_mono.wav first.wav\n" +
		"put mp3/cbr_id3v2_8k_mono.mp3 later.mp3\nput " + later + " later.json\n" +
		"-put " + bad + " bad.json\nget _rejected/bad.json.error.txt " + local + "/\n"
	out, err := h.sftpBatch(t, h.user, batch)
	if err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	check := func(fixture, agent, ext string, md call.MetaPair) {
		t.Helper()
		c, err := h.callOf(t, camp, fixture)
		if err != nil {
			t.Fatalf("%s: %v", fixture, err)
		}
		if c.AgentEmail != agent || c.ExternalID != ext || len(c.Metadata) != 1 || c.Metadata[0] != md {
			t.Errorf("%s: agent %q external id %q metadata %v", fixture, c.AgentEmail, c.ExternalID, c.Metadata)
		}
	}
	check("wav/gsm_ms_8k_mono.wav", "ann@example.com", "ext-1", call.MetaPair{Key: "queue", Value: "sales"})
	check("mp3/cbr_id3v2_8k_mono.mp3", "bob@example.com", "", call.MetaPair{Key: "queue", Value: "support"})
	if c, _ := h.callOf(t, camp, "wav/gsm_ms_8k_mono.wav"); c.ConversationTime == nil || c.ConversationTime.Unix() != 1704067200 {
		t.Errorf("conversation time %v", c.ConversationTime)
	}
	reason, err := os.ReadFile(filepath.Join(local, "bad.json.error.txt"))
	if err != nil || !strings.Contains(string(reason), "agent_email") {
		t.Errorf("bad sidecar reason %q, %v\n%s", reason, err, out)
	}
}

// TestCSVBothOrders sends a batch CSV between two recordings: the one
// already imported gets its row merged, the later one is imported with it.
func TestCSVBothOrders(t *testing.T) {
	t.Parallel()
	h := setup(t, false)
	camp := h.env.A.CampaignID
	local := t.TempDir()
	csvFile := filepath.Join(local, "batch.csv")
	body := "file,agent_email,external_id,queue,conversation_timestamp\n" +
		"early.flac,ann@example.com,,sales,1704067200\n" +
		"sub/late.ogg,bob@example.com,ext-late,support,\n"
	if err := os.WriteFile(csvFile, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(local, "bad.csv")
	if err := os.WriteFile(bad, []byte("name,queue\nx.wav,1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	batch := "cd /" + camp + "\nput flac/flac_8k_mono.flac early.flac\nput " + csvFile + " batch.csv\n" +
		"mkdir sub\nput ogg/vorbis_8k_mono.ogg sub/late.ogg\n-put " + bad + " bad.csv\n"
	out, err := h.sftpBatch(t, h.user, batch)
	if err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		fixture, agent, ext, queue string
	}{
		{"flac/flac_8k_mono.flac", "ann@example.com", "", "sales"},
		{"ogg/vorbis_8k_mono.ogg", "bob@example.com", "ext-late", "support"},
	} {
		c, err := h.callOf(t, camp, tc.fixture)
		if err != nil {
			t.Fatalf("%s: %v", tc.fixture, err)
		}
		if c.AgentEmail != tc.agent || c.ExternalID != tc.ext || len(c.Metadata) != 1 ||
			c.Metadata[0] != (call.MetaPair{Key: "queue", Value: tc.queue}) {
			t.Errorf("%s: agent %q external id %q metadata %v", tc.fixture, c.AgentEmail, c.ExternalID, c.Metadata)
		}
	}
	if !strings.Contains(out, "bad.csv") {
		t.Errorf("the CSV without a file column was accepted:\n%s", out)
	}
}
