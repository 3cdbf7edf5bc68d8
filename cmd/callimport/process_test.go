package main_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/app/apptest"
)

// binary builds callimport once per test run.
type builtBinary struct {
	once sync.Once
	path string
	err  error
}

func (b *builtBinary) get(t *testing.T) string {
	t.Helper()
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "callimport-bin-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, "callimport")
		out, err := exec.Command("go", "build", "-o", b.path, ".").CombinedOutput() //nolint:noctx // built once for every test
		if err != nil {
			b.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

var bin builtBinary //nolint:gochecknoglobals // the test binary is built once per process

// proc is a running `callimport serve`.
type proc struct {
	cmd     *exec.Cmd
	URL     string
	APIKey  string
	Camp    string
	stdout  *strings.Builder
	mu      sync.Mutex
	stderr  *os.File
	done    chan struct{}
	DataDir string
}

var (
	reListen = regexp.MustCompile(`listening on (https?://\S+)`)
	reKey    = regexp.MustCompile(`API key\s+(cik_\S+)`)
	reCamp   = regexp.MustCompile(`^\s+campaign\s+.*\((\S+)\)$`)
)

// startServe runs the server on dataDir with extra args and waits until it
// listens. On first start it reads the bootstrap API key and campaign.
func startServe(t *testing.T, dataDir string, args ...string) *proc {
	t.Helper()
	return startServeEnv(t, dataDir, nil, args...)
}

// startServeEnv is startServe with extra environment variables (NAME=value).
func startServeEnv(t *testing.T, dataDir string, env []string, args ...string) *proc {
	t.Helper()
	path := bin.get(t)
	stderr, err := os.CreateTemp(t.TempDir(), "stderr-*.log")
	if err != nil {
		t.Fatal(err)
	}
	all := append([]string{"serve", "--data-dir", dataDir, "--http-addr", "127.0.0.1:0", "--sftp-addr", "127.0.0.1:0"}, args...)
	cmd := exec.Command(path, all...) //nolint:noctx // the process outlives the call: it is killed by the test explicitly
	cmd.Env = append(append(os.Environ(), "CALLIMPORT_ADMIN_PASSWORD=correct-horse-battery"), env...)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stdout: &strings.Builder{}, stderr: stderr, done: make(chan struct{}), DataDir: dataDir}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.stdout.WriteString(line + "\n")
			if m := reKey.FindStringSubmatch(line); m != nil {
				p.APIKey = m[1]
			}
			if m := reCamp.FindStringSubmatch(line); m != nil {
				p.Camp = m[1]
			}
			m := reListen.FindStringSubmatch(line)
			if m != nil {
				p.URL = m[1]
			}
			p.mu.Unlock()
			if m != nil && !signalled {
				signalled = true
				close(ready)
			}
		}
		if !signalled {
			close(ready)
		}
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill(syscall.SIGKILL)
		// No personal data and no secret may reach the server's logs.
		for _, l := range apptest.Leaks([]byte(p.logs(t)), p.APIKey) {
			t.Errorf("server log leaks %s", l)
		}
	})
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		t.Fatalf("server did not start; stderr:\n%s", p.logs(t))
	}
	if p.url() == "" {
		t.Fatalf("server did not print its address; stdout:\n%s\nstderr:\n%s", p.stdout, p.logs(t))
	}
	return p
}

func (p *proc) url() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.URL
}

func (p *proc) kill(sig syscall.Signal) {
	if p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) logs(t *testing.T) string {
	t.Helper()
	b, _ := os.ReadFile(p.stderr.Name())
	return string(b)
}

func fixture(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "internal", "audio", "testdata", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("fixture %s: %v", rel, err)
	}
	abs, _ := filepath.Abs(p)
	return abs
}
