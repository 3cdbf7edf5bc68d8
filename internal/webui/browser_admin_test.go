package webui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestBrowserErasure: in French, an administrator asks on the page for the
// erasure of an agent's calls, is warned and asked to confirm, then finds
// the receipt listing the erased call; the audit page shows the request.
func TestBrowserErasure(t *testing.T) {
	t.Parallel()
	e := setupAdmin(t)
	const agent = "browser.erase@a.example.com"
	callID := e.importCall(t, e.signedIn(t, e.AdminA), "browser.wav", agent)
	ctx, consoleErrors := browser(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.Web.URL+"/settings/privacy"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), e.AdminA),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("erasure-warning")),
		chromedp.Click(chromedp.CSS(`button[value="fr"]`)),
	); err != nil {
		t.Fatal(err)
	}
	waitJS(ctx, t, "the French page", `document.documentElement.lang === 'fr' && !!document.getElementById('erasure-warning')`)
	warning, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("erasure-warning")))
	if err != nil || !strings.Contains(warning, "irréversible") {
		t.Fatalf("warning %q (%v)", warning, err)
	}
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	asked := make(chan string, 1)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			asked <- ev.Message
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			return
		}
	}()
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("er-email"), agent),
		chromedp.Click(chromedp.ID("er-confirm")),
		chromedp.Click(chromedp.ID("erasure-submit")),
		chromedp.WaitVisible(chromedp.ID("erasure-status")),
	); err != nil {
		t.Fatal(err)
	}
	if msg := <-asked; !strings.Contains(msg, "irréversible") {
		t.Errorf("confirmation asked: %q", msg)
	}
	// The job runs in the background: reload until the receipt shows.
	waitJS(ctx, t, "the receipt", `(() => { if (document.querySelector('#receipt tr[data-call]')) return true;
		if (!window.__reloading) { window.__reloading = true; setTimeout(() => location.reload(), 300); } return false; })()`)
	row, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#receipt tr[data-call]').dataset.call`))
	if err != nil || row != callID {
		t.Fatalf("receipt row %q (%v), want %s", row, err, callID)
	}
	html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if err != nil || strings.Contains(strings.ToLower(html), agent) {
		t.Fatalf("the receipt page shows the e-mail (%v)", err)
	}
	screenshot(ctx, t, "erasure-receipt-fr.png")
	e.flush(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(e.Web.URL+"/settings/audit?action=erasure.request")); err != nil {
		t.Fatal(err)
	}
	waitJS(ctx, t, "the audit page", `!!document.querySelector('#audit-events tbody tr')`)
	screenshot(ctx, t, "audit-fr.png")
	checkConsole(t, consoleErrors(), 0)
}
