package loadtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/testenv"
)

// pgServer is a PostgreSQL server of the test's own: a cluster made by
// initdb in a temporary folder, listening on 127.0.0.1 on a port of its
// own, that the test may stop and start.
type pgServer struct {
	bin  string // folder of initdb and pg_ctl
	data string // the cluster
	log  string // the server's log file
	port int
	// owner runs the commands: initdb refuses to run as root, so a root
	// test runs them as the postgres user.
	owner *user.User
	// URL reaches the postgres database as the postgres superuser.
	URL string
}

// pgBin returns the folder of the newest installed initdb and pg_ctl, or
// calls testenv.Missing.
func pgBin(t *testing.T) string {
	t.Helper()
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	slices.SortFunc(found, func(a, b string) int { return versionOf(b) - versionOf(a) })
	if len(found) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			found = []string{p}
		}
	}
	for _, initdb := range found {
		dir := filepath.Dir(initdb)
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir
		}
	}
	testenv.Missing(t, "the PostgreSQL server programs initdb and pg_ctl (Debian postgresql)")
	return ""
}

func versionOf(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

// startPG makes a cluster in t.TempDir() and starts it; it is stopped
// when the test ends.
func startPG(t *testing.T) *pgServer {
	t.Helper()
	pg := &pgServer{bin: pgBin(t)}
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			testenv.Missing(t, "a postgres user to run initdb as (initdb refuses root)")
		}
		pg.owner = u
		// t.TempDir's folders are root's, mode 0700: let the owner through.
		for _, d := range []string{filepath.Dir(dir), dir} {
			if err := os.Chmod(d, 0o711); err != nil {
				t.Fatal(err)
			}
		}
	}
	home := filepath.Join(dir, "pg")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	if pg.owner != nil {
		uid, _ := strconv.Atoi(pg.owner.Uid)
		gid, _ := strconv.Atoi(pg.owner.Gid)
		if err := os.Chown(home, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	pg.data, pg.log = filepath.Join(home, "data"), filepath.Join(home, "server.log")
	pg.port = freePort(t)
	pg.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pg.port)

	pg.run(t, "initdb", "-D", pg.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions")
	conf := fmt.Sprintf("\nport = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"+
		"fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 60\n", pg.port)
	pg.run(t, "sh", "-c", "cat >> "+filepath.Join(pg.data, "postgresql.conf")+" <<'EOF'\n"+conf+"EOF\n")
	pg.start(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), time.Minute)
		defer cancel()
		if out, err := pg.cmd(ctx, "pg_ctl", "-D", pg.data, "-m", "immediate", "-w", "stop").CombinedOutput(); err != nil &&
			!strings.Contains(string(out), "not running") && !strings.Contains(string(out), "No such file") {
			t.Logf("stop postgres: %v: %s", err, out)
		}
	})
	return pg
}

// start starts the server and waits until it accepts connections.
func (pg *pgServer) start(t *testing.T) {
	t.Helper()
	pg.run(t, "pg_ctl", "-D", pg.data, "-l", pg.log, "-w", "-t", "60", "start")
}

// stop shuts the server down in fast mode: sessions are ended, running
// transactions rolled back.
func (pg *pgServer) stop(t *testing.T) {
	t.Helper()
	pg.run(t, "pg_ctl", "-D", pg.data, "-m", "fast", "-w", "-t", "60", "stop")
}

func (pg *pgServer) cmd(ctx context.Context, name string, args ...string) *exec.Cmd {
	if name != "sh" {
		name = filepath.Join(pg.bin, name)
	}
	if pg.owner != nil {
		args = append([]string{"-u", pg.owner.Username, "--", name}, args...)
		name = "runuser"
	}
	c := exec.CommandContext(ctx, name, args...)
	c.Dir = "/"
	return c
}

func (pg *pgServer) run(t *testing.T, name string, args ...string) {
	t.Helper()
	start := time.Now()
	out, err := pg.cmd(t.Context(), name, args...).CombinedOutput()
	if err != nil {
		logs, _ := os.ReadFile(pg.log)
		t.Fatalf("%s %s: %v\n%s\nserver log:\n%s", name, strings.Join(args, " "), err, out, logs)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Logf("%s took %s", name, d.Round(time.Millisecond))
	}
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	var lc net.ListenConfig
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port
}
