package webui_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/auth/totp"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/webui"
)

// clock is a settable time for the web application, so that a test can
// move to the next TOTP step instead of waiting for it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// next moves to the next 30-second step.
func (c *clock) next() { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(totp.Period) }

// setupTOTP starts the application with a settable clock.
func setupTOTP(t *testing.T, tweak func(*webui.Config)) (*env, *clock) {
	t.Helper()
	clk := &clock{t: time.Now()}
	e := setup(t, func(c *webui.Config) {
		c.Now = clk.Now
		if tweak != nil {
			tweak(c)
		}
	})
	return e, clk
}

func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v.Encode()
}

const formType = "application/x-www-form-urlencoded"

var (
	secretRe = regexp.MustCompile(`id="secret" class="totp-secret">([A-Z2-7 ]+)</code>`)
	uriRe    = regexp.MustCompile(`id="otpauth" href="([^"]+)"`)
	codesRe  = regexp.MustCompile(`<li><code>([a-z0-9-]+)</code></li>`)
)

// enrol turns TOTP on for the signed-in user of c and returns the secret
// and the recovery codes.
func (e *env) enrol(t *testing.T, c *http.Client, clk *clock) ([]byte, []string) {
	t.Helper()
	r := e.do(t, c, http.MethodGet, "/account/security", "", "")
	m := secretRe.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil || !strings.Contains(r.Body, "<svg") {
		t.Fatalf("account security page: %d\n%s", r.Status, r.Body)
	}
	secret, err := totp.DecodeSecret(m[1])
	if err != nil {
		t.Fatal(err)
	}
	um := uriRe.FindStringSubmatch(r.Body)
	if um == nil {
		t.Fatalf("no otpauth link:\n%s", r.Body)
	}
	if u, err := url.Parse(html.UnescapeString(um[1])); err != nil || u.Scheme != "otpauth" || u.Query().Get("secret") != totp.EncodeSecret(secret) {
		t.Fatalf("otpauth URI %q: %v", um[1], err)
	}
	if again := secretRe.FindStringSubmatch(e.do(t, c, http.MethodGet, "/account/security", "", "").Body); again == nil || again[1] != m[1] {
		t.Fatal("reloading the page changed the secret before it was confirmed")
	}
	if r := e.do(t, c, http.MethodPost, "/account/security/enrol", form("code", wrongCode(secret, clk.Now())), formType); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("enrol with a wrong code: %d", r.Status)
	}
	r = e.do(t, c, http.MethodPost, "/account/security/enrol", form("code", totp.Code(secret, clk.Now())), formType)
	var codes []string
	for _, m := range codesRe.FindAllStringSubmatch(r.Body, -1) {
		codes = append(codes, m[1])
	}
	if r.Status != http.StatusOK || len(codes) != totp.RecoveryCount {
		t.Fatalf("enrol: %d, %d codes\n%s", r.Status, len(codes), r.Body)
	}
	return secret, codes
}

// wrongCode returns a 6-digit code that is none of the window's.
func wrongCode(secret []byte, now time.Time) string {
	s := totp.Step(now)
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if c != totp.CodeAt(secret, s-1, 6) && c != totp.CodeAt(secret, s, 6) && c != totp.CodeAt(secret, s+1, 6) {
			return c
		}
	}
	panic("unreachable")
}

// signInCode posts the password and returns the status of the code step.
func (e *env) signInCode(t *testing.T, c *http.Client, email, code string) int {
	t.Helper()
	r := e.do(t, c, http.MethodPost, "/login", form("email", email, "password", password, "next", "/campaigns"), formType)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login/code" {
		t.Fatalf("password step: %d → %q", r.Status, r.Header.Get("Location"))
	}
	if r := e.do(t, c, http.MethodGet, "/campaigns", "", ""); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("a session exists before the second step: %d", r.Status)
	}
	if r := e.do(t, c, http.MethodGet, "/login/code", "", ""); r.Status != http.StatusOK || !strings.Contains(r.Body, `autocomplete="one-time-code"`) {
		t.Fatalf("code page: %d", r.Status)
	}
	return e.do(t, c, http.MethodPost, "/login/code", form("code", code), formType).Status
}

func (e *env) signedIn(t *testing.T, c *http.Client) bool {
	t.Helper()
	return e.do(t, c, http.MethodGet, "/campaigns", "", "").Status == http.StatusOK
}

