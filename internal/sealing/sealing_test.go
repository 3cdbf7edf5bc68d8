package sealing_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/callimport/callimport/internal/sealing"
)

func TestSealOpen(t *testing.T) {
	t.Parallel()
	k1, k2 := sealing.NewKey(), sealing.NewKey()
	kr, err := sealing.New(k1)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := kr.Seal("org1", "s3cret")
	if err != nil || !strings.HasPrefix(sealed, "v2:"+kr.PrimaryID()+":") || strings.Contains(sealed, "s3cret") {
		t.Fatalf("Seal = %q, %v", sealed, err)
	}
	if got, err := kr.Open("org1", sealed); err != nil || got != "s3cret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := kr.Open("org2", sealed); !errors.Is(err, sealing.ErrUnseal) {
		t.Fatalf("Open for another org: %v", err)
	}
	other, _ := sealing.New(k2)
	_, err = other.Open("org1", sealed)
	if !errors.Is(err, sealing.ErrUnseal) || !strings.Contains(err.Error(), kr.PrimaryID()) || !strings.Contains(err.Error(), "not configured") {
		t.Fatalf("Open under another key: %v; want the key id named", err)
	}
	// During a rotation: new primary, old previous.
	both, err := sealing.New(k2, k1)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := both.Open("org1", sealed); err != nil || got != "s3cret" {
		t.Fatalf("Open with the old key as previous = %q, %v", got, err)
	}
	resealed, _ := both.Seal("org1", "s3cret")
	if sealing.SealedKeyID(resealed) != other.PrimaryID() {
		t.Fatalf("sealed under %s, want the new primary %s", sealing.SealedKeyID(resealed), other.PrimaryID())
	}
	tampered := resealed[:len(resealed)-4] + "AAA="
	if _, err := both.Open("org1", tampered); !errors.Is(err, sealing.ErrUnseal) {
		t.Fatalf("Open of an altered value: %v", err)
	}
	for _, bad := range []string{"", "c2hvcnQ=", "not base64 at all"} {
		if _, err := sealing.New(bad); !errors.Is(err, sealing.ErrKey) {
			t.Errorf("New(%q) = %v, want ErrKey", bad, err)
		}
	}
	if _, err := sealing.New(k1, "c2hvcnQ="); err == nil {
		t.Error("a short previous key was accepted")
	}
}

// TestOpensV1 opens values of the earlier form (no key id), as the Genesys
// channel's sealer wrote them.
func TestOpensV1(t *testing.T) {
	t.Parallel()
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	block, _ := aes.NewCipher(raw)
	aead, _ := cipher.NewGCM(block)
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	v1 := "v1:" + base64.StdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte("old secret"), []byte("org1")))
	kr, err := sealing.New(sealing.NewKey(), base64.StdEncoding.EncodeToString(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := kr.Open("org1", v1); err != nil || got != "old secret" {
		t.Fatalf("Open v1 = %q, %v", got, err)
	}
	if sealing.SealedKeyID(v1) != "" {
		t.Fatal("v1 has no key id")
	}
}
