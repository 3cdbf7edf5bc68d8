package totp

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// RecoveryCount is how many recovery codes a user is given at a time.
const RecoveryCount = 10

// recoveryAlphabet has no letters that read alike (0/o, 1/l/i).
const recoveryAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"

// NewRecoveryCodes returns n random codes of the form "xxxxx-xxxxx" (ten
// characters of a 31-letter alphabet: about 49 bits each). Show them once;
// keep only HashRecoveryCode of each.
func NewRecoveryCodes(n int) []string {
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for j := range 10 {
			if j == 5 {
				b.WriteByte('-')
			}
			b.WriteByte(recoveryAlphabet[randIndex(len(recoveryAlphabet))])
		}
		out[i] = b.String()
	}
	return out
}

// randIndex returns a uniform random number in [0, n), n < 256.
func randIndex(n int) int {
	limit := 256 - 256%n
	var b [1]byte
	for {
		_, _ = rand.Read(b[:])
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

// NormalizeRecoveryCode returns the canonical form of a typed recovery code:
// lower case, without spaces or dashes.
func NormalizeRecoveryCode(code string) string {
	return strings.ToLower(NormalizeCode(code))
}

// HashRecoveryCode returns the hex SHA-256 of the normalised code. The codes
// are random with ~49 bits and may be tried only under the sign-in limiter,
// so a fast hash is enough.
func HashRecoveryCode(code string) string {
	sum := sha256.Sum256([]byte("callimport recovery code\x00" + NormalizeRecoveryCode(code)))
	return hex.EncodeToString(sum[:])
}
