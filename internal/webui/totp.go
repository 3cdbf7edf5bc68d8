package webui

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/callimport/callimport/internal/store"
)

// Two-factor authentication (TOTP, RFC 6238) of web users:
//
//   - sign-in: a user with TOTP who gives the right password gets no session
//     but a short-lived sealed "pending" cookie, and the page /login/code
//     asks for a code of the app or a recovery code (login.go calls
//     secondFactorStep); failures count in the sign-in limiter under a key
//     of their own, so a right password does not reset them;
//   - /account/security: enrol (QR code, secret as text, confirm with a
//     code, recovery codes shown once), regenerate recovery codes, turn off;
//   - /settings/security (administrators): require two-factor for everyone;
//     page and api then send a signed-in user without TOTP to enrol first.
//
// The TOTP secrets are stored sealed with AES-256-GCM under a key derived
// from Config.SessionKey (its own label, the user id as associated data):
// changing the session key makes every enrolled secret unreadable: codes
// of the app are then refused, recovery codes (stored as hashes) still sign
// in, and the user turns two-factor off and enrols again.

// totpPageNames are the pages of two-factor authentication (render.go parses them).
var totpPageNames = []string{"totp_code", "totp_account", "totp_org"}

// totpIssuer names the service in authenticator apps.
const totpIssuer = "callimport"

// routesTOTP registers the two-factor routes.
func (h *handler) routesTOTP(mux *http.ServeMux) {
	if _, ok := h.tfa(); !ok {
		h.log.Warn("two-factor authentication unavailable: the store does not implement store.TOTP")
	}
	mux.HandleFunc("GET /login/code", h.codePage)
	mux.HandleFunc("POST /login/code", h.codeLogin)
	mux.HandleFunc("GET /account/security", h.signedIn(h.accountSecurity))
	mux.HandleFunc("POST /account/security/enrol", h.signedIn(h.enrol))
	mux.HandleFunc("POST /account/security/recovery", h.signedIn(h.regenerateRecovery))
	mux.HandleFunc("POST /account/security/disable", h.signedIn(h.disableTOTP))
	mux.HandleFunc("GET /settings/security", h.page(h.orgSecurity))
	mux.HandleFunc("POST /settings/security", h.page(h.orgSecuritySave))
}

// tfa returns the store's TOTP capability; false when the backend has none
// (then nobody can enrol and sign-in is by password alone).
func (h *handler) tfa() (store.TOTP, bool) {
	s, ok := h.cfg.Store.(store.TOTP)
	return s, ok
}

// signedIn is page without the two-factor requirement, for the pages where
// a user enrols.
func (h *handler) signedIn(fn func(http.ResponseWriter, *http.Request, viewer)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, ok := h.current(r)
		if !ok {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		fn(w, r, viewer{User: u, T: h.translator(pickLang(r))})
	}
}

// mustEnrol reports whether it answered the request because the user's
// organisation requires two-factor authentication and the user has none:
// pages redirect to /account/security, api routes answer 403. A failed
// look-up is answered 503 (the requirement is never skipped).
func (h *handler) mustEnrol(w http.ResponseWriter, r *http.Request, u store.User, api bool) bool {
	ts, ok := h.tfa()
	if !ok {
		return false
	}
	st, err := ts.TwoFactorStatus(r.Context(), u.OrgID, u.ID)
	t := h.translator(pickLang(r))
	switch {
	case err != nil:
		h.log.ErrorContext(r.Context(), "two-factor status failed", "error", err)
		if api {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"outcome": "failed", "reason": t.T("e_unavailable")})
		} else {
			h.render(w, r, http.StatusServiceUnavailable, "error", t, &u, t.T("error"), nil)
		}
		return true
	case !st.OrgRequires || st.Enrolled:
		return false
	case api:
		writeJSON(w, http.StatusForbidden, map[string]string{"outcome": "failed", "reason": t.T("tf_required")})
	default:
		http.Redirect(w, r, "/account/security", http.StatusSeeOther)
	}
	return true
}

// box seals small values with AES-256-GCM under a key derived from the
// session key and a label of its own.
type box struct{ aead cipher.AEAD }

func newBox(key []byte, label string) (*box, error) {
	if len(key) < 32 {
		return nil, errors.New("session key must be at least 32 bytes")
	}
	k := sha256.Sum256(append([]byte(label+"\x00"), key...))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, fmt.Errorf("%s cipher: %w", label, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("%s cipher: %w", label, err)
	}
	return &box{aead: aead}, nil
}

// seal returns "v1:" and the base64url of nonce and ciphertext.
func (b *box) seal(plain []byte, ad string) string {
	nonce := make([]byte, b.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return "v1:" + base64.RawURLEncoding.EncodeToString(b.aead.Seal(nonce, nonce, plain, []byte(ad)))
}

// open returns what seal sealed with the same associated data.
func (b *box) open(v, ad string) ([]byte, error) {
	s, ok := strings.CutPrefix(v, "v1:")
	if !ok {
		return nil, errors.New("unknown sealed format")
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) < b.aead.NonceSize()+b.aead.Overhead() {
		return nil, errors.New("malformed sealed value")
	}
	ns := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:ns], raw[ns:], []byte(ad))
	if err != nil {
		return nil, fmt.Errorf("open sealed value: %w", err)
	}
	return plain, nil
}

// secretBox seals TOTP secrets at rest.
func (h *handler) secretBox() (*box, error) {
	return newBox(h.cfg.SessionKey, "callimport totp secret v1")
}

// pendingBox seals the pending sign-in cookie.
func (h *handler) pendingBox() (*box, error) {
	return newBox(h.cfg.SessionKey, "callimport sign-in pending v1")
}

// qrSVG returns the QR code of text (error correction M) as an inline SVG
// image with a quiet zone of four modules.
func qrSVG(text, label string) (template.HTML, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	q.DisableBorder = true
	bits := q.Bitmap()
	n := len(bits) + 8
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="qr" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" shape-rendering="crispEdges">`,
		n, n, n*6, n*6, template.HTMLEscapeString(label))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bits {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+4, y+4)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil //nolint:gosec // built here from numbers and an escaped label
}
