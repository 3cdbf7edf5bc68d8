package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/connectors"
	"github.com/callimport/callimport/internal/sealing"
	"github.com/callimport/callimport/internal/store"
)

// TestRotateSecretKeyCommand rotates the secrets of a server that runs on
// its generated data-dir key: the command refuses a wrong old key, then
// re-encrypts under the new key and leaves it in the data dir, where the
// next server start reads it.
func TestRotateSecretKeyCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := config.Serve{Storage: config.Storage{DataDir: dir}, Workers: 1}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	srv, err := NewServer(ctx, cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	org, _ := srv.Store.OrgCreate(ctx, store.OrgCreateParams{Name: "r"})
	camp, _ := srv.Store.CampaignCreate(ctx, store.CampaignCreateParams{OrgID: org.ID, Name: "r"})
	pw := "pull-password"
	src, err := srv.Connectors.CreatePullSource(ctx, org.ID, camp.ID, connectors.PullSourceInput{Host: strPtr("h"),
		Username: strPtr("u"), Password: &pw, HostKeyFingerprint: strPtr("SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	oldKey, _ := os.ReadFile(filepath.Join(dir, secretKeyFile))
	newKey := sealing.NewKey()
	newFile, wrongFile := filepath.Join(t.TempDir(), "new.key"), filepath.Join(t.TempDir(), "wrong.key")
	_ = os.WriteFile(newFile, []byte(newKey+"\n"), 0o600)
	_ = os.WriteFile(wrongFile, []byte(sealing.NewKey()+"\n"), 0o600)
	env := func(string) string { return "" }

	var out, errOut bytes.Buffer
	code := Main(ctx, []string{"admin", "rotate-secret-key", "--data-dir", dir, "--old-key-file", wrongFile, "--new-key-file", newFile},
		IO{Stdout: &out, Stderr: &errOut, Getenv: env})
	if code != 1 || !strings.Contains(errOut.String(), "not configured") || !strings.Contains(errOut.String(), "password_sealed") {
		t.Fatalf("wrong old key: exit %d, %s", code, errOut.String())
	}
	out.Reset()
	errOut.Reset()
	code = Main(ctx, []string{"admin", "rotate-secret-key", "--data-dir", dir, "--new-key-file", newFile},
		IO{Stdout: &out, Stderr: &errOut, Getenv: env})
	if code != 0 || !strings.Contains(out.String(), "re-encrypted 1 of 1") {
		t.Fatalf("rotate: exit %d, %s %s", code, out.String(), errOut.String())
	}
	if got, _ := os.ReadFile(filepath.Join(dir, secretKeyFile)); strings.TrimSpace(string(got)) != newKey || bytes.Equal(got, oldKey) {
		t.Fatal("the data dir key was not replaced by the new key")
	}
	srv2 := newTestServer(t, func(c *config.Serve) { c.DataDir = dir })
	p, err := srv2.Store.(store.SFTPPull).PullSourceGet(ctx, org.ID, src.ID)
	if err != nil {
		t.Fatal(err)
	}
	kr, _ := sealing.New(newKey)
	if got, err := kr.Open(org.ID, p.PasswordSealed); err != nil || got != pw {
		t.Fatalf("open with the new key alone: %q, %v", got, err)
	}
	code = Main(ctx, []string{"admin", "rotate-secret-key", "--data-dir", dir}, IO{Stdout: &out, Stderr: &errOut, Getenv: env})
	if code != 2 || !strings.Contains(errOut.String(), "new key is required") {
		t.Fatalf("rotate without a new key: exit %d, %s", code, errOut.String())
	}
}

func strPtr(s string) *string { return &s }
