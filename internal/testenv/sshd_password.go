package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// passwordShadow writes a copy of /etc/shadow where user's password is
// password (SHA-512 crypt from openssl) and returns its path.
func passwordShadow(t testing.TB, dir, user, password string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), Tool(t, "openssl"), "passwd", "-6", "-stdin")
	cmd.Stdin = strings.NewReader(password)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl passwd: %v", err)
	}
	hash := strings.TrimSpace(string(out))
	b, err := os.ReadFile("/etc/shadow")
	if err != nil {
		Missing(t, "a readable /etc/shadow for password logins to sshd: "+err.Error())
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
		Missing(t, "a shadow entry for "+user)
	}
	p := filepath.Join(dir, "shadow")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
