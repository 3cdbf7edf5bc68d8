package app

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/store"
)

// TestWireSFTP creates an account the way `admin sftp-user create` does and
// logs in with its key to the server wireSFTP starts.
func TestWireSFTP(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := config.Serve{Storage: config.Storage{DataDir: dir}, SFTPAddr: "127.0.0.1:0", ShutdownTimeout: 10 * time.Second,
		Workers: 2, MaxUploadSize: 1 << 30, TokenTTL: time.Minute, OrphanAge: time.Hour}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	s, err := NewServer(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	org, err := s.Store.OrgCreate(ctx, store.OrgCreateParams{Name: "o"})
	if err != nil {
		t.Fatal(err)
	}
	camp, err := s.Store.CampaignCreate(ctx, store.CampaignCreateParams{OrgID: org.ID, Name: "Inbound"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Store.CampaignCreate(ctx, store.CampaignCreateParams{OrgID: org.ID, Name: "Other"}); err != nil {
		t.Fatal(err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "key.pub")
	if err := os.WriteFile(keyFile, ssh.MarshalAuthorizedKey(sshPub), 0o600); err != nil {
		t.Fatal(err)
	}

	if _, err := adminSFTPUserCreate(ctx, s.Store, org, sftpUserArgs{Username: "a b"}, strings.NewReader("")); !errors.Is(err, ErrUsage) {
		t.Fatalf("bad username: %v, want ErrUsage", err)
	}
	if _, err := adminSFTPUserCreate(ctx, s.Store, org, sftpUserArgs{Username: "x", Campaigns: []string{"nope"}}, nil); !errors.Is(err, ErrUsage) {
		t.Fatalf("unknown campaign: %v, want ErrUsage", err)
	}
	out, err := adminSFTPUserCreate(ctx, s.Store, org, sftpUserArgs{Username: "Tel", AuthorizedKeyFile: keyFile,
		Campaigns: []string{"Inbound"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o := out.(sftpUserOut); o.Name != "tel" || o.Keys != 1 || o.Password != "" || len(o.Campaigns) != 1 || o.Campaigns[0] != camp.ID {
		t.Fatalf("created %+v", o)
	}
	if _, err := adminSFTPUserCreate(ctx, s.Store, org, sftpUserArgs{Username: "tel", PasswordStdin: true},
		strings.NewReader("a long enough password\n")); !errors.Is(err, ErrUsage) {
		t.Fatalf("taken username: %v, want ErrUsage", err)
	}

	run, addr, err := wireSFTP(ctx, s, config.SFTP{}, log)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := ssh.Dial("tcp", addr.String(), &ssh.ClientConfig{User: "tel", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	fis, err := sc.ReadDir("/")
	if err != nil || len(fis) != 1 || fis[0].Name() != camp.ID {
		t.Errorf("ReadDir(/) = %v, %v; want only %s", fis, err, camp.ID)
	}
	_ = sc.Close()
	_ = conn.Close()
	if _, err := os.Stat(filepath.Join(dir, "sftp_host_ed25519")); err != nil {
		t.Errorf("host key not in the data dir: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}
