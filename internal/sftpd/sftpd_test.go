package sftpd_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/callimport/callimport/internal/app/apptest"
	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/sftpd"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/testenv"
)

// harness is a callimport server with the SFTP server on top, and an
// account of organisation A with a key and a password.
type harness struct {
	env      *apptest.Env
	srv      *sftpd.Server
	port     int
	keyFile  string
	user     string
	password string
	dir      string
	st       sftpd.Store
	stop     func()
	// skew moves the server's clock ahead (nanoseconds).
	skew atomic.Int64
}

// now is the server's clock: the real one plus skew.
func (h *harness) now() time.Time { return time.Now().Add(time.Duration(h.skew.Load())) }

// start runs an SFTP server on the harness's host key and staging folder,
// stopping the one before if any (as a restart does).
func (h *harness) start(t *testing.T) {
	t.Helper()
	if h.stop != nil {
		h.stop()
	}
	srv, err := sftpd.New(sftpd.Config{
		Store: h.st, Ingest: h.env.Server.Ingest, Blobs: h.env.Server.Bucket, Audit: h.env.Server.Audit,
		SweepInterval: 50 * time.Millisecond, Now: h.now,
		HostKeyPath: filepath.Join(h.dir, "host_ed25519"), StagingDir: filepath.Join(h.dir, "staging"),
	})
	if err != nil {
		t.Fatal(err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	}
	t.Cleanup(h.stop)
	h.srv, h.port = srv, ln.Addr().(*net.TCPAddr).Port
}

const fixtures = "../audio/testdata"

// setup starts the servers; with password, tel-a also has a password
// (argon2id hashing is slow, so only the tests that need one pay for it).
func setup(t *testing.T, password bool) *harness {
	t.Helper()
	env := apptest.Start(t, apptest.Options{})
	dir := t.TempDir()
	st, ok := env.Store.(sftpd.Store)
	if !ok {
		t.Fatalf("%T is not an sftpd.Store", env.Store)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{env: env, st: st, dir: dir,
		keyFile: filepath.Join(dir, "client_ed25519"), user: "tel-a", password: "correct horse battery"}
	h.start(t)
	if err := os.WriteFile(h.keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	hash := ""
	if password {
		hash = auth.HashPassword(h.password)
	}
	h.createAccount(t, env.A.OrgID, h.user, hash, string(ssh.MarshalAuthorizedKey(sshPub)))
	h.createAccount(t, env.B.OrgID, "tel-b", "", string(ssh.MarshalAuthorizedKey(sshPub)))
	return h
}

func (h *harness) createAccount(t *testing.T, orgID, user, hash, keys string) {
	t.Helper()
	_, err := h.env.Store.(store.SFTPAccounts).SFTPAccountCreate(t.Context(), store.SFTPAccountCreateParams{
		OrgID: orgID, Username: user, PasswordHash: hash, AuthorizedKeys: keys})
	if err != nil {
		t.Fatal(err)
	}
}

// sftpBatch runs OpenSSH's sftp client in batch mode as user and returns
// its combined output and error.
func (h *harness) sftpBatch(t *testing.T, user, batch string) (string, error) {
	t.Helper()
	bin := testenv.Tool(t, "sftp")
	bf := filepath.Join(t.TempDir(), "batch")
	if err := os.WriteFile(bf, []byte(batch), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-F", "/dev/null", "-b", bf, "-P", strconv.Itoa(h.port),
		"-i", h.keyFile, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
		user+"@127.0.0.1")
	cmd.Dir = fixtures
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// callOf returns the call made of a fixture in campaign, by its SHA-256.
func (h *harness) callOf(t *testing.T, campaignID, fixture string) (call.Call, error) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, fixture))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return h.env.Store.CallGetBySHA256(t.Context(), campaignID, hex.EncodeToString(sum[:]))
}

func TestPutFormatsAndRename(t *testing.T) {
	t.Parallel()
	h := setup(t, false)
	camp := h.env.A.CampaignID
	formats := []string{"wav/adpcm_ima_wav_8k_mono.wav", "mp3/vbr_xing_16k_mono.mp3", "flac/flac_8k_mono.flac", "ogg/vorbis_8k_mono.ogg"}
	batch := "cd /" + camp + "\n"
	for _, f := range formats {
		batch += "put " + f + "\n"
	}
	batch += "mkdir sub\nput ogg/opus_8k_mono.opus sub/call.opus.filepart\nls sub\nrename sub/call.opus.filepart sub/call.opus\nls /\n"
	out, err := h.sftpBatch(t, h.user, batch)
	if err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	for _, f := range append(formats, "ogg/opus_8k_mono.opus") {
		c, err := h.callOf(t, camp, f)
		if err != nil {
			t.Fatalf("call of %s: %v\n%s", f, err, out)
		}
		if c.Source != call.SourceSFTP || c.OrgID != h.env.A.OrgID {
			t.Errorf("call of %s: source %s org %s", f, c.Source, c.OrgID)
		}
	}
	if !strings.Contains(out, "call.opus.filepart") {
		t.Errorf("ls sub did not show the staged file:\n%s", out)
	}
	if strings.Contains(out, h.env.B.CampaignID) {
		t.Errorf("organisation B's campaign is visible:\n%s", out)
	}
	if c, _ := h.callOf(t, camp, "ogg/opus_8k_mono.opus"); c.FileName != "sub/call.opus" && c.FileName != "call.opus" {
		t.Errorf("renamed file imported as %q", c.FileName)
	}
}

func TestConfinement(t *testing.T) {
	t.Parallel()
	h := setup(t, false)
	for _, tc := range []struct{ name, batch, want string }{
		{"traversal", "put wav/gsm_ms_8k_mono.wav /" + h.env.A.CampaignID + "/../../../etc/x.wav\n", "Permission denied"},
		{"dotdot from campaign", "cd /" + h.env.A.CampaignID + "\nput wav/gsm_ms_8k_mono.wav ../x.wav\n", "Permission denied"},
		{"root", "put wav/gsm_ms_8k_mono.wav /x.wav\n", "Permission denied"},
		{"other org", "cd /" + h.env.B.CampaignID + "\n", ""},
		{"other org put", "put wav/gsm_ms_8k_mono.wav /" + h.env.B.CampaignID + "/x.wav\n", "Permission denied"},
		{"non-audio", "put nonaudio/text.wav /" + h.env.A.CampaignID + "/text.wav\n", ""},
	} {
		out, err := h.sftpBatch(t, h.user, tc.batch)
		if err == nil {
			t.Errorf("%s: sftp succeeded:\n%s", tc.name, out)
		}
		if !strings.Contains(out, tc.want) {
			t.Errorf("%s: output lacks %q:\n%s", tc.name, tc.want, out)
		}
	}
	for _, camp := range []string{h.env.A.CampaignID, h.env.B.CampaignID} {
		for _, f := range []string{"wav/gsm_ms_8k_mono.wav", "nonaudio/text.wav"} {
			if _, err := h.callOf(t, camp, f); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s in %s: %v, want no call", f, camp, err)
			}
		}
	}
	out, err := h.sftpBatch(t, h.user, "ls -1 /\n")
	if err != nil {
		t.Fatalf("ls: %v\n%s", err, out)
	}
	if !strings.Contains(out, h.env.A.CampaignID) || strings.Contains(out, h.env.B.CampaignID) {
		t.Errorf("root listing:\n%s", out)
	}
}

