package webui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/callimport/callimport/internal/auth/totp"
)

// TestBrowserTOTPEnrol enrols with the keyboard in a real browser (the QR
// code and the key are shown, the recovery codes once), signs out and signs
// in again with a code of the "app", with no console error (a CSP
// violation would be one).
func TestBrowserTOTPEnrol(t *testing.T) {
	t.Parallel()
	e, clk := setupTOTP(t, nil)
	ctx, consoleErrors := browser(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.Web.URL+"/account/security"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), e.EmailA),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("secret")),
	); err != nil {
		t.Fatalf("sign in and open the security page: %v", err)
	}
	qr, err := chromedp.Run(ctx, chromedp.Evaluate[[]any](`(() => { const s = document.querySelector('.qr-box svg');
		const r = s.getBoundingClientRect(); return [s.getAttribute('role'), s.getAttribute('aria-label'), r.width, r.height]; })()`))
	if err != nil || len(qr) != 4 || qr[0] != "img" || qr[1] == "" || qr[2].(float64) < 150 || qr[3].(float64) < 150 {
		t.Fatalf("QR code: %v, %v", qr, err)
	}
	screenshot(ctx, t, "totp-enrol.png")
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("secret")))
	if err != nil {
		t.Fatal(err)
	}
	secret, err := totp.DecodeSecret(text)
	if err != nil {
		t.Fatalf("secret %q: %v", text, err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("enrol-code"), totp.Code(secret, clk.Now())),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("recovery-codes")),
	); err != nil {
		t.Fatalf("confirm the code: %v", err)
	}
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#recovery-codes li').length`))
	if err != nil || n != totp.RecoveryCount {
		t.Fatalf("%d recovery codes shown (%v)", n, err)
	}
	screenshot(ctx, t, "totp-codes.png")

	clk.next()
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`form.who button`)),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), e.EmailA),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("code")),
	); err != nil {
		t.Fatalf("sign out and in: %v", err)
	}
	focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`))
	if err != nil || focused != "code" {
		t.Errorf("the code field is not focused: %q (%v)", focused, err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("code"), totp.Code(secret, clk.Now())),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`form.who`)),
	); err != nil {
		t.Fatalf("second step: %v", err)
	}
	url, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil || !strings.HasPrefix(url, "/campaigns") {
		t.Errorf("after the second step the browser is at %q (%v)", url, err)
	}
	if errs := consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
