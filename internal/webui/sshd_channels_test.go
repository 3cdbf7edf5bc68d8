package webui_test

import (
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/testenv"
)

// sshd is a real OpenSSH sshd serving internal-sftp on 127.0.0.1, for the
// pull sources' "Run now".
type sshd struct {
	Port                   int
	Fingerprint, ClientKey string
	User, Remote           string
}

func startSSHD(t *testing.T) sshd {
	t.Helper()
	bin, keygen := testenv.Tool(t, "sshd"), testenv.Tool(t, "ssh-keygen")
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		testenv.Missing(t, "the /run/sshd privilege-separation folder: "+err.Error())
	}
	dir := t.TempDir()
	remote := filepath.Join(dir, "remote")
	if err := os.Mkdir(remote, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"host", "client"} {
		if out, err := exec.CommandContext(t.Context(), keygen, "-q", "-t", "ed25519", "-N", "", "-C", k, "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
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
	var lc net.ListenConfig
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	conf := strings.Join([]string{"Port " + strconv.Itoa(port), "ListenAddress 127.0.0.1", "HostKey " + filepath.Join(dir, "host"),
		"PidFile " + filepath.Join(dir, "sshd.pid"), "AuthorizedKeysFile " + filepath.Join(dir, "authorized_keys"),
		"StrictModes no", "PubkeyAuthentication yes", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
		"UsePAM no", "PermitRootLogin prohibit-password", "AllowTcpForwarding no", "X11Forwarding no", "PermitTTY no",
		"Subsystem sftp internal-sftp", "ForceCommand internal-sftp -d " + remote, ""}, "\n")
	cfgPath := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var logs strings.Builder
	cmd := exec.Command(bin, "-f", cfgPath, "-D", "-e") //nolint:noctx // stopped in Cleanup, outlives t.Context
	cmd.Stderr = writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return logs.Write(p) })
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sshd: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			mu.Lock()
			t.Logf("sshd logs:\n%s", logs.String())
			mu.Unlock()
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		d := net.Dialer{Timeout: time.Second}
		c, err := d.DialContext(t.Context(), "tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			_ = c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not listen: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	user := os.Getenv("USER")
	if user == "" {
		user = "root"
	}
	return sshd{Port: port, Fingerprint: ssh.FingerprintSHA256(pk), ClientKey: read("client"), User: user, Remote: remote}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestPullRunNowImports saves a pull source with a private key on the
// page, presses "Run now" and finds the remote recording imported, the run
// in the history and the source's last import set; the key never shows.
func TestPullRunNowImports(t *testing.T) {
	t.Parallel()
	srv := startSSHD(t)
	wav, err := os.ReadFile("../audio/testdata/wav/pcm_s16le_8k_mono.wav")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(srv.Remote, "call1.wav"), wav, 0o600); err != nil {
		t.Fatal(err)
	}
	e := setupChannels(t)
	a := e.signedIn(t, e.AdminA)
	page := "/campaigns/" + e.A.CampaignID + "/settings/sftp"
	r := e.post(t, a, page+"/pull", url.Values{"host": {"127.0.0.1"}, "port": {strconv.Itoa(srv.Port)}, "username": {srv.User},
		"private_key": {srv.ClientKey}, "fingerprint": {srv.Fingerprint}, "folder": {"."}, "pattern": {"*.wav"},
		"interval": {"60"}, "min_age": {"0"}, "after": {"keep"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", r.Status, r.Body)
	}
	srcs, err := e.Pulls.PullSourceList(t.Context())
	if err != nil || len(srcs) != 1 || srcs[0].PrivateKeySealed == "" || strings.Contains(srcs[0].PrivateKeySealed, "OPENSSH") {
		t.Fatalf("stored sources %+v %v", srcs, err)
	}
	if r := e.post(t, a, page+"/pull/"+srcs[0].ID+"/run", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("run: %d", r.Status)
	}
	e.waitRuns(t, srcs[0].ID, 1)
	calls, _, err := e.Store.CallList(t.Context(), store.CallListParams{OrgID: e.A.OrgID, CampaignID: e.A.CampaignID})
	if err != nil || len(calls) != 1 || calls[0].Source != call.SourceSFTPPull || calls[0].FileName != "call1.wav" {
		t.Fatalf("calls after the run: %+v %v", calls, err)
	}
	r = e.do(t, a, http.MethodGet, page, "", "")
	if strings.Contains(r.Body, "OPENSSH PRIVATE KEY") || !strings.Contains(r.Body, "<td>1</td><td>1</td><td>0</td><td>0</td><td class=\"errors\">—</td>") ||
		strings.Contains(r.Body, `<span class="last-import">—</span>`) || strings.Contains(r.Body, "Failing") {
		t.Fatalf("page after the run:\n%s", r.Body)
	}
	if r := e.post(t, a, page+"/pull/"+srcs[0].ID+"/run", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("second run: %d", r.Status)
	}
	e.waitRuns(t, srcs[0].ID, 2)
	if calls, _, _ := e.Store.CallList(t.Context(), store.CallListParams{OrgID: e.A.OrgID, CampaignID: e.A.CampaignID}); len(calls) != 1 {
		t.Fatalf("a kept file was imported again: %d calls", len(calls))
	}
}
