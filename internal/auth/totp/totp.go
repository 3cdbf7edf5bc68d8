// Package totp implements time-based one-time passwords (RFC 6238 over
// RFC 4226's HOTP) as authenticator apps use them: HMAC-SHA-1, 6 digits,
// 30-second steps, and the otpauth:// URI that enrols an app. It also makes
// and hashes single-use recovery codes.
//
// The package keeps no state: replay protection (accepting a code at most
// once per step) is the caller's, by storing the step Verify returns and
// passing it back as last.
package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // RFC 6238's default, the one every authenticator app supports
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// The parameters every authenticator app supports.
const (
	// Digits is the length of a code.
	Digits = 6
	// Period is the length of a step.
	Period = 30 * time.Second
	// Skew is how many steps either side of now a code is still accepted.
	Skew = 1
	// SecretSize is the length of a new secret in bytes (160 bits, RFC 4226's
	// recommendation for SHA-1).
	SecretSize = 20
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret returns a random secret of SecretSize bytes.
func NewSecret() []byte {
	s := make([]byte, SecretSize)
	_, _ = rand.Read(s) // crypto/rand.Read never fails
	return s
}

// EncodeSecret returns the secret in base32 without padding, as apps take it
// typed by hand.
func EncodeSecret(secret []byte) string { return b32.EncodeToString(secret) }

// DecodeSecret reads EncodeSecret's text (spaces and case are ignored).
func DecodeSecret(s string) ([]byte, error) {
	s = strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	b, err := b32.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("decode totp secret: %w", err)
	}
	return b, nil
}

// Step returns the step number of t (seconds since the Unix epoch / 30).
func Step(t time.Time) int64 { return t.Unix() / int64(Period/time.Second) }

// CodeAt returns the code of step (RFC 4226 HOTP with the step as counter),
// with digits digits.
func CodeAt(secret []byte, step int64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step)) //nolint:gosec // steps are positive
	mac := hmac.New(sha1.New, secret)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// Code returns the 6-digit code of the step that contains t.
func Code(secret []byte, t time.Time) string { return CodeAt(secret, Step(t), Digits) }

// Verify checks a 6-digit code against the steps from Skew before now to
// Skew after, skipping steps at or before last (the step of the code last
// accepted for this secret; 0 when none). It returns the matched step, to be
// stored as the new last, and true; or 0 and false.
func Verify(secret []byte, code string, now time.Time, last int64) (int64, bool) {
	code = NormalizeCode(code)
	if len(code) != Digits {
		return 0, false
	}
	cur := Step(now)
	var found int64
	for s := cur - Skew; s <= cur+Skew; s++ {
		// Compare every candidate so that the time taken does not tell which matched.
		if subtle.ConstantTimeCompare([]byte(CodeAt(secret, s, Digits)), []byte(code)) == 1 && s > last && found == 0 {
			found = s
		}
	}
	return found, found != 0
}

// NormalizeCode removes the spaces and dashes people type inside a code.
func NormalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, strings.TrimSpace(code))
}

// LooksLikeCode reports whether s, normalised, is Digits digits.
func LooksLikeCode(s string) bool {
	s = NormalizeCode(s)
	if len(s) != Digits {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// URI returns the otpauth:// URI of Google Authenticator's key URI format
// that enrols an app: label "issuer:account", with the secret, the issuer
// and the (default) algorithm, digits and period spelled out.
func URI(issuer, account string, secret []byte) string {
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	q := url.Values{}
	q.Set("secret", EncodeSecret(secret))
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", fmt.Sprint(Digits))
	q.Set("period", fmt.Sprint(int(Period/time.Second)))
	return "otpauth://totp/" + label + "?" + q.Encode()
}
