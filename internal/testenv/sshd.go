package testenv

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// SSHD is a real OpenSSH sshd serving internal-sftp on 127.0.0.1, for the
// tests of SFTP clients (pull sources).
type SSHD struct {
	Port int
	// Fingerprint is the SHA256:... of its host key.
	Fingerprint string
	// ClientKey is an OpenSSH private key it accepts for User.
	ClientKey string
	User      string
	// Remote is the folder sftp sessions start in (on this filesystem).
	Remote string
	logs   *lockedBuilder
}

// StartSSHD writes a config and keys under a temporary folder and runs sshd
// in the foreground until the test ends, accepting ClientKey for User; it
// calls Missing without sshd.
func StartSSHD(t testing.TB) *SSHD {
	t.Helper()
	return startSSHD(t, "")
}

// StartSSHDWithPassword is StartSSHD accepting password (and no key) for
// User instead. sshd checks passwords against /etc/shadow, so it then runs
// in a mount namespace of its own where a copy holding the password's hash
// is bound over /etc/shadow; the machine's file is untouched.
func StartSSHDWithPassword(t testing.TB, password string) *SSHD {
	t.Helper()
	return startSSHD(t, password)
}

func startSSHD(t testing.TB, password string) *SSHD {
	t.Helper()
	bin := Tool(t, "sshd")
	keygen := Tool(t, "ssh-keygen")
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		Missing(t, "the /run/sshd privilege-separation folder: "+err.Error())
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
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(read("host.pub")))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), []byte(read("client.pub")), 0o600); err != nil {
		t.Fatal(err)
	}
	user := os.Getenv("USER")
	if user == "" {
		user = "root"
	}
	auth := []string{"PubkeyAuthentication yes", "PasswordAuthentication no", "PermitRootLogin prohibit-password"}
	var wrap []string // runs sshd with its path, -f, the config, -D and -e appended
	if password != "" {
		auth = []string{"PubkeyAuthentication no", "PasswordAuthentication yes", "PermitRootLogin yes"}
		shadow := passwordShadow(t, dir, user, password)
		wrap = []string{Tool(t, "unshare"), "--mount", "--propagation", "private", "sh", "-c",
			`mount --bind "$1" /etc/shadow && shift && exec "$@"`, "sh", shadow}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	conf := strings.Join([]string{
		"Port " + strconv.Itoa(port), "ListenAddress 127.0.0.1", "HostKey " + filepath.Join(dir, "host"),
		"PidFile " + filepath.Join(dir, "sshd.pid"), "AuthorizedKeysFile " + filepath.Join(dir, "authorized_keys"),
		"StrictModes no", auth[0], auth[1], auth[2], "KbdInteractiveAuthentication no",
		"UsePAM no", "AllowTcpForwarding no", "X11Forwarding no", "PermitTTY no",
		"Subsystem sftp internal-sftp", "ForceCommand internal-sftp -d " + remote, "",
	}, "\n")
	cfgPath := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuilder{}
	argv := append(slices.Clip(wrap), bin, "-f", cfgPath, "-D", "-e")
	cmd := exec.Command(argv[0], argv[1:]...) //nolint:noctx,gosec // stopped in Cleanup, outlives t.Context; fixed arguments
	cmd.Stderr = logs
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
	return &SSHD{Port: port, Fingerprint: ssh.FingerprintSHA256(pk), ClientKey: read("client"), User: user, Remote: remote, logs: logs}
}

// lockedBuilder is a strings.Builder safe for concurrent writes.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *lockedBuilder) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedBuilder) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
