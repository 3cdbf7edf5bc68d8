package webui_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/callimport/callimport/internal/testenv"
)

// browser starts Debian's chromium, headless, with a profile of its own, and
// collects the console's errors and uncaught exceptions.
func browser(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	exe := testenv.Tool(t, "chromium")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("lang", "en-US"),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	var mu sync.Mutex
	var errs []string
	msgs := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				mu.Lock()
				errs = append(errs, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line))
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { cancelTimeout(); <-done })
	return ctx, func() []string { mu.Lock(); defer mu.Unlock(); return slices.Clone(errs) }
}

// row is one file of the import page's queue.
type row struct {
	Name     string `json:"name"`
	Outcome  string `json:"outcome"`
	State    string `json:"state"`
	Progress int    `json:"progress"`
	Via      string `json:"via"`
}

const rowsJS = `[...document.querySelectorAll('#queue li')].map(li => ({name: li.querySelector('.name').textContent,
	outcome: li.dataset.outcome, state: li.querySelector('.state').textContent, progress: li.querySelector('progress').value, via: li.dataset.via || ''}))`

// waitFinal waits until the queue holds n files, all with a final outcome.
func waitFinal(ctx context.Context, t *testing.T, n int) []row {
	t.Helper()
	pred := fmt.Sprintf(`(() => { const li = [...document.querySelectorAll('#queue li')];
		return li.length === %d && li.every(l => ['imported','duplicate','rejected','failed'].includes(l.dataset.outcome)); })()`, n)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](pred, chromedp.WithPollingInterval(100*time.Millisecond),
		chromedp.WithPollingTimeout(90*time.Second))); err != nil {
		rows, _ := chromedp.Run(ctx, chromedp.Evaluate[[]row](rowsJS))
		t.Fatalf("waiting for %d final outcomes: %v; rows: %+v", n, err, rows)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]row](rowsJS))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func fixture(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "audio", "testdata", rel))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func screenshot(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 is PNG
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, png, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
	if dir := os.Getenv("CALLIMPORT_TEST_SCREENSHOTS"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBrowserImport signs in, imports real recordings through the file
// picker and a drop, watches the progress and the outcomes, then finds the
// calls and plays one on the campaign page, in English and in French.
func TestBrowserImport(t *testing.T) {
	t.Parallel()
	e := setup(t, nil)
	ctx, consoleErrors := browser(t)
	importURL := e.Web.URL + "/campaigns/" + e.A.CampaignID + "/settings/import"

	if err := chromedp.Do(ctx,
		chromedp.Navigate(importURL),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), e.EmailA),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("dropzone")),
	); err != nil {
		t.Fatalf("sign in and open the import page: %v", err)
	}

	// The keyboard reaches the file picker, with a visible focus ring.
	reached := false
	for range 15 {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatal(err)
		}
		id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`))
		if err != nil {
			t.Fatal(err)
		}
		if id == "files" {
			reached = true
			break
		}
	}
	if !reached {
		t.Error("Tab never reaches the file picker")
	} else if ring, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.activeElement).outlineStyle`)); err != nil || ring == "none" {
		t.Errorf("focused file picker has outline %q (%v)", ring, err)
	}

	// Picked through the file input: three recordings and a text file named .wav.
	picked := []string{fixture(t, "wav/pcm_s16le_8k_mono.wav"), fixture(t, "mp3/cbr_id3v2_8k_mono.mp3"),
		fixture(t, "flac/flac_8k_mono.flac"), fixture(t, "nonaudio/text.wav")}
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.ID("files"), picked)); err != nil {
		t.Fatal(err)
	}
	waitFinal(ctx, t, 4)

	// Dropped: a synthetic drop event carrying real Files (read from disk by
	// a helper input), one of them already imported.
	dropped := []string{fixture(t, "wav/pcm_alaw_8k_mono.wav"), fixture(t, "wav/pcm_s16le_8k_mono.wav")}
	if err := chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`(() => { const i = document.createElement('input'); i.type = 'file'; i.multiple = true;
			i.id = 'test-drop-source'; i.style.position = 'fixed'; i.style.left = '0'; i.style.top = '0'; document.body.append(i); })()`),
		chromedp.SetUploadFiles(chromedp.ID("test-drop-source"), dropped),
		chromedp.Evaluate[chromedp.Void](`(() => { const src = document.getElementById('test-drop-source');
			const dt = new DataTransfer(); for (const f of src.files) dt.items.add(f); src.remove();
			const zone = document.getElementById('dropzone');
			zone.dispatchEvent(new DragEvent('dragenter', {dataTransfer: dt, bubbles: true, cancelable: true}));
			zone.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true})); })()`),
	); err != nil {
		t.Fatal(err)
	}
	rows := waitFinal(ctx, t, 6)
	want := map[string]string{"pcm_s16le_8k_mono.wav": "imported", "cbr_id3v2_8k_mono.mp3": "imported",
		"flac_8k_mono.flac": "imported", "text.wav": "rejected", "pcm_alaw_8k_mono.wav": "imported"}
	dups := 0
	for i, r := range rows {
		if r.Progress != 100 {
			t.Errorf("%s: progress %d, want 100", r.Name, r.Progress)
		}
		if i == 5 { // the second copy of pcm_s16le_8k_mono.wav
			if r.Outcome != "duplicate" {
				t.Errorf("%s dropped again: %q (%s), want duplicate", r.Name, r.Outcome, r.State)
			}
			dups++
			continue
		}
		if r.Outcome != want[r.Name] {
			t.Errorf("%s: %q (%s), want %q", r.Name, r.Outcome, r.State, want[r.Name])
		}
		if r.Outcome == "imported" && r.Via != "events" {
			t.Errorf("%s: outcome not learnt from the event stream (via %q)", r.Name, r.Via)
		}
	}
	if r := rows[3]; !strings.Contains(r.State, "not a recording in a supported format") {
		t.Errorf("non-audio reason: %q", r.State)
	}
	// The total is redrawn at the next animation frame: wait for it.
	var overall int
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		overall, err = chromedp.Run(ctx, chromedp.Evaluate[int](`document.getElementById('overall').value`))
		if (err == nil && overall == 100) || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || overall != 100 {
		t.Errorf("overall progress %d (%v), want 100", overall, err)
	}
	screenshot(ctx, t, "import-en.png")

	// French, through the switch: the same page, and two more files.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`button[name=lang][value=fr]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang=fr] #dropzone`)),
		chromedp.SetUploadFiles(chromedp.ID("files"), []string{fixture(t, "wav/pcm_alaw_8k_mono.wav"), fixture(t, "nonaudio/text.wav")}),
	); err != nil {
		t.Fatal(err)
	}
	rows = waitFinal(ctx, t, 2)
	if !strings.HasPrefix(rows[0].State, "Doublon") || !strings.Contains(rows[1].State, "Ce fichier n'est pas un enregistrement") {
		t.Errorf("French outcomes: %+v", rows)
	}
	h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil || h1 != "Importer des appels" {
		t.Errorf("French title %q (%v)", h1, err)
	}
	screenshot(ctx, t, "import-fr.png")

	// The campaign page lists the four calls with their duration, and the
	// player loads the audio from the session-authenticated route.
	if err := chromedp.Do(ctx, chromedp.Navigate(e.Web.URL+"/campaigns/"+e.A.CampaignID), chromedp.WaitVisible(chromedp.ID("calls"))); err != nil {
		t.Fatal(err)
	}
	type callRow struct {
		File     string `json:"file"`
		Duration string `json:"duration"`
		Players  int    `json:"players"`
	}
	calls, err := chromedp.Run(ctx, chromedp.Evaluate[[]callRow](`[...document.querySelectorAll('#calls tbody tr')].map(tr => ({
		file: tr.cells[0].textContent, duration: tr.querySelector('.duration').textContent, players: tr.querySelectorAll('audio').length}))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 4 {
		t.Fatalf("campaign page lists %d calls, want 4: %+v", len(calls), calls)
	}
	for _, c := range calls {
		if c.Duration == "—" || !strings.Contains(c.Duration, ":") || c.Players != 1 {
			t.Errorf("call row %+v: want a duration and a player", c)
		}
	}
	dur, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`new Promise((resolve, reject) => {
		const a = document.querySelector('#calls audio'); a.preload = 'auto';
		a.addEventListener('loadedmetadata', () => resolve(a.duration), {once: true});
		a.addEventListener('error', () => reject(new Error('audio error ' + (a.error && a.error.code))), {once: true});
		a.load(); })`, chromedp.EvalAwaitPromise))
	if err != nil || dur <= 0 {
		t.Errorf("player: duration %v (%v)", dur, err)
	}
	screenshot(ctx, t, "campaign-fr.png")
	// On a phone-sized screen the calls show as cards: nothing wider than
	// the screen, the reason in French before the technical detail.
	if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
	if err != nil || overflow > 0 {
		wide, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join(', ')`))
		t.Errorf("narrow screen: the page is %d px wider than the screen (%v): %s", overflow, err, wide)
	}
	screenshot(ctx, t, "campaign-narrow-fr.png")
	// Every tus request went through the session cookie: creations and chunks.
	var posts, patches int
	for _, q := range e.Tus.requests() {
		switch q.Method {
		case "POST":
			posts++
		case "PATCH":
			patches++
		}
	}
	if posts != 8 || patches < 8 {
		t.Errorf("tus requests: %d creations and %d chunks, want 8 and at least 8", posts, patches)
	}
	checkConsole(t, consoleErrors(), 2)
}

// checkConsole fails the test on any console error but the network log
// line of each of the refused non-audio files (the tus PATCH that carries
// their first bytes answers 415, as the protocol says; Chromium logs every
// 4xx it receives).
func checkConsole(t *testing.T, errs []string, refusals int) {
	t.Helper()
	var other []string
	for _, m := range errs {
		if strings.Contains(m, "status of 415") && strings.Contains(m, "/v1/uploads/") && refusals > 0 {
			refusals--
			continue
		}
		other = append(other, m)
	}
	if len(other) > 0 || refusals != 0 {
		t.Errorf("console errors (%d expected refusals not seen):\n%s", refusals, strings.Join(other, "\n"))
	}
}
