package webui_test

import (
	"encoding/base64"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserManyFiles drops a folder of 500 recordings: the page keeps at
// most three uploads going, renders every row, and each file ends (the
// first imported, the others duplicates of it). It logs the longest task
// the page ran (a frozen page shows as one long task).
func TestBrowserManyFiles(t *testing.T) {
	t.Parallel()
	const n = 500
	e := setup(t, nil)
	wav, err := os.ReadFile(fixture(t, "wav/pcm_s16le_8k_mono.wav"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, consoleErrors := browser(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.Web.URL+"/campaigns/"+e.A.CampaignID+"/settings/import"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), e.EmailA),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("dropzone")),
		chromedp.Evaluate[chromedp.Void](`window.longest = 0; new PerformanceObserver(l => { for (const e of l.getEntries()) window.longest = Math.max(window.longest, e.duration); }).observe({type: 'longtask', buffered: true});`),
	); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const bytes = Uint8Array.from(atob('`+base64.StdEncoding.EncodeToString(wav)+`'), c => c.charCodeAt(0));
		const dt = new DataTransfer();
		for (let i = 0; i < `+strconv.Itoa(n)+`; i++) dt.items.add(new File([bytes], 'call-' + String(i).padStart(3, '0') + '.wav', {type: 'audio/wav', lastModified: 1700000000000 + i}));
		document.getElementById('dropzone').dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
	})()`)); err != nil {
		t.Fatal(err)
	}
	rows := waitFinal(ctx, t, n)
	took := time.Since(start)
	counts := map[string]int{}
	for _, r := range rows {
		counts[r.Outcome]++
	}
	if counts["imported"] != 1 || counts["duplicate"] != n-1 {
		t.Errorf("outcomes of %d copies of one recording: %v", n, counts)
	}
	if p := e.Tus.peak(); p > 3 {
		t.Errorf("%d upload requests at once, want at most 3", p)
	}
	longest, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`window.longest`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files in %v; at most %d upload requests at once; longest task on the page %.0f ms", n, took.Round(time.Millisecond), e.Tus.peak(), longest)
	checkConsole(t, consoleErrors(), 0)
}
