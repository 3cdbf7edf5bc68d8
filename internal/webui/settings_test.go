package webui_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// apiStatus calls the API of the running server with an API key.
func apiStatus(t *testing.T, base, key string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/v1/calls", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Api-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// TestBrowserSettingsKeys: an administrator creates an API key on the
// page, sees its secret once, uses it against the API, then revokes it on
// the page and the API refuses it.
func TestBrowserSettingsKeys(t *testing.T) {
	t.Parallel()
	e := setup(t, nil)
	ctx, consoleErrors := browser(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.Web.URL+"/settings/keys"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), e.AdminA),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("key-name")),
		chromedp.SendKeys(chromedp.ID("key-name"), "nightly export"),
		chromedp.Click(chromedp.CSS(`#key-name ~ fieldset input[value="calls:read"]`)),
		chromedp.Click(chromedp.ID("key-create")),
		chromedp.WaitVisible(chromedp.ID("new-secret")),
	); err != nil {
		t.Fatal(err)
	}
	secret, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('new-secret').value`))
	if err != nil || secret == "" {
		t.Fatalf("secret shown: %q (%v)", secret, err)
	}
	screenshot(ctx, t, "settings-keys-en.png")
	if got := apiStatus(t, e.URL, secret); got != http.StatusOK {
		t.Fatalf("API with the new key: %d, want 200", got)
	}
	// Shown once: the list page does not carry it.
	if err := chromedp.Do(ctx, chromedp.Navigate(e.Web.URL+"/settings/keys"), chromedp.WaitVisible(chromedp.ID("keys"))); err != nil {
		t.Fatal(err)
	}
	html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if err != nil || strings.Contains(html, secret) {
		t.Fatalf("the secret is shown again (%v)", err)
	}
	// Revoking asks first; the test accepts the dialog.
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
		chromedp.Click(chromedp.CSS(`button[aria-label="Revoke nightly export"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#keys .revoked`)),
	); err != nil {
		t.Fatal(err)
	}
	if msg := <-asked; !strings.Contains(msg, "Revoke this credential?") {
		t.Errorf("confirmation asked: %q", msg)
	}
	if got := apiStatus(t, e.URL, secret); got != http.StatusUnauthorized {
		t.Fatalf("API with the revoked key: %d, want 401", got)
	}
	// An OAuth client: its id and secret get a token.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("client-name"), "crm"),
		chromedp.Click(chromedp.ID("client-create")),
		chromedp.WaitVisible(chromedp.ID("new-client-id")),
	); err != nil {
		t.Fatal(err)
	}
	creds, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[document.getElementById('new-client-id').value, document.getElementById('new-secret').value]`))
	if err != nil {
		t.Fatal(err)
	}
	if got := tokenStatus(t, e.URL, creds[0], creds[1]); got != http.StatusOK {
		t.Errorf("token for the new client: %d", got)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.Web.URL+"/settings/users"),
		chromedp.WaitVisible(chromedp.ID("users")),
		chromedp.Click(chromedp.CSS(`button[name=lang][value=fr]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang=fr] #users`)),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(ctx, t, "settings-users-fr.png")
	checkConsole(t, consoleErrors(), 0)
}

