package app

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/callimport/callimport/internal/connectors"
	"github.com/callimport/callimport/internal/store"
)

func TestPullSourceCommands(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, nil)
	ctx := t.Context()
	org, _ := srv.Store.OrgCreate(ctx, store.OrgCreateParams{Name: "Acme"})
	if _, err := srv.Store.CampaignCreate(ctx, store.CampaignCreateParams{OrgID: org.ID, Name: "Sales"}); err != nil {
		t.Fatal(err)
	}
	env := func(string) string { return "" }
	dir := srv.cfg.DataDir
	var out, errOut bytes.Buffer
	code := Main(ctx, []string{"admin", "pull-source", "create", "--data-dir", dir, "--org", "Acme", "--campaign", "Sales",
		"--host", "sftp.example", "--username", "u", "--password-stdin", "--fingerprint", "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"--interval", "10m", "--after", "delete", "--json"},
		IO{Stdin: strings.NewReader("the pull password\n"), Stdout: &out, Stderr: &errOut, Getenv: env})
	var created connectors.PullSource
	if code != 0 || json.Unmarshal(out.Bytes(), &created) != nil || !created.HasPassword || created.IntervalSeconds != 600 ||
		created.AfterAction != "delete" || strings.Contains(out.String(), "the pull password") {
		t.Fatalf("create: exit %d, %s %s", code, out.Bytes(), errOut.Bytes())
	}
	out.Reset()
	code = Main(ctx, []string{"admin", "pull-source", "list", "--data-dir", dir, "--org", "Acme"}, IO{Stdout: &out, Stderr: &errOut, Getenv: env})
	if code != 0 || !strings.Contains(out.String(), created.ID) || !strings.Contains(out.String(), "u@sftp.example:22") {
		t.Fatalf("list: exit %d, %s %s", code, out.Bytes(), errOut.Bytes())
	}
	errOut.Reset()
	code = Main(ctx, []string{"admin", "pull-source", "create", "--data-dir", dir, "--campaign", "Sales", "--host", "h",
		"--username", "u", "--fingerprint", "md5"}, IO{Stdout: &out, Stderr: &errOut, Getenv: env})
	if code != 1 || !strings.Contains(errOut.String(), "invalid pull source") {
		t.Fatalf("invalid: exit %d, %s", code, errOut.Bytes())
	}
	// The server (its own keyring, same data dir key) reads what the command sealed.
	p, err := srv.Store.(store.SFTPPull).PullSourceGet(ctx, org.ID, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := connectorKeyring(srv.cfg, false, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := kr.Open(org.ID, p.PasswordSealed); err != nil || got != "the pull password" {
		t.Fatalf("server opens %q, %v", got, err)
	}
}
