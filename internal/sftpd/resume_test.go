package sftpd_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// bigWAV writes a PCM WAV of n random payload bytes and returns its path
// and SHA-256.
func bigWAV(t *testing.T, n int) (string, string) {
	t.Helper()
	b := make([]byte, 44+n)
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+n))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)    // PCM
	binary.LittleEndian.PutUint16(b[22:], 1)    // mono
	binary.LittleEndian.PutUint32(b[24:], 8000) // Hz
	binary.LittleEndian.PutUint32(b[28:], 16000)
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(n))
	_, _ = rand.Read(b[44:])
	p := filepath.Join(t.TempDir(), "big.wav")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return p, hex.EncodeToString(sum[:])
}

// TestLargeStreamAndResume uploads a file large enough for pkg/sftp's
// workers to reorder writes, checking the SHA-256 of the call, then resumes
// a temporary upload left half-written (as by a killed client) with reput.
func TestLargeStreamAndResume(t *testing.T) {
	t.Parallel()
	h := setup(t, false)
	camp := h.env.A.CampaignID

	big, sum := bigWAV(t, 6<<20)
	out, err := h.sftpBatch(t, h.user, "put "+big+" /"+camp+"/big.wav\n")
	if err != nil {
		t.Fatalf("put: %v\n%s", err, out)
	}
	c, err := h.env.Store.CallGetBySHA256(t.Context(), camp, sum)
	if err != nil || c.SizeBytes != 44+6<<20 {
		t.Fatalf("streamed call: %+v, %v", c, err)
	}

	// A half-written temporary upload, as a killed client leaves it.
	part, partSum := bigWAV(t, 4<<20)
	b, err := os.ReadFile(part)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ssh.ParsePrivateKey(mustRead(t, h.keyFile))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := ssh.Dial("tcp", "127.0.0.1:"+strconv.Itoa(h.port), &ssh.ClientConfig{User: h.user,
		Auth: []ssh.AuthMethod{ssh.PublicKeys(key)}, HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	f, err := sc.Create("/" + camp + "/resumed.wav.part")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b[:len(b)/3]); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	_ = sc.Close()
	_ = conn.Close()

	out, err = h.sftpBatch(t, h.user, "cd /"+camp+"\nreput "+part+" resumed.wav.part\nrename resumed.wav.part resumed.wav\n")
	if err != nil {
		t.Fatalf("reput: %v\n%s", err, out)
	}
	c, err = h.env.Store.CallGetBySHA256(t.Context(), camp, partSum)
	if err != nil || c.SizeBytes != int64(len(b)) {
		t.Fatalf("resumed call: %+v, %v\n%s", c, err, out)
	}
	staged, err := os.ReadDir(filepath.Join(h.dir, "staging"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range staged {
		left, _ := os.ReadDir(filepath.Join(h.dir, "staging", d.Name(), camp))
		if len(left) != 0 {
			t.Errorf("staging keeps %v after the rename", left)
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