func (e *env) logout(t *testing.T, c *http.Client) {
	t.Helper()
	if r := e.do(t, c, http.MethodPost, "/logout", "", ""); r.Status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.Status)
	}
}

func TestTOTPEnrolSignInRecovery(t *testing.T) {
	t.Parallel()
	e, clk := setupTOTP(t, nil)
	c := client(t)
	if got := e.login(t, c, e.EmailA, password); got != http.StatusSeeOther {
		t.Fatalf("sign in: %d", got)
	}
	if r := e.do(t, c, http.MethodGet, "/account/security", "", "", "Accept-Language", "fr"); !strings.Contains(r.Body, "Authentification à deux facteurs") {
		t.Fatalf("account page in French:\n%s", r.Body)
	}
	secret, codes := e.enrol(t, c, clk)
	if r := e.do(t, c, http.MethodGet, "/account/security", "", ""); !strings.Contains(r.Body, `id="codes-left">10<`) || codesRe.MatchString(r.Body) {
		t.Fatalf("account page after enrolment shows the codes again or the wrong count:\n%s", r.Body)
	}
	e.logout(t, c)

	// The code used to enrol is not accepted again (same step), nor a wrong one.
	if got := e.signInCode(t, c, e.EmailA, totp.Code(secret, clk.Now())); got != http.StatusUnauthorized {
		t.Fatalf("replayed enrolment code: %d", got)
	}
	if got := e.do(t, c, http.MethodPost, "/login/code", form("code", wrongCode(secret, clk.Now())), formType).Status; got != http.StatusUnauthorized || e.signedIn(t, c) {
		t.Fatalf("wrong code: %d", got)
	}
	clk.next()
	code := totp.Code(secret, clk.Now())
	r := e.do(t, c, http.MethodPost, "/login/code", form("code", code[:3]+" "+code[3:]), formType)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/campaigns" || !e.signedIn(t, c) {
		t.Fatalf("right code: %d → %q", r.Status, r.Header.Get("Location"))
	}
	e.logout(t, c)
	if got := e.signInCode(t, c, e.EmailA, code); got != http.StatusUnauthorized {
		t.Fatalf("a code accepted twice in one step: %d", got)
	}

	// A recovery code works once, in any case and with or without its dash.
	other := client(t)
	if got := e.signInCode(t, other, e.EmailA, strings.ToUpper(strings.ReplaceAll(codes[0], "-", ""))); got != http.StatusSeeOther || !e.signedIn(t, other) {
		t.Fatalf("recovery code: %d", got)
	}
	e.logout(t, other)
	if got := e.signInCode(t, other, e.EmailA, codes[0]); got != http.StatusUnauthorized {
		t.Fatalf("recovery code used twice: %d", got)
	}
	if got := e.do(t, other, http.MethodPost, "/login/code", form("code", codes[1]), formType).Status; got != http.StatusSeeOther {
		t.Fatalf("second recovery code: %d", got)
	}
	if r := e.do(t, other, http.MethodGet, "/account/security", "", ""); !strings.Contains(r.Body, `id="codes-left">8<`) {
		t.Fatalf("codes left after two uses:\n%s", r.Body)
	}

	// New recovery codes replace the old ones.
	clk.next()
	r = e.do(t, other, http.MethodPost, "/account/security/recovery", form("code", totp.Code(secret, clk.Now())), formType)
	fresh := codesRe.FindAllStringSubmatch(r.Body, -1)
	if r.Status != http.StatusOK || len(fresh) != totp.RecoveryCount {
		t.Fatalf("new recovery codes: %d\n%s", r.Status, r.Body)
	}
	e.logout(t, other)
	if got := e.signInCode(t, other, e.EmailA, codes[2]); got != http.StatusUnauthorized {
		t.Fatalf("an old recovery code after regeneration: %d", got)
	}
	if got := e.do(t, other, http.MethodPost, "/login/code", form("code", fresh[0][1]), formType).Status; got != http.StatusSeeOther {
		t.Fatalf("a new recovery code: %d", got)
	}

	// Turning off needs a right code; then the password is enough again.
	if r := e.do(t, other, http.MethodPost, "/account/security/disable", form("code", "999999"), formType); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("disable with a wrong code: %d", r.Status)
	}
	clk.next()
	if r := e.do(t, other, http.MethodPost, "/account/security/disable", form("code", totp.Code(secret, clk.Now())), formType); r.Status != http.StatusOK || !strings.Contains(r.Body, "now off") {
		t.Fatalf("disable: %d\n%s", r.Status, r.Body)
	}
	e.logout(t, other)
	r = e.do(t, other, http.MethodPost, "/login", form("email", e.EmailA, "password", password), formType)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") == "/login/code" || !e.signedIn(t, other) {
		t.Fatalf("sign-in after turning off: %d → %q", r.Status, r.Header.Get("Location"))
	}
}

