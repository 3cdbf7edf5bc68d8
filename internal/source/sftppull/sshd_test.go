package sftppull_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/callimport/callimport/internal/testenv"
)

// sshdServer is a real OpenSSH sshd serving internal-sftp on 127.0.0.1.
type sshdServer struct {
	Port        int
	Fingerprint string // SHA256:... of its host key
	ClientKey   string // OpenSSH private key accepted for the current user
	User        string
	Remote      string // the folder sftp sessions start in (same filesystem)
	logs        *strings.Builder
}

// startSSHD writes a config and keys under a temporary folder and runs sshd
// in the foreground for the test's duration, accepting ClientKey.
func startSSHD(t *testing.T) *sshdServer { return startSSHDWith(t, "") }

// startSSHDWith runs sshd; with a password it accepts that password (and no
// key) for the current user instead. sshd checks passwords against
// /etc/shadow, so it then runs in a mount namespace of its own where a copy
// holding the password's hash is bound over /etc/shadow; the machine's
// file is untouched.
func startSSHDWith(t *testing.T, password string) *sshdServer {
	t.Helper()
	bin := testenv.Tool(t, "sshd")
	keygen := testenv.Tool(t, "ssh-keygen")
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		testenv.Missing(t, "the /run/sshd privilege-separation folder: "+err.Error())
	}
	dir := t.TempDir()
	remote := filepath.Join(dir, "remote")
	if err := os.Mkdir(remote, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"host", "client"} {
		out, err := exec.CommandContext(t.Context(), keygen, "-q", "-t", "ed25519", "-N", "", "-C", k, "-f", filepath.Join(dir, k)).CombinedOutput()
		if err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	hostPub := readFile(t, filepath.Join(dir, "host.pub"))
	pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(hostPub))
	if err != nil {
		t.Fatal(err)
	}
	clientPub := readFile(t, filepath.Join(dir, "client.pub"))
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), []byte(clientPub), 0o600); err != nil {
		t.Fatal(err)
	}
	user := os.Getenv("USER")
	if user == "" {
		user = "root"
	}
	auth := []string{"PubkeyAuthentication yes", "PasswordAuthentication no", "PermitRootLogin prohibit-password"}
	var argv []string
	if password != "" {
		auth = []string{"PubkeyAuthentication no", "PasswordAuthentication yes", "PermitRootLogin yes"}
		shadow := passwordShadow(t, dir, user, password)
		argv = []string{testenv.Tool(t, "unshare"), "--mount", "--propagation", "private", "sh", "-c",
			`mount --bind "$1" /etc/shadow && exec "$2" -f "$3" -D -e`, "sh", shadow, bin}
	}
	port := freePort(t)
	conf := strings.Join([]string{
		"Port " + strconv.Itoa(port),
		"ListenAddress 127.0.0.1",
		"HostKey " + filepath.Join(dir, "host"),
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"AuthorizedKeysFile " + filepath.Join(dir, "authorized_keys"),
		"StrictModes no",
		auth[0], auth[1], auth[2],
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"AllowTcpForwarding no",
		"X11Forwarding no",
		"PermitTTY no",
		"Subsystem sftp internal-sftp",
		"ForceCommand internal-sftp -d " + remote,
		"",
	}, "\n")
	cfgPath := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &strings.Builder{}
	if argv == nil {
		argv = []string{bin, "-f", cfgPath, "-D", "-e"}
	} else {
		argv = append(argv, cfgPath)
	}
	cmd := exec.Command(argv[0], argv[1:]...) //nolint:noctx,gosec // stopped in Cleanup, outlives t.Context; fixed arguments
	cmd.Stderr = &lockedWriter{b: logs}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sshd: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("sshd logs:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		d := net.Dialer{Timeout: time.Second}
		c, err := d.DialContext(t.Context(), "tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			_ = c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not listen: %v\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &sshdServer{Port: port, Fingerprint: ssh.FingerprintSHA256(pk), ClientKey: readFile(t, filepath.Join(dir, "client")),
		User: user, Remote: remote, logs: logs}
}

// passwordShadow writes a copy of /etc/shadow where user's password is
// password (SHA-512 crypt from openssl) and returns its path.
func passwordShadow(t *testing.T, dir, user, password string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), testenv.Tool(t, "openssl"), "passwd", "-6", "-stdin")
	cmd.Stdin = strings.NewReader(password)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl passwd: %v", err)
	}
	hash := strings.TrimSpace(string(out))
	b, err := os.ReadFile("/etc/shadow")
	if err != nil {
		testenv.Missing(t, "a readable /etc/shadow for password logins to sshd: "+err.Error())
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	found := false
	for i, l := range lines {
		f := strings.Split(l, ":")
		if len(f) > 2 && f[0] == user {
			f[1] = hash
			lines[i] = strings.Join(f, ":")
			found = true
		}
	}
	if !found {
		testenv.Missing(t, "a shadow entry for "+user)
	}
	p := filepath.Join(dir, "shadow")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func freePort(t *testing.T) int {
	t.Helper()
	var lc net.ListenConfig
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	return port
}

// otherFingerprint is the fingerprint of a key no server has.
func otherFingerprint(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return ssh.FingerprintSHA256(pk)
}

// lockedWriter serialises writes to b.
type lockedWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
