package bench

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildCallimport builds cmd/callimport into a temporary folder.
func buildCallimport(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "callimport")
	cmd := exec.CommandContext(tb.Context(), "go", "build", "-o", path, "github.com/callimport/callimport/cmd/callimport")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return path
}

// proc is a server process started by a benchmark.
type proc struct {
	target
	cmd    *exec.Cmd
	done   chan struct{}
	mu     sync.Mutex
	stdout strings.Builder
	stderr string // path of the stderr log
}

var (
	reListen = regexp.MustCompile(`listening on (https?://\S+)`)
	reKey    = regexp.MustCompile(`API key\s+(cik_\S+)`)
	reCamp   = regexp.MustCompile(`^\s+campaign\s+.*\((\S+)\)$`)
)

// startProc starts cmd (stdout and stderr are taken over) and waits for
// its "listening on URL" line, reading callimport's first-start API key
// and campaign on the way. The process gets SIGTERM, then SIGKILL after
// 30 s, at the end of the benchmark.
func startProc(tb testing.TB, cmd *exec.Cmd) *proc {
	tb.Helper()
	p := &proc{cmd: cmd, done: make(chan struct{}), stderr: filepath.Join(tb.TempDir(), "stderr.log")}
	errf, err := os.Create(p.stderr)
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = errf.Close() }()
	cmd.Stderr = errf
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		once := sync.OnceFunc(func() { close(ready) })
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.stdout.WriteString(line + "\n")
			if m := reKey.FindStringSubmatch(line); m != nil {
				p.Key = m[1]
			}
			if m := reCamp.FindStringSubmatch(line); m != nil {
				p.Campaign = m[1]
			}
			m := reListen.FindStringSubmatch(line)
			if m != nil {
				p.URL = m[1]
			}
			p.mu.Unlock()
			if m != nil {
				once()
			}
		}
		once()
		_ = cmd.Wait()
		close(p.done)
	}()
	tb.Cleanup(p.stop)
	select {
	case <-ready:
	case <-time.After(2 * time.Minute):
		tb.Fatalf("%s did not start", cmd.Path)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.URL == "" {
		logs, _ := os.ReadFile(p.stderr)
		tb.Fatalf("%s did not print its address; stdout:\n%s\nstderr:\n%s", cmd.Path, p.stdout.String(), logs)
	}
	return p
}

// stop ends the process gracefully, or kills it after 30 s.
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// statusKB reads a "kB" field of /proc/<pid>/status (VmHWM, VmRSS).
func statusKB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// baselineDirEnv makes this test binary a baseline server process (see
// TestBaselineProcess).
const baselineDirEnv = "CALLIMPORT_BENCH_BASELINE_DIR"

// startBaselineProc runs the baseline server as a process of its own (this
// test binary re-executed), so that its memory can be measured apart.
func startBaselineProc(tb testing.TB) *proc {
	tb.Helper()
	dir := tb.TempDir()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.CommandContext(context.WithoutCancel(tb.Context()), exe, "-test.run=^TestBaselineProcess$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), baselineDirEnv+"="+dir)
	return startProc(tb, cmd)
}

// TestBaselineProcess is the body of the baseline server process of the
// RSS benchmark; as a plain test it skips.
func TestBaselineProcess(t *testing.T) {
	dir := os.Getenv(baselineDirEnv)
	if dir == "" {
		t.Skip("runs only as the baseline server process of the peak RSS benchmark")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := signal.NotifyContext(t.Context(), syscall.SIGTERM)
	defer cancel()
	fmt.Printf("baseline listening on http://%s\n", ln.Addr())
	if err := NewBaseline(dir).Serve(ctx, ln); err != nil {
		t.Fatal(err)
	}
}
