package webui_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// waitJS waits until the JavaScript predicate is true.
func waitJS(ctx context.Context, t *testing.T, what, pred string) {
	t.Helper()
	var err error
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) { // a navigation under way ends the poll early: poll again
		if _, err = chromedp.Run(ctx, chromedp.Poll[bool](pred, chromedp.WithPollingInterval(100*time.Millisecond),
			chromedp.WithPollingTimeout(time.Until(deadline)))); err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('main').innerText`))
		t.Fatalf("waiting for %s: %v\npage: %s", what, err, body)
	}
}

// noticeIs is a predicate: the page's notice contains text.
func noticeIs(text string) string {
	return `(() => { const n = document.getElementById('notice'); return !!n && n.textContent.includes(` + strconv.Quote(text) + `); })()`
}

// TestBrowserGenesysAndActivity connects Genesys Cloud (the simulator) on
// the campaign's settings page, tests the connection, saves a rule,
// previews it, opens the activity view, runs the rule from a second tab and
// watches the calls arrive on the activity view without reloading, in
// English and French, with no console error.
func TestBrowserGenesysAndActivity(t *testing.T) {
	t.Parallel()
	e := setupChannels(t)
	ctx, consoleErrors := browser(t)
	page := e.Web.URL + "/campaigns/" + e.A.CampaignID + "/settings/genesys"
	id, secret := e.Sim.Credentials()
	rule := e.ruleForm()

	if err := chromedp.Do(ctx,
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), e.AdminA),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("conn-form")),
		chromedp.SetValue(chromedp.ID("g-api"), e.Sim.URL()),
		chromedp.SetValue(chromedp.ID("g-client"), id),
		chromedp.SetValue(chromedp.ID("g-secret"), secret),
		chromedp.Click(chromedp.ID("conn-save")),
	); err != nil {
		t.Fatalf("connect: %v", err)
	}
	waitJS(ctx, t, "the connection saved", noticeIs("connection was saved"))
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("conn-test")), chromedp.WaitVisible(chromedp.ID("test-org"))); err != nil {
		t.Fatalf("test connection: %v", err)
	}
	org, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("test-org")))
	if err != nil || org == "" {
		t.Fatalf("test connection shows %q (%v)", org, err)
	}
	screenshot(ctx, t, "genesys-test-en.png")

	steps := []chromedp.Action[chromedp.Void]{}
	for field, input := range map[string]string{"queues": "r-queues", "min_duration": "r-min_duration", "max_duration": "r-max_duration",
		"min_mos": "r-min_mos", "quota": "r-quota", "caps": "r-caps", "sample": "r-sample", "interval": "r-interval", "backfill": "r-backfill"} {
		steps = append(steps, chromedp.SetValue(chromedp.ID(input), rule.Get(field)))
	}
	steps = append(steps, chromedp.Click(chromedp.ID("rule-save")))
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("rule: %v", err)
	}
	waitJS(ctx, t, "the rule saved", noticeIs("rule was saved"))

	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("p-from"), "2026-05-01"),
		chromedp.SetValue(chromedp.ID("p-to"), "2026-05-08"),
		chromedp.Click(chromedp.ID("preview-run")),
		chromedp.WaitVisible(chromedp.ID("pv-kept")),
	); err != nil {
		t.Fatalf("preview: %v", err)
	}
	want, err := e.Genesys.Preview(t.Context(), e.A.OrgID, e.A.CampaignID, simStart, simStart.Add(8*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	kept, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("pv-kept")))
	if err != nil || kept != strconv.Itoa(want.Kept) {
		t.Errorf("preview kept %q (%v), service %d", kept, err, want.Kept)
	}
	screenshot(ctx, t, "genesys-preview-en.png")

	// The activity view, empty; then the rule runs from another tab.
	if err := chromedp.Do(ctx, chromedp.Navigate(e.Web.URL+"/activity"), chromedp.WaitVisible(chromedp.ID("no-activity"))); err != nil {
		t.Fatalf("activity: %v", err)
	}
	tab, cancelTab := chromedp.NewContext(ctx)
	defer cancelTab()
	if err := chromedp.Do(tab, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("rule-run")), chromedp.Click(chromedp.ID("rule-run"))); err != nil {
		t.Fatalf("run now: %v", err)
	}
	waitJS(tab, t, "the run", noticeIs("started in the background"))
	// This test server runs no scheduler loop: run what is due here; the
	// page shows it once reloaded.
	if err := e.Manager.RunGenesysDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#g-runs td.imported"))); err != nil {
		t.Fatalf("reload: %v", err)
	}
	imported, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("#g-runs td.imported")))
	if err != nil || imported == "0" {
		t.Fatalf("history: imported %q (%v)", imported, err)
	}
	screenshot(tab, t, "genesys-run-en.png")
	cancelTab()

	waitJS(ctx, t, "calls on the activity view", `document.querySelectorAll('#activity-calls tbody tr').length > 0`)
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#activity-calls tbody tr')].map(tr => tr.innerText)`))
	if err != nil || len(rows) == 0 || !strings.Contains(rows[0], "Genesys Cloud") || !strings.Contains(rows[0], "Campaign of Org A") {
		t.Fatalf("activity rows %q (%v)", rows, err)
	}
	n, _ := strconv.Atoi(imported)
	waitJS(ctx, t, "every imported call", `document.querySelectorAll('#activity-calls tbody tr[data-status=imported]').length >= `+strconv.Itoa(min(n, 30)))
	screenshot(ctx, t, "activity-en.png")

	// French, through the switch.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`button[name=lang][value=fr]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang=fr] #activity-calls`)),
	); err != nil {
		t.Fatal(err)
	}
	if h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1"))); err != nil || h1 != "Activité" { //nolint:misspell // French
		t.Errorf("French title %q (%v)", h1, err)
	}
	screenshot(ctx, t, "activity-fr.png")
	if err := chromedp.Do(ctx, chromedp.Navigate(page+"?from=2026-05-01&to=2026-05-08"), chromedp.WaitVisible(chromedp.ID("pv-kept"))); err != nil {
		t.Fatal(err)
	}
	screenshot(ctx, t, "genesys-fr.png")
	if err := chromedp.Do(ctx, chromedp.Navigate(e.Web.URL+"/campaigns/"+e.A.CampaignID+"/settings/sftp"), chromedp.WaitVisible(chromedp.ID("pull-form"))); err != nil {
		t.Fatal(err)
	}
	screenshot(ctx, t, "sftp-fr.png")
	if errs := consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}
