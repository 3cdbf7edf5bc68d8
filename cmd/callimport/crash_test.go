package main_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/callimport/callimport/client"
)

// wavBytes returns a valid 8 kHz mono 16-bit WAV of n samples whose content
// depends on seed (so that every upload is a distinct call).
func wavBytes(seed uint64, n int) []byte {
	var b bytes.Buffer
	data := n * 2
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+data))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(8000), uint32(16000), uint16(2), uint16(16)} {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(data))
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for range n {
		_ = binary.Write(&b, binary.LittleEndian, int16(r.IntN(2000)-1000))
	}
	return b.Bytes()
}

// TestCrashLosesNothing kills the server (SIGKILL) while uploads are in
// flight. After a restart every acknowledged call reaches imported, no call
// exists twice, and the clean-up leaves no blob without its call.
func TestCrashLosesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := startServe(t, dir)
	key, camp := p.APIKey, p.Camp
	c := client.New(p.URL, client.WithAPIKey(key))

	var mu sync.Mutex
	acked := map[string]string{} // call id → sha256
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	const uploads = 48
	firstAcks := make(chan struct{})
	var once sync.Once
	for i := range uploads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			samples := 8000 + i*4000 // 16 KB to ~400 KB
			if i%8 == 7 {
				samples = 2_000_000 // 4 MB: likely in flight at the kill
			}
			res, err := c.UploadCall(ctx, client.Upload{CampaignID: camp, FileName: fmt.Sprintf("call-%02d.wav", i),
				Body: bytes.NewReader(wavBytes(uint64(i)+1, samples)), ExternalID: fmt.Sprintf("ext-%02d", i)})
			if err != nil {
				return // cut by the kill: not acknowledged
			}
			mu.Lock()
			acked[res.ID] = res.SHA256
			if len(acked) >= 8 {
				once.Do(func() { close(firstAcks) })
			}
			mu.Unlock()
		}()
	}
	select {
	case <-firstAcks:
	case <-ctx.Done():
		t.Fatal("no acknowledgements before the kill")
	}
	p.kill(syscall.SIGKILL)
	wg.Wait()
	mu.Lock()
	n := len(acked)
	mu.Unlock()
	t.Logf("%d of %d uploads acknowledged before SIGKILL", n, uploads)

	p2 := startServe(t, dir, "--orphan-age", "1s", "--orphan-interval", "1s", "--sftp-metadata-wait", "500ms")
	c2 := client.New(p2.URL, client.WithAPIKey(key))
	for id, sum := range acked {
		got, err := c2.WaitCall(ctx, id)
		if err != nil {
			t.Fatalf("acknowledged call %s: %v", id, err)
		}
		if got.Status != "imported" || got.SHA256 != sum {
			reason := ""
			if got.RejectionReason != nil {
				reason = *got.RejectionReason
			}
			t.Errorf("acknowledged call %s: status %s %q sha %s (want imported %s)", id, got.Status, reason, got.SHA256, sum)
		}
	}

	// Every call in the campaign is distinct and reaches a final status.
	seen := map[string]bool{}
	keys := map[string]bool{}
	var cursor string
	for {
		page, err := c2.ListCalls(ctx, client.ListCallsParams{CampaignID: camp, Limit: 500, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, call := range page.Data {
			if seen[call.SHA256] || seen[*call.ExternalID] {
				t.Errorf("call %s exists twice", call.SHA256)
			}
			seen[call.SHA256], seen[*call.ExternalID] = true, true
			if _, err := c2.WaitCall(ctx, call.ID); err != nil {
				t.Errorf("call %s never finished: %v", call.ID, err)
			}
			keys[call.ID] = true
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	for id := range acked {
		if !keys[id] {
			t.Errorf("acknowledged call %s is missing from the listing", id)
		}
	}

	// After the clean-up, every stored blob (and temporary file) belongs to a call.
	blobs := filepath.Join(dir, "blobs")
	deadline := time.Now().Add(30 * time.Second)
	for {
		var orphans []string
		_ = filepath.WalkDir(blobs, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if !keys[filepath.Base(path)] || strings.Contains(path, string(filepath.Separator)+".tmp"+string(filepath.Separator)) {
				orphans = append(orphans, path)
			}
			return nil
		})
		if len(orphans) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("orphans left after clean-up: %v\n%s", orphans, p2.logs(t))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
