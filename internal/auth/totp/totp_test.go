package totp

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

var rfcSecret = []byte("12345678901234567890")

// TestRFC6238Vectors checks the SHA-1 vectors of RFC 6238 appendix B (8 digits).
func TestRFC6238Vectors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"},
		{1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
	} {
		if got := CodeAt(rfcSecret, Step(time.Unix(tc.unix, 0)), 8); got != tc.want {
			t.Errorf("T=%d: %s, want %s", tc.unix, got, tc.want)
		}
		// The 6-digit code is the last six digits.
		if got := Code(rfcSecret, time.Unix(tc.unix, 0)); got != tc.want[2:] {
			t.Errorf("T=%d 6 digits: %s, want %s", tc.unix, got, tc.want[2:])
		}
	}
}

// TestRFC4226Vectors checks HOTP's vectors of RFC 4226 appendix D.
func TestRFC4226Vectors(t *testing.T) {
	t.Parallel()
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for i, w := range want {
		if got := CodeAt(rfcSecret, int64(i), 6); got != w {
			t.Errorf("counter %d: %s, want %s", i, got, w)
		}
	}
}

func TestVerifyWindowAndReplay(t *testing.T) {
	t.Parallel()
	secret := NewSecret()
	now := time.Unix(1_700_000_015, 0)
	cur := Step(now)
	for _, d := range []int64{-1, 0, 1} {
		code := CodeAt(secret, cur+d, Digits)
		step, ok := Verify(secret, code, now, 0)
		if !ok || step != cur+d {
			t.Errorf("step %+d: Verify = %d, %v", d, step, ok)
		}
		if _, ok := Verify(secret, code, now, cur+d); ok {
			t.Errorf("step %+d: accepted again at or before the last step", d)
		}
	}
	for _, d := range []int64{-2, 2} {
		if _, ok := Verify(secret, CodeAt(secret, cur+d, Digits), now, 0); ok {
			t.Errorf("step %+d accepted outside the ±1 window", d)
		}
	}
	code := Code(secret, now)
	if _, ok := Verify(secret, code[:3]+" "+code[3:], now, 0); !ok {
		t.Error("a code typed with a space is refused")
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := Verify(secret, bad, now, 0); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSecretEncodingAndURI(t *testing.T) {
	t.Parallel()
	s := NewSecret()
	if len(s) != SecretSize {
		t.Fatalf("secret of %d bytes", len(s))
	}
	enc := EncodeSecret(s)
	if strings.Contains(enc, "=") || len(enc) != 32 {
		t.Fatalf("encoded secret %q", enc)
	}
	back, err := DecodeSecret(strings.ToLower(enc[:4] + " " + enc[4:]))
	if err != nil || string(back) != string(s) {
		t.Fatalf("DecodeSecret = %x, %v", back, err)
	}
	if got := EncodeSecret(rfcSecret); got != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" {
		t.Fatalf("EncodeSecret(RFC secret) = %s", got)
	}
	u, err := url.Parse(URI("call import", "alice@example.com", rfcSecret))
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/call import:alice@example.com" {
		t.Fatalf("URI %s", u)
	}
	q := u.Query()
	if q.Get("secret") != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" || q.Get("issuer") != "call import" ||
		q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Fatalf("URI query %v", q)
	}
}

func TestRecoveryCodes(t *testing.T) {
	t.Parallel()
	codes := NewRecoveryCodes(RecoveryCount)
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 11 || c[5] != '-' || seen[c] {
			t.Fatalf("code %q (codes %v)", c, codes)
		}
		seen[c] = true
		for _, r := range strings.ReplaceAll(c, "-", "") {
			if !strings.ContainsRune(recoveryAlphabet, r) {
				t.Fatalf("code %q has %q", c, r)
			}
		}
		if HashRecoveryCode(c) != HashRecoveryCode(" "+strings.ToUpper(strings.ReplaceAll(c, "-", ""))+" ") {
			t.Errorf("the hash of %q depends on case or dashes", c)
		}
	}
	if len(codes) != RecoveryCount {
		t.Fatalf("%d codes", len(codes))
	}
	if HashRecoveryCode(codes[0]) == HashRecoveryCode(codes[1]) {
		t.Fatal("two codes hash alike")
	}
	if LooksLikeCode(codes[0]) || !LooksLikeCode("123 456") {
		t.Fatal("LooksLikeCode mixes codes up")
	}
}
