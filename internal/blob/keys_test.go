package blob_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/callimport/callimport/internal/blob"
)

func TestCallKey(t *testing.T) {
	t.Parallel()
	key := blob.CallKey("org_1", "camp-2", "0199aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee")
	if want := "calls/org_1/camp-2/0199aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee"; key != want {
		t.Fatalf("CallKey = %q, want %q", key, want)
	}
	org, camp, id, ok := blob.ParseCallKey(key)
	if !ok || org != "org_1" || camp != "camp-2" || id != "0199aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee" {
		t.Errorf("ParseCallKey = %q %q %q %v", org, camp, id, ok)
	}
}

func TestValidateKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key string
		ok  bool
	}{
		{"calls/a/b/c", true},
		{"A-Z_0-9", true},
		{strings.Repeat("x", 128), true},
		{strings.Repeat("x", 129), false},
		{"", false},
		{"calls/../x", false},
		{"calls/./x", false},
		{"/calls/a", false},
		{"calls/a/", false},
		{"calls//a", false},
		{"calls/a b", false},
		{"calls/a\x00", false},
		{"calls/é", false},
		{"calls\\a", false},
		{"calls/a.tmp", false},
	}
	for _, tc := range tests {
		err := blob.ValidateKey(tc.key)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateKey(%q) = %v, want ok=%v", tc.key, err, tc.ok)
		}
		if err != nil && !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("ValidateKey(%q) = %v, want ErrInvalidKey", tc.key, err)
		}
	}
	// An id that is not ours makes the key invalid, whatever the method.
	if err := blob.ValidateKey(blob.CallKey("org", "../../etc", "passwd")); err == nil {
		t.Error("CallKey with a path in an id validated")
	}
}

// FuzzParseCallKey checks that keys found in a bucket (untrusted: anything
// may have been put there) parse only when they are exactly our layout, and
// that a valid key never escapes its directory.
func FuzzParseCallKey(f *testing.F) {
	for _, s := range []string{"calls/a/b/c", "calls/a/b", "calls/a/b/c/d", "calls/../b/c", "x/a/b/c", "calls/a/b/c.tmp", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		org, camp, id, ok := blob.ParseCallKey(key)
		if ok {
			if blob.CallKey(org, camp, id) != key {
				t.Errorf("CallKey(ParseCallKey(%q)) = %q", key, blob.CallKey(org, camp, id))
			}
			if err := blob.ValidateKey(key); err != nil {
				t.Errorf("parsed key %q does not validate: %v", key, err)
			}
		}
		if blob.ValidateKey(key) == nil {
			if strings.HasPrefix(key, "/") || strings.Contains(key, "..") || strings.Contains(key, "//") || strings.HasSuffix(key, "/") {
				t.Errorf("ValidateKey accepted %q", key)
			}
		}
	})
}
