package webui

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// sessionCookie is the name of the session cookie.
const sessionCookie = "callimport_session"

// session is what the encrypted cookie carries. The user is re-read on each
// request, so disabling a user ends their sessions at once.
type session struct {
	UserID  string    `json:"u"`
	OrgID   string    `json:"o"`
	Expires time.Time `json:"e"`
}

// sealer encrypts and authenticates cookies with AES-256-GCM.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) < 32 {
		return nil, errors.New("session key must be at least 32 bytes")
	}
	k := sha256.Sum256(append([]byte("callimport web session v1\x00"), key...))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, fmt.Errorf("session cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("session cipher: %w", err)
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(sess session) (string, error) {
	plain, err := json.Marshal(sess)
	if err != nil {
		return "", fmt.Errorf("encode session: %w", err)
	}
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	out := s.aead.Seal(nonce, nonce, plain, []byte(sessionCookie))
	return base64.RawURLEncoding.EncodeToString(out), nil
}

// open returns the session in v, or false when it was not made by this key,
// was altered or has expired.
func (s *sealer) open(v string, now time.Time) (session, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(raw) < s.aead.NonceSize()+s.aead.Overhead() {
		return session{}, false
	}
	ns := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:ns], raw[ns:], []byte(sessionCookie))
	if err != nil {
		return session{}, false
	}
	var sess session
	if json.Unmarshal(plain, &sess) != nil || !now.Before(sess.Expires) || sess.UserID == "" {
		return session{}, false
	}
	return sess, true
}

// setSession writes the session cookie; an empty value clears it.
func (h *handler) setSession(w http.ResponseWriter, value string, expires time.Time) {
	c := &http.Cookie{Name: sessionCookie, Value: value, Path: "/", HttpOnly: true,
		Secure: h.cfg.SecureCookies, SameSite: http.SameSiteLaxMode}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.Expires = expires
	}
	http.SetCookie(w, c)
}
