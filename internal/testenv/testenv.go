// Package testenv finds the real components that tests run against (tools
// such as ffprobe, curl, chromium, sshd, and services such as PostgreSQL)
// and decides what happens when one is missing: the test skips with a
// message naming it, or fails when CALLIMPORT_TEST_REQUIRE_ALL=1 (as in CI).
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// RequireAll reports whether missing components must fail tests.
func RequireAll() bool { return os.Getenv("CALLIMPORT_TEST_REQUIRE_ALL") == "1" }

// Missing skips t, or fails it when RequireAll, naming what is missing.
func Missing(t testing.TB, what string) {
	t.Helper()
	if RequireAll() {
		t.Fatalf("%s is required (CALLIMPORT_TEST_REQUIRE_ALL=1) but missing", what)
	}
	t.Skipf("skipping: %s is missing (set CALLIMPORT_TEST_REQUIRE_ALL=1 to fail instead)", what)
}

// Tool returns the path of an executable, or calls Missing.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "the "+name+" executable")
	}
	return p
}

// PostgresURL returns CALLIMPORT_TEST_POSTGRES_URL, or calls Missing.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("CALLIMPORT_TEST_POSTGRES_URL")
	if u == "" {
		Missing(t, "PostgreSQL (CALLIMPORT_TEST_POSTGRES_URL)")
	}
	return u
}