func tokenStatus(t *testing.T, base, id, secret string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/oauth/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(id+":"+secret)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// TestSettingsRoles: members get 403 on every settings page and action;
// an administrator invites a user with a temporary password that signs in,
// makes them an administrator, then disables them, which ends their
// session at its next request.
func TestSettingsRoles(t *testing.T) {
	t.Parallel()
	e := setup(t, nil)
	member, admin := client(t), client(t)
	if e.login(t, member, e.EmailA, password) != http.StatusSeeOther || e.login(t, admin, e.AdminA, password) != http.StatusSeeOther {
		t.Fatal("sign in failed")
	}
	form := "application/x-www-form-urlencoded"
	for _, q := range []struct{ method, path, body string }{
		{"GET", "/settings/keys", ""}, {"GET", "/settings/users", ""}, {"GET", "/settings", ""},
		{"POST", "/settings/keys", "name=x&scope=admin"}, {"POST", "/settings/clients", "name=x&scope=admin"},
		{"POST", "/settings/users", "email=evil@a.example.com&role=admin"},
		{"POST", "/settings/keys/any/revoke", ""}, {"POST", "/settings/users/any", "role=admin"},
	} {
		r := e.do(t, member, q.method, q.path, q.body, form)
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "Only administrators") {
			t.Errorf("member %s %s: %d, want the 403 page", q.method, q.path, r.Status)
		}
	}
	if r := e.do(t, member, "GET", "/campaigns", "", ""); strings.Contains(r.Body, "/settings/users") {
		t.Error("a member's menu links to the settings")
	}
	if r := e.do(t, admin, "GET", "/settings/users", "", "", "Accept-Language", "fr"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Inviter un utilisateur") {
		t.Fatalf("admin users page in French: %d", r.Status)
	}
	r := e.do(t, admin, "POST", "/settings/users", "email=Carol@A.example.com&role=member", form)
	m := regexp.MustCompile(`id="new-password" readonly value="([a-z0-9]+)"`).FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil {
		t.Fatalf("invite: %d\n%s", r.Status, r.Body)
	}
	if r := e.do(t, admin, "POST", "/settings/users", "email=carol@a.example.com&role=member", form); r.Status != http.StatusConflict {
		t.Errorf("invite twice: %d, want 409", r.Status)
	}
	carol := client(t)
	if got := e.login(t, carol, "carol@a.example.com", m[1]); got != http.StatusSeeOther {
		t.Fatalf("sign in with the temporary password: %d", got)
	}
	if r := e.do(t, carol, "GET", "/settings/users", "", ""); r.Status != http.StatusForbidden {
		t.Fatalf("new member on settings: %d", r.Status)
	}
	// The invited user replaces the temporary password.
	newPW := "a much better passphrase"
	for _, c := range []struct {
		body   string
		status int
	}{
		{url.Values{"current": {"wrong"}, "new": {newPW}, "again": {newPW}}.Encode(), http.StatusUnauthorized},
		{url.Values{"current": {m[1]}, "new": {"short"}, "again": {"short"}}.Encode(), http.StatusUnprocessableEntity},
		{url.Values{"current": {m[1]}, "new": {newPW}, "again": {newPW + "x"}}.Encode(), http.StatusUnprocessableEntity},
		{url.Values{"current": {m[1]}, "new": {newPW}, "again": {newPW}}.Encode(), http.StatusOK},
	} {
		if r := e.do(t, carol, "POST", "/account/password", c.body, form); r.Status != c.status {
			t.Fatalf("change password (%s): %d, want %d", c.body, r.Status, c.status)
		}
	}
	if got := e.login(t, client(t), "carol@a.example.com", m[1]); got != http.StatusUnauthorized {
		t.Fatalf("the temporary password still signs in: %d", got)
	}
	if got := e.login(t, client(t), "carol@a.example.com", newPW); got != http.StatusSeeOther {
		t.Fatalf("the new password does not sign in: %d", got)
	}
	u, err := e.Store.UserGetByEmail(t.Context(), "carol@a.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if r := e.do(t, admin, "POST", "/settings/users/"+u.ID, "role=admin", form); r.Status != http.StatusSeeOther {
		t.Fatalf("make admin: %d", r.Status)
	}
	if r := e.do(t, carol, "GET", "/settings/users", "", ""); r.Status != http.StatusOK {
		t.Fatalf("promoted user on settings: %d (the role is read at each request)", r.Status)
	}
	if r := e.do(t, admin, "POST", "/settings/users/"+u.ID, "disabled=true", form); r.Status != http.StatusSeeOther {
		t.Fatalf("disable: %d", r.Status)
	}
	if r := e.do(t, carol, "GET", "/campaigns", "", ""); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("disabled user's session: %d %q, want a redirect to /login", r.Status, r.Header.Get("Location"))
	}
	if got := e.login(t, carol, "carol@a.example.com", newPW); got != http.StatusUnauthorized {
		t.Fatalf("disabled user signs in: %d", got)
	}
	// An administrator cannot lock themselves out, nor reach another organisation's user.
	me, _ := e.Store.UserGetByEmail(t.Context(), e.AdminA)
	if r := e.do(t, admin, "POST", "/settings/users/"+me.ID, "disabled=true", form); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("disable oneself: %d, want 422", r.Status)
	}
	bob, _ := e.Store.UserGetByEmail(t.Context(), e.EmailB)
	if r := e.do(t, admin, "POST", "/settings/users/"+bob.ID, "disabled=true", form); r.Status != http.StatusNotFound {
		t.Errorf("disable another organisation's user: %d, want 404", r.Status)
	}
	if b, _ := e.Store.UserGet(t.Context(), bob.OrgID, bob.ID); b.Disabled {
		t.Error("another organisation's user was disabled")
	}
}

// ctxTimeout is a short context for one stream read.
func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}
