package webui

import (
	"strings"
	"testing"
	"time"
)

func TestSessionSeal(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s, err := newSealer([]byte(strings.Repeat("a", 32)))
	if err != nil {
		t.Fatal(err)
	}
	other, err := newSealer([]byte(strings.Repeat("b", 32)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newSealer([]byte("short")); err == nil {
		t.Error("a short key is accepted")
	}
	v, err := s.seal(session{UserID: "u1", OrgID: "o1", Expires: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := s.open(v, now); !ok || got.UserID != "u1" || got.OrgID != "o1" {
		t.Fatalf("open: %+v %v", got, ok)
	}
	if _, ok := s.open(v, now.Add(time.Hour)); ok {
		t.Error("an expired session opens")
	}
	if _, ok := other.open(v, now); ok {
		t.Error("a session opens under another key")
	}
	b := []byte(v)
	b[len(b)/2] ^= 1
	if _, ok := s.open(string(b), now); ok {
		t.Error("an altered session opens")
	}
	if _, ok := s.open("", now); ok {
		t.Error("an empty cookie opens")
	}
}

func FuzzSessionOpen(f *testing.F) {
	s, err := newSealer([]byte(strings.Repeat("a", 32)))
	if err != nil {
		f.Fatal(err)
	}
	good, err := s.seal(session{UserID: "u", OrgID: "o", Expires: time.Now().Add(time.Hour)})
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range []string{good, "", "AAAA", strings.Repeat("A", 200), good[:len(good)-2]} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if sess, ok := s.open(v, time.Now()); ok && v != good && sess.UserID == "" {
			t.Fatalf("opened a session without a user: %q", v)
		}
	})
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	l := newLimiter(2, 4, time.Minute, 5*time.Second)
	for i, want := range []time.Duration{0, 0, time.Second, 2 * time.Second} {
		d, locked := l.check("a", now)
		if d != want || locked {
			t.Fatalf("attempt %d: delay %v locked %v, want %v", i+1, d, locked, want)
		}
		if got := l.fail("a", now); got != (i == 3) {
			t.Fatalf("attempt %d: locked = %v", i+1, got)
		}
	}
	if _, locked := l.check("a", now.Add(59*time.Second)); !locked {
		t.Fatal("not locked within the lock time")
	}
	if d, locked := l.check("b", now); d != 0 || locked {
		t.Fatal("another address is affected")
	}
	if d, locked := l.check("a", now.Add(61*time.Second)); d != 0 || locked {
		t.Fatalf("after the lock: delay %v locked %v", d, locked)
	}
	l.fail("c", now)
	l.succeed("c")
	if d, _ := l.check("c", now); d != 0 {
		t.Fatal("success does not reset")
	}
}
