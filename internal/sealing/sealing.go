// Package sealing encrypts connector secrets at rest (SFTP pull passwords
// and private keys, Genesys client secrets) with AES-256-GCM under keys
// from configuration, and supports key rotation.
//
// A Keyring has one primary key, which seals, and any number of previous
// keys, which still open what they sealed while a rotation rolls out. Each
// sealed value names the key that sealed it by a key id derived from the
// key (never the key itself) and is bound to its organisation (additional
// data), so it cannot be moved to another one.
//
// Sealed form: "v2:" + key id (8 hex digits) + ":" + base64(nonce ||
// ciphertext). Values of the earlier form "v1:" + base64(...) (no key id)
// are opened by trying each key.
package sealing

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// ErrUnseal means a sealed value could not be decrypted: sealed under a key
// that is not configured, for another organisation, or altered. Every
// error of Open wraps it.
var ErrUnseal = errors.New("cannot decrypt the stored secret")

// ErrKey means a key is not 32 bytes in base64.
var ErrKey = errors.New("secret key: need 32 bytes in base64 (e.g. openssl rand -base64 32)")

type key struct {
	id   string
	aead cipher.AEAD
}

// Keyring seals with its primary key and opens with any of its keys. It
// is safe for concurrent use.
type Keyring struct {
	keys []key // keys[0] is the primary
}

// ParseKey decodes a 32-byte key given as base64 (standard or URL, padded
// or not) and returns it.
func ParseKey(keyB64 string) ([]byte, error) {
	keyB64 = strings.TrimSpace(keyB64)
	k, err := base64.StdEncoding.DecodeString(keyB64)
	if err != nil {
		k, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(keyB64, "="))
	}
	if err != nil || len(k) != 32 {
		return nil, ErrKey
	}
	return k, nil
}

// KeyID returns the id a 32-byte key is known by in sealed values: the
// first 8 hex digits of SHA-256("callimport sealing key id" || key).
func KeyID(k []byte) string {
	sum := sha256.Sum256(append([]byte("callimport sealing key id\x00"), k...))
	return hex.EncodeToString(sum[:4])
}

// New returns a keyring whose primary key is primary and that also opens
// values sealed under previous (each 32 bytes in base64; empty strings are
// ignored). A previous key equal to the primary is ignored.
func New(primary string, previous ...string) (*Keyring, error) {
	kr := &Keyring{}
	for i, s := range append([]string{primary}, previous...) {
		if i > 0 && strings.TrimSpace(s) == "" {
			continue
		}
		raw, err := ParseKey(s)
		if err != nil {
			if i == 0 {
				return nil, err
			}
			return nil, fmt.Errorf("previous %w", err)
		}
		id := KeyID(raw)
		if kr.has(id) {
			continue
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("secret key: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("secret key: %w", err)
		}
		kr.keys = append(kr.keys, key{id: id, aead: aead})
	}
	return kr, nil
}

func (kr *Keyring) has(id string) bool {
	for _, k := range kr.keys {
		if k.id == id {
			return true
		}
	}
	return false
}

// PrimaryID is the key id new values are sealed under.
func (kr *Keyring) PrimaryID() string { return kr.keys[0].id }

// Seal encrypts secret for orgID under the primary key.
func (kr *Keyring) Seal(orgID, secret string) (string, error) {
	k := kr.keys[0]
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal secret: %w", err)
	}
	out := k.aead.Seal(nonce, nonce, []byte(secret), []byte(orgID))
	return "v2:" + k.id + ":" + base64.StdEncoding.EncodeToString(out), nil
}

// SealedKeyID returns the key id a sealed value names ("" for the v1 form
// and for what is not a sealed value).
func SealedKeyID(sealed string) string {
	rest, ok := strings.CutPrefix(sealed, "v2:")
	if !ok {
		return ""
	}
	id, _, ok := strings.Cut(rest, ":")
	if !ok {
		return ""
	}
	return id
}

// Open decrypts a value sealed for orgID. A value sealed under a key the
// keyring lacks answers an error naming that key id.
func (kr *Keyring) Open(orgID, sealed string) (string, error) {
	var b64 string
	cands := kr.keys
	switch {
	case strings.HasPrefix(sealed, "v2:"):
		id := SealedKeyID(sealed)
		if id == "" {
			return "", fmt.Errorf("%w: malformed sealed value", ErrUnseal)
		}
		b64 = strings.TrimPrefix(sealed, "v2:"+id+":")
		cands = nil
		for _, k := range kr.keys {
			if k.id == id {
				cands = []key{k}
			}
		}
		if cands == nil {
			return "", fmt.Errorf("%w: it was sealed under key %s, which is not configured (set it as CALLIMPORT_SECRET_KEY_PREVIOUS until `callimport admin rotate-secret-key` has run)", ErrUnseal, id)
		}
	case strings.HasPrefix(sealed, "v1:"):
		b64 = strings.TrimPrefix(sealed, "v1:")
	default:
		return "", fmt.Errorf("%w: not a sealed value", ErrUnseal)
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", fmt.Errorf("%w: malformed sealed value", ErrUnseal)
	}
	for _, k := range cands {
		n := k.aead.NonceSize()
		if len(b) < n {
			break
		}
		if plain, err := k.aead.Open(nil, b[:n], b[n:], []byte(orgID)); err == nil {
			return string(plain), nil
		}
	}
	return "", fmt.Errorf("%w: wrong key, another organisation's value, or altered", ErrUnseal)
}

// NewKey returns a fresh random key in standard base64.
func NewKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.StdEncoding.EncodeToString(b)
}