// dial logs in with a password through the Go SSH client.
func (h *harness) dial(t *testing.T, user, password string) (*ssh.Client, error) {
	t.Helper()
	return ssh.Dial("tcp", "127.0.0.1:"+strconv.Itoa(h.port), &ssh.ClientConfig{
		User: user, Auth: []ssh.AuthMethod{ssh.Password(password)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
	})
}

// sftpPassword runs OpenSSH's sftp in batch mode logging in with a
// password only (given through SSH_ASKPASS).
func (h *harness) sftpPassword(t *testing.T, user, password, batch string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	askpass := filepath.Join(dir, "askpass")
	if err := os.WriteFile(filepath.Join(dir, "pw"), []byte(password), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(askpass, []byte("#!/bin/sh\ncat '"+filepath.Join(dir, "pw")+"'\n"), 0o700); err != nil { //nolint:gosec // an executable script
		t.Fatal(err)
	}
	bf := filepath.Join(dir, "batch")
	if err := os.WriteFile(bf, []byte(batch), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	// BatchMode=no before -b (ssh keeps an option's first value), so that
	// the password comes from SSH_ASKPASS.
	cmd := exec.CommandContext(ctx, testenv.Tool(t, "sftp"), "-F", "/dev/null", "-o", "BatchMode=no", "-b", bf,
		"-P", strconv.Itoa(h.port), "-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password", "-o", "NumberOfPasswordPrompts=1",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
		user+"@127.0.0.1")
	cmd.Env = append(os.Environ(), "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=none")
	cmd.Dir = fixtures
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestOpenSSHPasswordBan logs in with OpenSSH's sftp and a password, then
// gives a wrong one five times: the right password is refused afterwards.
func TestOpenSSHPasswordBan(t *testing.T) {
	t.Parallel()
	h := setup(t, true)
	out, err := h.sftpPassword(t, h.user, h.password, "ls -1 /\n")
	if err != nil || !strings.Contains(out, h.env.A.CampaignID) {
		t.Fatalf("password login: %v\n%s", err, out)
	}
	for i := range 5 {
		if out, err := h.sftpPassword(t, h.user, "wrong password", "ls /\n"); err == nil {
			t.Fatalf("attempt %d: wrong password accepted:\n%s", i, out)
		}
	}
	out, err = h.sftpPassword(t, h.user, h.password, "ls -1 /\n")
	if err == nil {
		t.Fatalf("banned address logged in with the right password:\n%s", out)
	}
	t.Logf("sixth login, right password, after five wrong ones: %v\n%s", err, out)
}

func TestPasswordAndBan(t *testing.T) {
	t.Parallel()
	h := setup(t, true)
	c, err := h.dial(t, h.user, h.password)
	if err != nil {
		t.Fatalf("login with the password: %v", err)
	}
	sc, err := sftp.NewClient(c)
	if err != nil {
		t.Fatal(err)
	}
	fis, err := sc.ReadDir("/")
	if err != nil || len(fis) != 1 || fis[0].Name() != h.env.A.CampaignID || !fis[0].IsDir() {
		t.Errorf("ReadDir(/) = %v, %v", fis, err)
	}
	_ = sc.Close()
	_ = c.Close()
	for i := range 5 {
		if c, err := h.dial(t, h.user, "wrong password"); err == nil {
			_ = c.Close()
			t.Fatalf("attempt %d: wrong password accepted", i)
		}
	}
	if c, err := h.dial(t, h.user, h.password); err == nil {
		_ = c.Close()
		t.Fatal("banned address logged in with the right password")
	}
	if out, err := h.sftpBatch(t, h.user, "ls /\n"); err == nil {
		t.Fatalf("banned address logged in with a key:\n%s", out)
	}
}

func TestHostKeyPersists(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "k", "host")
	a, err := sftpd.LoadHostKey(p)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("host key file: %v, %v", fi, err)
	}
	b, err := sftpd.LoadHostKey(p)
	if err != nil {
		t.Fatal(err)
	}
	if ssh.FingerprintSHA256(a.PublicKey()) != ssh.FingerprintSHA256(b.PublicKey()) {
		t.Error("host key changed between loads")
	}
}
