package genesys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Sealer encrypts connection secrets at rest with AES-256-GCM. Each sealed
// value is bound to its organisation (additional data), so it cannot be
// moved to another one. Sealed form: "v1:" + base64(nonce || ciphertext).
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer takes a 32-byte key, given as base64 (standard or URL) text.
func NewSealer(keyB64 string) (*Sealer, error) {
	keyB64 = strings.TrimSpace(keyB64)
	key, err := base64.StdEncoding.DecodeString(keyB64)
	if err != nil {
		key, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(keyB64, "="))
	}
	if err != nil || len(key) != 32 {
		return nil, errors.New("genesys secret key: need 32 bytes in base64 (e.g. openssl rand -base64 32)")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("genesys secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("genesys secret key: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts secret for orgID.
func (s *Sealer) Seal(orgID, secret string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal secret: %w", err)
	}
	out := s.aead.Seal(nonce, nonce, []byte(secret), []byte(orgID))
	return "v1:" + base64.StdEncoding.EncodeToString(out), nil
}

// ErrUnseal means a sealed secret could not be decrypted (other key, other
// organisation, or altered).
var ErrUnseal = errors.New("genesys: cannot decrypt the stored client secret")

// Open decrypts a value sealed for orgID.
func (s *Sealer) Open(orgID, sealed string) (string, error) {
	b64, ok := strings.CutPrefix(sealed, "v1:")
	if !ok {
		return "", ErrUnseal
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", ErrUnseal
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], []byte(orgID))
	if err != nil {
		return "", ErrUnseal
	}
	return string(plain), nil
}
