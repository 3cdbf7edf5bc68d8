package webui_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/app/apptest"
	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/httpapi"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/webui"
)

const password = "correct horse battery staple"

// env is a running server (apptest) with the web application on its own
// 127.0.0.1 listener and one signed-up user per organisation.
type env struct {
	*apptest.Env
	Web                    *httptest.Server
	EmailA, EmailB, AdminA string
	// Tus records the resumable upload requests the web server received.
	Tus *tusLog
}

// setup starts the application; tweak adjusts the web config.
func setup(t *testing.T, tweak func(*webui.Config)) *env {
	t.Helper()
	return setupWith(t, apptest.Options{}, func(_ *apptest.Env, c *webui.Config) {
		if tweak != nil {
			tweak(c)
		}
	})
}

// setupWith is setup on a server started with opts, with a tweak that
// sees the running server.
func setupWith(t *testing.T, opts apptest.Options, tweak func(*apptest.Env, *webui.Config)) *env {
	t.Helper()
	e := apptest.Start(t, opts)
	cfg := webui.Config{Store: e.Server.Store, Ingest: e.Server.Ingest, Bucket: e.Server.Bucket, Auth: e.Server.Auth,
		SessionKey: []byte(strings.Repeat("k", 32)), SessionTTL: time.Hour, EventsEvery: 100 * time.Millisecond}
	tweak(e, &cfg)
	h, err := webui.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The API beside the pages, as callimport serve mounts it, with the
	// session accepted on /v1/uploads/.
	api := httpapi.New(httpapi.Config{Store: e.Server.Store, Ingest: e.Server.Ingest, Auth: e.Server.Auth,
		Bucket: e.Server.Bucket, Uploads: e.Server.Uploads, SessionAuth: h.SessionPrincipal})
	tl := &tusLog{}
	mux := http.NewServeMux()
	mux.Handle("/v1/", tl.wrap(api))
	mux.Handle("/", h)
	web := httptest.NewServer(mux)
	t.Cleanup(web.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("tus requests: %+v", tl.requests())
		}
	})
	out := &env{Env: e, Web: web, EmailA: "alice@a.example.com", EmailB: "bob@b.example.com", AdminA: "ada@a.example.com", Tus: tl}
	hash := auth.HashPassword(password)
	for _, u := range []struct {
		org, email string
		role       store.Role
	}{{e.A.OrgID, out.EmailA, store.RoleMember}, {e.B.OrgID, out.EmailB, store.RoleMember}, {e.A.OrgID, out.AdminA, store.RoleAdmin}} {
		if _, err := e.Store.UserCreate(t.Context(), store.UserCreateParams{OrgID: u.org, Email: u.email,
			Role: u.role, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// client returns an HTTP client with a cookie jar that does not follow redirects.
func client(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// login posts the sign-in form and returns the response status.
func (e *env) login(t *testing.T, c *http.Client, email, pw string) int {
	t.Helper()
	return e.do(t, c, http.MethodPost, "/login", url.Values{"email": {email}, "password": {pw}}.Encode(),
		"application/x-www-form-urlencoded").Status
}

// result is a response with its body read.
type result struct {
	Status int
	Header http.Header
	Body   string
}

// do sends a same-origin request (headers as a browser sets them).
func (e *env) do(t *testing.T, c *http.Client, method, path, body, contentType string, extra ...string) result {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, e.Web.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}