func TestTOTPCodeStepLocks(t *testing.T) {
	t.Parallel()
	e, clk := setupTOTP(t, func(c *webui.Config) { c.SlowAfter = 10; c.LockAfter = 3; c.LockFor = time.Hour })
	c := client(t)
	e.login(t, c, e.EmailA, password)
	secret, _ := e.enrol(t, c, clk)
	e.logout(t, c)
	bad := wrongCode(secret, clk.Now())
	if got := e.signInCode(t, c, e.EmailA, bad); got != http.StatusUnauthorized {
		t.Fatalf("wrong code 1: %d", got)
	}
	// A right password in between does not reset the count of wrong codes.
	if got := e.signInCode(t, c, e.EmailA, bad); got != http.StatusUnauthorized {
		t.Fatalf("wrong code 2: %d", got)
	}
	if got := e.do(t, c, http.MethodPost, "/login/code", form("code", bad), formType).Status; got != http.StatusTooManyRequests {
		t.Fatalf("wrong code 3: %d, want 429", got)
	}
	clk.next()
	if got := e.do(t, c, http.MethodPost, "/login/code", form("code", totp.Code(secret, clk.Now())), formType).Status; got != http.StatusTooManyRequests || e.signedIn(t, c) {
		t.Fatalf("right code while locked: %d, want 429", got)
	}
	// Without a pending sign-in the code page sends back to the password.
	if r := e.do(t, client(t), http.MethodPost, "/login/code", form("code", totp.Code(secret, clk.Now())), formType); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Fatalf("code without a pending sign-in: %d %q", r.Status, r.Header.Get("Location"))
	}
}

func TestTOTPRequiredByOrg(t *testing.T) {
	t.Parallel()
	e, clk := setupTOTP(t, nil)
	admin := "admin@a.example.com"
	if _, err := e.Store.UserCreate(t.Context(), store.UserCreateParams{OrgID: e.A.OrgID, Email: admin,
		Role: store.RoleAdmin, PasswordHash: auth.HashPassword(password)}); err != nil {
		t.Fatal(err)
	}
	member := client(t)
	e.login(t, member, e.EmailA, password)
	if r := e.do(t, member, http.MethodGet, "/settings/security", "", ""); r.Status != http.StatusNotFound {
		t.Fatalf("member opens the org security page: %d", r.Status)
	}
	if r := e.do(t, member, http.MethodPost, "/settings/security", form("require", "on"), formType); r.Status != http.StatusNotFound {
		t.Fatalf("member sets the requirement: %d", r.Status)
	}
	requires := func() bool {
		st, err := e.Store.(store.TOTP).TwoFactorStatus(t.Context(), e.A.OrgID, "")
		if err != nil {
			t.Fatal(err)
		}
		return st.OrgRequires
	}
	if requires() {
		t.Fatal("a member turned the requirement on")
	}

	a := client(t)
	e.login(t, a, admin, password)
	if r := e.do(t, a, http.MethodGet, "/settings/security", "", "", "Accept-Language", "fr"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Exiger l&#39;authentification") {
		t.Fatalf("admin opens the org security page: %d\n%s", r.Status, r.Body)
	}
	if r := e.do(t, a, http.MethodPost, "/settings/security", form("require", "on"), formType); r.Status != http.StatusConflict || requires() {
		t.Fatalf("admin without TOTP requires it: %d", r.Status)
	}
	e.enrol(t, a, clk)
	if r := e.do(t, a, http.MethodPost, "/settings/security", form("require", "on"), formType); r.Status != http.StatusOK || !requires() {
		t.Fatalf("admin requires TOTP: %d", r.Status)
	}

	// The member (already signed in, and signing in again) must enrol before anything else.
	for _, c := range []*http.Client{member, client(t)} {
		if c != member {
			e.login(t, c, e.EmailA, password)
		}
		if r := e.do(t, c, http.MethodGet, "/campaigns", "", ""); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account/security" {
			t.Fatalf("member without TOTP opens campaigns: %d %q", r.Status, r.Header.Get("Location"))
		}
		if r := e.do(t, c, http.MethodGet, "/campaigns/"+e.A.CampaignID+"/calls/x/status", "", ""); r.Status != http.StatusForbidden {
			t.Fatalf("member without TOTP calls the API: %d", r.Status)
		}
	}
	if r := e.do(t, member, http.MethodGet, "/account/security", "", ""); !strings.Contains(r.Body, `id="tf-required"`) {
		t.Fatalf("the enrolment page does not say why:\n%s", r.Body)
	}
	secret, _ := e.enrol(t, member, clk)
	if !e.signedIn(t, member) {
		t.Fatal("member still held back after enrolling")
	}
	clk.next()
	if r := e.do(t, member, http.MethodPost, "/account/security/disable", form("code", totp.Code(secret, clk.Now())), formType); r.Status != http.StatusConflict {
		t.Fatalf("disable while required: %d", r.Status)
	}
	// Another organisation is not affected.
	b := client(t)
	if e.login(t, b, e.EmailB, password); !e.signedIn(t, b) {
		t.Fatal("org B's user is held back by org A's requirement")
	}
	// Turning it off again frees the way.
	if r := e.do(t, a, http.MethodPost, "/settings/security", "", formType); r.Status != http.StatusOK || requires() {
		t.Fatalf("turn the requirement off: %d", r.Status)
	}
}

