package sftppull_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/source/sftppull"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/testenv"
)

// TestBatchCSV imports files named by a batch CSV with their row as the
// envelope (a sidecar wins over a row); a refused CSV holds back the files
// of its folder and says why.
func TestBatchCSV(t *testing.T) {
	t.Parallel()
	h := setup(t)
	sa := h.put(t, "wav/pcm_s16le_8k_mono.wav", "in/a.wav")
	sb := h.put(t, "wav/pcm_alaw_8k_mono.wav", "in/b.wav")
	sx := h.put(t, "wav/pcm_mulaw_8k_mono.wav", "in/bad/x.wav")
	write := func(p, body string) {
		if err := os.WriteFile(filepath.Join(h.sshd.Remote, p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("in/batch.csv", "file,agent_email,external_id,queue\na.wav,ann@example.com,row-a,sales\nb.wav,bob@example.com,row-b,support\n")
	write("in/b.wav.json", `{"agent_email": "sidecar@example.com"}`)
	write("in/bad/rows.csv", "file,agent_email\nx.wav,not an address\n")
	src := h.source(t, filepath.Join(h.sshd.Remote, "in"), "delete")
	src.Recursive = true
	rep, err := h.runner.Run(t.Context(), src)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Seen != 3 || rep.Imported != 2 || rep.Skipped != 1 || len(rep.Errors) != 1 ||
		!strings.Contains(rep.Errors[0], "rows.csv") || !strings.Contains(rep.Errors[0], "agent_email") {
		t.Fatalf("report = %+v", rep)
	}
	a, err := h.call(t, sa)
	if err != nil || a.AgentEmail != "ann@example.com" || a.ExternalID != "row-a" || len(a.Metadata) != 1 ||
		a.Metadata[0] != (call.MetaPair{Key: "queue", Value: "sales"}) {
		t.Errorf("a.wav: %+v, %v", a, err)
	}
	if b, err := h.call(t, sb); err != nil || b.AgentEmail != "sidecar@example.com" || b.ExternalID != "" {
		t.Errorf("b.wav (sidecar first): %+v, %v", b, err)
	}
	if _, err := h.call(t, sx); err == nil || !exists(filepath.Join(h.sshd.Remote, "in/bad/x.wav")) {
		t.Errorf("the file of the refused CSV's folder was imported: %v", err)
	}
}

// TestPasswordLogin pulls from an sshd that accepts only a password.
func TestPasswordLogin(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.sshd = testenv.StartSSHDWithPassword(t, "pull-secret 42")
	sha := h.put(t, "wav/pcm_s16le_8k_mono.wav", "a.wav")
	pwSealed, _, err := sftppull.SealSecrets(h.sealer, h.env.A.OrgID, "pull-secret 42", "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := h.st.PullSourcePut(t.Context(), store.PullSourcePutParams{OrgID: h.env.A.OrgID, CampaignID: h.env.A.CampaignID,
		Host: "127.0.0.1", Port: h.sshd.Port, Username: h.sshd.User, PasswordSealed: pwSealed,
		HostKeyFingerprint: h.sshd.Fingerprint, Folder: h.sshd.Remote, IntervalSeconds: 60, AfterAction: "delete", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := h.runner.RunStored(t.Context(), h.st, h.sealer, p)
	if err != nil || rep.Imported != 1 {
		t.Fatalf("run with the password = %+v, %v", rep, err)
	}
	if _, err := h.call(t, sha); err != nil {
		t.Fatal(err)
	}
	src, err := sftppull.FromStore(p, h.sealer)
	if err != nil {
		t.Fatal(err)
	}
	src.Password = "wrong"
	if _, err := h.runner.Run(t.Context(), src); err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Errorf("wrong password: %v", err)
	}
}

// TestRequireMetadata pulls for a campaign that requires metadata: a file
// with its CSV row is imported, one without waits in place, and is
// refused once it has waited longer than MetadataWait.
func TestRequireMetadata(t *testing.T) {
	t.Parallel()
	h := setup(t)
	yes := true
	if _, err := h.env.Store.CampaignUpdate(t.Context(), store.CampaignUpdateParams{OrgID: h.env.A.OrgID, ID: h.env.A.CampaignID,
		RequireMetadata: &yes}); err != nil {
		t.Fatal(err)
	}
	sa := h.put(t, "wav/pcm_s16le_8k_mono.wav", "r/a.wav")
	sb := h.put(t, "wav/pcm_alaw_8k_mono.wav", "r/b.wav") // modified an hour ago
	if err := os.WriteFile(filepath.Join(h.sshd.Remote, "r/rows.csv"), []byte("file,queue\na.wav,sales\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := h.source(t, filepath.Join(h.sshd.Remote, "r"), "delete")
	r := *h.runner
	r.Campaigns, r.MetadataWait = h.env.Store, 2*time.Hour
	rep, err := r.Run(t.Context(), src)
	if err != nil || rep.Imported != 1 || rep.Skipped != 1 || rep.Rejected != 0 {
		t.Fatalf("first run = %+v, %v", rep, err)
	}
	if a, err := h.call(t, sa); err != nil || len(a.Metadata) != 1 {
		t.Errorf("a.wav: %+v, %v", a, err)
	}
	if _, err := h.call(t, sb); err == nil || !exists(filepath.Join(h.sshd.Remote, "r/b.wav")) {
		t.Fatalf("b.wav did not wait: %v", err)
	}
	r.MetadataWait = 30 * time.Minute
	rep, err = r.Run(t.Context(), src)
	if err != nil || rep.Rejected != 1 || rep.Imported != 0 {
		t.Fatalf("run after the wait = %+v, %v", rep, err)
	}
	if _, err := h.call(t, sb); err == nil {
		t.Error("b.wav was imported without metadata")
	}
}
