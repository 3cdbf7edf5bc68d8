package sftppull_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/app/apptest"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/source/genesys"
	"github.com/callimport/callimport/internal/source/sftppull"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/testenv"
)

const fixtures = "../../audio/testdata"

type harness struct {
	env    *apptest.Env
	sshd   *testenv.SSHD
	runner *sftppull.Runner
	st     store.SFTPPull
	sealer *genesys.Sealer
}

func setup(t *testing.T) *harness {
	t.Helper()
	h := &harness{sshd: testenv.StartSSHD(t), env: apptest.Start(t, apptest.Options{})}
	st, ok := h.env.Store.(store.SFTPPull)
	if !ok {
		t.Fatalf("%T has no pull sources", h.env.Store)
	}
	h.st = st
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := genesys.NewSealer(base64.StdEncoding.EncodeToString(key))
	if err != nil {
		t.Fatal(err)
	}
	h.sealer = sealer
	h.runner = &sftppull.Runner{Ingest: h.env.Server.Ingest, Ledger: sftppull.StoreLedger{Store: st}, Settle: 300 * time.Millisecond}
	return h
}

// stored saves a source of campaign A with a sealed private key.
func (h *harness) stored(t *testing.T, folder, after string) store.PullSource {
	t.Helper()
	_, keySealed, err := sftppull.SealSecrets(h.sealer, h.env.A.OrgID, "", h.sshd.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	p, err := h.st.PullSourcePut(t.Context(), store.PullSourcePutParams{OrgID: h.env.A.OrgID, CampaignID: h.env.A.CampaignID,
		Host: "127.0.0.1", Port: h.sshd.Port, Username: h.sshd.User, PrivateKeySealed: keySealed,
		HostKeyFingerprint: h.sshd.Fingerprint, Folder: folder, Pattern: "*.wav", IntervalSeconds: 60, AfterAction: after, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// source is a stored source, unsealed.
func (h *harness) source(t *testing.T, folder, after string) sftppull.Source {
	t.Helper()
	src, err := sftppull.FromStore(h.stored(t, folder, after), h.sealer)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// put copies a fixture to the remote folder with an old modification time.
func (h *harness) put(t *testing.T, fixture, dst string) string {
	t.Helper()
	b := readFile(t, filepath.Join(fixtures, fixture))
	p := filepath.Join(h.sshd.Remote, dst)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(b), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(b))
	return hex.EncodeToString(sum[:])
}

func (h *harness) call(t *testing.T, sha string) (call.Call, error) {
	t.Helper()
	return h.env.Store.CallGetBySHA256(t.Context(), h.env.A.CampaignID, sha)
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func TestImportWithSidecarThenDelete(t *testing.T) {
	t.Parallel()
	h := setup(t)
	s1 := h.put(t, "wav/pcm_s16le_8k_mono.wav", "in/a.wav")
	s2 := h.put(t, "wav/pcm_alaw_8k_mono.wav", "in/sub/b.wav")
	h.put(t, "nonaudio/text.wav", "in/c.wav")
	side := `{"external_id":"ext-42","agent_email":"agent@example.com","conversation_timestamp":1700000000,"metadata":{"queue":"sales"}}`
	if err := os.WriteFile(filepath.Join(h.sshd.Remote, "in/a.wav.json"), []byte(side), 0o644); err != nil {
		t.Fatal(err)
	}
	src := h.source(t, filepath.Join(h.sshd.Remote, "in"), "delete")
	src.Recursive = true
	rep, err := h.runner.Run(t.Context(), src)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if rep.Seen != 3 || rep.Imported != 2 || rep.Rejected != 1 || len(rep.Errors) != 0 {
		t.Fatalf("report = %+v", rep)
	}
	c, err := h.call(t, s1)
	if err != nil {
		t.Fatal(err)
	}
	if c.ExternalID != "ext-42" || c.AgentEmail != "agent@example.com" || c.Source != call.SourceSFTPPull || c.FileName != "a.wav" ||
		len(c.Metadata) != 1 || c.Metadata[0].Key != "queue" {
		t.Errorf("call = %+v", c)
	}
	if _, err := h.call(t, s2); err != nil {
		t.Errorf("recursive file: %v", err)
	}
	for _, p := range []string{"in/a.wav", "in/a.wav.json", "in/sub/b.wav"} {
		if exists(filepath.Join(h.sshd.Remote, p)) {
			t.Errorf("%s not deleted", p)
		}
	}
	if !exists(filepath.Join(h.sshd.Remote, "in/c.wav")) {
		t.Error("the refused file was deleted")
	}
}

func TestWrongHostKeyRefused(t *testing.T) {
	t.Parallel()
	h := setup(t)
	sha := h.put(t, "wav/pcm_s16le_8k_mono.wav", "a.wav")
	src := h.source(t, h.sshd.Remote, "delete")
	src.HostKeyFingerprint = otherFingerprint(t)
	rep, err := h.runner.Run(t.Context(), src)
	if !errors.Is(err, sftppull.ErrHostKey) || !strings.Contains(err.Error(), h.sshd.Fingerprint) {
		t.Fatalf("err = %v", err)
	}
	if rep.Seen != 0 || !exists(filepath.Join(h.sshd.Remote, "a.wav")) {
		t.Errorf("fetched despite the host key: %+v", rep)
	}
	if _, err := h.call(t, sha); err == nil {
		t.Error("a call was made")
	}
	src.HostKeyFingerprint = ""
	if _, err := h.runner.Run(t.Context(), src); err == nil || !strings.Contains(err.Error(), "fingerprint") {
		t.Errorf("no fingerprint: err = %v", err)
	}
}

func TestGrowingAndYoungFilesWait(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.put(t, "wav/pcm_s16le_8k_mono.wav", "grow.wav")
	young := h.put(t, "wav/pcm_alaw_8k_mono.wav", "young.wav")
	now := time.Now()
	if err := os.Chtimes(filepath.Join(h.sshd.Remote, "young.wav"), now, now); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { // append to grow.wav until the run ends
		f, err := os.OpenFile(filepath.Join(h.sshd.Remote, "grow.wav"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < 1000; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				_, _ = f.Write(make([]byte, 160))
			}
		}
	})
	src := h.source(t, h.sshd.Remote, "delete")
	src.MinAge = time.Minute
	rep, err := h.runner.Run(t.Context(), src)
	stop()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Seen != 2 || rep.Imported != 0 || rep.Skipped != 2 {
		t.Fatalf("report = %+v", rep)
	}
	if !exists(filepath.Join(h.sshd.Remote, "grow.wav")) || !exists(filepath.Join(h.sshd.Remote, "young.wav")) {
		t.Error("a waiting file was removed")
	}
	if _, err := h.call(t, young); err == nil {
		t.Error("the young file was imported")
	}
}

func TestMoveAndKeep(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.put(t, "wav/pcm_s16le_8k_mono.wav", "m/a.wav")
	if err := os.WriteFile(filepath.Join(h.sshd.Remote, "m/a.json"), []byte(`{"external_id":"m-1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := h.runner.Run(t.Context(), h.source(t, filepath.Join(h.sshd.Remote, "m"), "move:"+filepath.Join(h.sshd.Remote, "m/done")))
	if err != nil || rep.Imported != 1 {
		t.Fatalf("move run = %+v, %v", rep, err)
	}
	if exists(filepath.Join(h.sshd.Remote, "m/a.wav")) || !exists(filepath.Join(h.sshd.Remote, "m/done/a.wav")) ||
		!exists(filepath.Join(h.sshd.Remote, "m/done/a.json")) {
		t.Error("not moved")
	}

	sha := h.put(t, "wav/pcm_mulaw_8k_mono.wav", "k/a.wav")
	ps := h.stored(t, filepath.Join(h.sshd.Remote, "k"), "keep")
	rep, err = h.runner.RunStored(t.Context(), h.st, h.sealer, ps)
	if err != nil || rep.Imported != 1 {
		t.Fatalf("keep run = %+v, %v", rep, err)
	}
	if !exists(filepath.Join(h.sshd.Remote, "k/a.wav")) {
		t.Error("kept file is gone")
	}
	if _, err := h.call(t, sha); err != nil {
		t.Fatal(err)
	}
	rep, err = h.runner.RunStored(t.Context(), h.st, h.sealer, ps)
	if err != nil || rep.Seen != 1 || rep.Imported != 0 || rep.Duplicates != 0 || rep.Skipped != 1 {
		t.Fatalf("second keep run = %+v, %v", rep, err)
	}
	runs, err := h.st.PullRunList(t.Context(), ps.ID, 0)
	if err != nil || len(runs) != 2 || runs[0].Seen != 1 || runs[0].Imported != 0 || runs[1].Imported != 1 || runs[0].Errors != "" {
		t.Fatalf("run history = %+v, %v", runs, err)
	}
	if sftppull.Due(ps, runs, time.Now()) {
		t.Error("due right after a run")
	}
}
