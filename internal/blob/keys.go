package blob

import (
	"fmt"
	"strings"
)

// CallsPrefix is the key prefix under which all call recordings live.
const CallsPrefix = "calls/"

// maxIDLen bounds one key segment; our ids are UUIDs (36 characters).
const maxIDLen = 128

// CallKey returns the key of a call's recording: calls/<org>/<campaign>/<call>.
// The ids must be our own identifiers, never names supplied by users: each must
// match [A-Za-z0-9_-]{1,128}. CallKey does not check them; every Bucket method
// rejects a key with an invalid segment with ErrInvalidKey, so a bad id can
// never reach the storage backend.
func CallKey(orgID, campaignID, callID string) string {
	return CallsPrefix + orgID + "/" + campaignID + "/" + callID
}

// ParseCallKey splits a key made by CallKey into its ids. It reports false for
// any other key (for example a foreign object found by List).
func ParseCallKey(key string) (orgID, campaignID, callID string, ok bool) {
	rest, found := strings.CutPrefix(key, CallsPrefix)
	if !found {
		return "", "", "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 {
		return "", "", "", false
	}
	for _, p := range parts {
		if !validID(p) {
			return "", "", "", false
		}
	}
	return parts[0], parts[1], parts[2], true
}

// ValidateKey returns an error wrapping ErrInvalidKey unless key is a
// "/"-separated list of segments that each match [A-Za-z0-9_-]{1,128}.
func ValidateKey(key string) error {
	if key == "" {
		return fmt.Errorf("empty key: %w", ErrInvalidKey)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if !validID(seg) {
			return fmt.Errorf("key %q: %w", key, ErrInvalidKey)
		}
	}
	return nil
}

// validPrefix reports whether prefix is usable for List: empty, or made of key
// characters and "/" only (it may end inside a segment or with "/").
func validPrefix(prefix string) bool {
	if strings.HasPrefix(prefix, "/") || strings.Contains(prefix, "//") {
		return false
	}
	for i := range len(prefix) {
		if c := prefix[i]; c != '/' && !idChar(c) {
			return false
		}
	}
	return true
}

func validID(s string) bool {
	if s == "" || len(s) > maxIDLen {
		return false
	}
	for i := range len(s) {
		if !idChar(s[i]) {
			return false
		}
	}
	return true
}

func idChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}
