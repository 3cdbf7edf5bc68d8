package webui_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/webui"
)

// sineWAV writes a 16-bit mono 8 kHz WAV of seconds of a 440 Hz tone.
func sineWAV(t *testing.T, seconds int) (string, []byte) {
	t.Helper()
	n := 8000 * seconds
	b := make([]byte, 44+2*n)
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*n))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)
	binary.LittleEndian.PutUint16(b[22:], 1)
	binary.LittleEndian.PutUint32(b[24:], 8000)
	binary.LittleEndian.PutUint32(b[28:], 16000)
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*n))
	for i := range n {
		v := int16(8000 * math.Sin(2*math.Pi*440*float64(i)/8000))
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(v))
	}
	p := filepath.Join(t.TempDir(), "long-call.wav")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, b
}

// TestBrowserResume cuts an upload in the middle by reloading the page
// while a chunk is held back by the server, then picks the same file
// again: the page asks the server for its offset (HEAD) and continues from
// there, and the file becomes one call with the file's SHA-256.
func TestBrowserResume(t *testing.T) {
	t.Parallel()
	const chunk = 32 << 10
	e := setup(t, func(c *webui.Config) { c.UploadChunk = chunk })
	path, data := sineWAV(t, 30) // 480 KB: 15 chunks
	sum := sha256.Sum256(data)

	// After 4 chunks, the next PATCH waits: the page is reloaded meanwhile.
	var mu sync.Mutex
	patches := 0
	held := make(chan struct{})
	release := make(chan struct{})
	e.Tus.setHold(func(*http.Request) {
		mu.Lock()
		patches++
		n := patches
		mu.Unlock()
		if n == 5 {
			close(held)
			<-release
		}
	})
	ctx, consoleErrors := browser(t)
	importURL := e.Web.URL + "/campaigns/" + e.A.CampaignID + "/settings/import"
	if err := chromedp.Do(ctx,
		chromedp.Navigate(importURL),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), e.EmailA),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("dropzone")),
		chromedp.SetUploadFiles(chromedp.ID("files"), []string{path}),
	); err != nil {
		t.Fatal(err)
	}
	select {
	case <-held:
	case <-time.After(60 * time.Second):
		t.Fatal("the upload never reached its fifth chunk")
	}
	progress, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelector('#queue progress').value`))
	if err != nil || progress <= 0 || progress >= 100 {
		t.Fatalf("progress before the cut: %d (%v)", progress, err)
	}
	// The reload cuts the held request; then the server goes on.
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("dropzone"))); err != nil {
		t.Fatal(err)
	}
	e.Tus.setHold(nil)
	close(release)
	// The page says which file was left half sent.
	notice, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("unfinished")))
	if err != nil || !strings.Contains(notice, "long-call.wav") {
		t.Errorf("unfinished uploads notice: %q (%v)", notice, err)
	}
	screenshot(ctx, t, "import-unfinished-en.png")
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.ID("files"), []string{path})); err != nil {
		t.Fatal(err)
	}
	rows := waitFinal(ctx, t, 1)
	if rows[0].Outcome != "imported" || rows[0].Progress != 100 || rows[0].Via != "events" {
		t.Fatalf("after resuming: %+v", rows[0])
	}
	screenshot(ctx, t, "import-resumed-en.png")
	if hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('unfinished').hidden`)); err != nil || !hidden {
		t.Errorf("the unfinished notice stays after the upload ended (hidden %v, %v)", hidden, err)
	}

	// The server saw one creation, a HEAD after the reload, and the PATCH
	// that followed started at the offset reached before the cut.
	reqs := e.Tus.requests()
	var posts int
	resumedAt := int64(-1)
	for i, q := range reqs {
		if q.Method == http.MethodPost {
			posts++
		}
		if q.Method == http.MethodHead && resumedAt < 0 {
			for _, next := range reqs[i+1:] {
				if next.Method == http.MethodPatch {
					resumedAt, _ = strconv.ParseInt(next.Offset, 10, 64)
					break
				}
			}
		}
	}
	if posts != 1 {
		t.Errorf("%d uploads created, want 1: %+v", posts, reqs)
	}
	if resumedAt < 4*chunk {
		t.Errorf("after the reload the upload went on at offset %d, want at least %d (not restarted): %+v", resumedAt, 4*chunk, reqs)
	}
	t.Logf("resumed at offset %d of %d after %d requests", resumedAt, len(data), len(reqs))
	calls, _, err := e.Store.CallList(t.Context(), store.CallListParams{OrgID: e.A.OrgID, CampaignID: e.A.CampaignID})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0].SHA256 != hex.EncodeToString(sum[:]) || calls[0].Status != call.StatusImported || calls[0].SizeBytes != int64(len(data)) {
		t.Fatalf("calls after the resumed upload: %+v", calls)
	}
	checkConsole(t, consoleErrors(), 0)
}

// TestBrowserCancelRetry cancels an upload in the middle (the server is
// told to terminate it), then retries it: it starts again and ends as one
// call.
func TestBrowserCancelRetry(t *testing.T) {
	t.Parallel()
	const chunk = 32 << 10
	e := setup(t, func(c *webui.Config) { c.UploadChunk = chunk })
	path, _ := sineWAV(t, 10) // 160 KB: 5 chunks
	held := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	e.Tus.setHold(func(r *http.Request) {
		if r.Header.Get("Upload-Offset") == strconv.Itoa(2*chunk) {
			once.Do(func() { close(held) })
			<-release
		}
	})
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	ctx, consoleErrors := browser(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.Web.URL+"/campaigns/"+e.A.CampaignID+"/settings/import"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), e.EmailA),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("dropzone")),
		chromedp.SetUploadFiles(chromedp.ID("files"), []string{path}),
	); err != nil {
		t.Fatal(err)
	}
	select {
	case <-held:
	case <-time.After(60 * time.Second):
		t.Fatal("the upload never reached its third chunk")
	}
	// Cancel with the keyboard: focus the row's button and press Enter.
	if err := chromedp.Do(ctx,
		chromedp.Focus(chromedp.CSS(`#queue li button`)),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS(`#queue li[data-outcome=cancelled]`)),
	); err != nil {
		t.Fatal(err)
	}
	e.Tus.setHold(nil)
	close(release)
	label, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#queue li button`)))
	if err != nil || label != "Retry" {
		t.Fatalf("button after cancel: %q (%v)", label, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#queue li button`))); err != nil {
		t.Fatal(err)
	}
	rows := waitFinal(ctx, t, 1)
	if rows[0].Outcome != "imported" {
		t.Fatalf("after retry: %+v", rows[0])
	}
	var posts, deletes int
	for _, q := range e.Tus.requests() {
		switch q.Method {
		case http.MethodPost:
			posts++
		case http.MethodDelete:
			deletes++
		}
	}
	if posts != 2 || deletes != 1 {
		t.Errorf("%d creations and %d terminations, want 2 and 1: %+v", posts, deletes, e.Tus.requests())
	}
	calls, _, err := e.Store.CallList(t.Context(), store.CallListParams{OrgID: e.A.OrgID, CampaignID: e.A.CampaignID})
	if err != nil || len(calls) != 1 {
		t.Fatalf("calls: %d (%v)", len(calls), err)
	}
	checkConsole(t, consoleErrors(), 0)
}