// TestTOTPAdminReset checks that an administrator can reset a user's
// two-factor authentication (lost phone and codes): the users page shows
// it on, the reset turns it off, the user signs in with the password
// alone. A user of another organisation or a
// made-up id is not found; members cannot reset.
func TestTOTPAdminReset(t *testing.T) {
	t.Parallel()
	e, clk := setupTOTP(t, nil)
	alice := client(t)
	if got := e.login(t, alice, e.EmailA, password); got != http.StatusSeeOther {
		t.Fatalf("sign in: %d", got)
	}
	e.enrol(t, alice, clk)
	e.logout(t, alice)

	var aliceID, bobID string
	for _, org := range []string{e.A.OrgID, e.B.OrgID} {
		users, err := e.Store.UserList(t.Context(), org)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			switch u.Email {
			case e.EmailA:
				aliceID = u.ID
			case e.EmailB:
				bobID = u.ID
			}
		}
	}
	reset := form("reset_two_step", "true")

	// A member cannot reset anyone's.
	bob := client(t)
	if got := e.login(t, bob, e.EmailB, password); got != http.StatusSeeOther {
		t.Fatalf("bob signs in: %d", got)
	}
	if r := e.do(t, bob, http.MethodPost, "/settings/users/"+aliceID, reset, formType); r.Status != http.StatusForbidden {
		t.Fatalf("member resets: %d", r.Status)
	}

	ada := client(t)
	if got := e.login(t, ada, e.AdminA, password); got != http.StatusSeeOther {
		t.Fatalf("admin signs in: %d", got)
	}
	page := e.do(t, ada, http.MethodGet, "/settings/users", "", "")
	if !strings.Contains(page.Body, `name="reset_two_step"`) || strings.Count(page.Body, `name="reset_two_step"`) != 1 {
		t.Fatalf("users page: want one reset button (alice's)\n%s", page.Body)
	}
	for _, id := range []string{bobID, "01a00000-0000-7000-8000-000000000000"} {
		if r := e.do(t, ada, http.MethodPost, "/settings/users/"+id, reset, formType); r.Status != http.StatusNotFound {
			t.Errorf("reset of %s: %d, want 404", id, r.Status)
		}
	}
	if r := e.do(t, ada, http.MethodPost, "/settings/users/"+aliceID, reset, formType); r.Status != http.StatusSeeOther {
		t.Fatalf("reset: %d\n%s", r.Status, r.Body)
	}
	if page := e.do(t, ada, http.MethodGet, "/settings/users", "", ""); strings.Contains(page.Body, `name="reset_two_step"`) {
		t.Fatal("the reset button is still there")
	}
	r := e.do(t, alice, http.MethodPost, "/login", form("email", e.EmailA, "password", password), formType)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") == "/login/code" || !e.signedIn(t, alice) {
		t.Fatalf("sign-in after the reset: %d → %q", r.Status, r.Header.Get("Location"))
	}
}
