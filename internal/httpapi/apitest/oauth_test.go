package apitest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/callimport/callimport/client"
	"github.com/callimport/callimport/internal/app/apptest"
)

// oauthConfig is a client credentials configuration of h's token endpoint.
func (h *harness) oauthConfig(id, secret string, scopes ...string) *clientcredentials.Config {
	return &clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: h.URL + "/oauth/token",
		Scopes: scopes, AuthStyle: oauth2.AuthStyleInHeader}
}

// oauthCtx makes the oauth2 package use h's validating HTTP client.
func (h *harness) oauthCtx(t *testing.T) context.Context {
	return context.WithValue(t.Context(), oauth2.HTTPClient, h.http)
}

// token obtains an access token; scope "" asks for every granted scope.
func (h *harness) token(t *testing.T, id, secret, scope string) string {
	t.Helper()
	var scopes []string
	if scope != "" {
		scopes = strings.Fields(scope)
	}
	tok, err := h.oauthConfig(id, secret, scopes...).Token(h.oauthCtx(t))
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	return tok.AccessToken
}

// tokenError requires a *oauth2.RetrieveError with status and code.
func tokenError(t *testing.T, err error, status int, code string) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("error %v, want an OAuth error %s", err, code)
	}
	if re.Response.StatusCode != status || re.ErrorCode != code {
		t.Errorf("got %d %q (%s), want %d %q", re.Response.StatusCode, re.ErrorCode, re.Body, status, code)
	}
	if ct := re.Response.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("OAuth error Content-Type %q", ct)
	}
	if re.Response.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("OAuth error without Cache-Control: no-store")
	}
	if status == http.StatusUnauthorized && re.Response.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("401 without WWW-Authenticate")
	}
}

// TestOAuthClientCredentials drives the token endpoint with
// golang.org/x/oauth2/clientcredentials and uses the tokens on the API.
func TestOAuthClientCredentials(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			testOAuth(t, setup(t, apptest.Options{Postgres: be.postgres, TokenTTL: 90 * time.Second}))
		})
	}
}

// fetch runs the client credentials grant of cfg through h's validating client.
func (h *harness) fetch(t *testing.T, cfg *clientcredentials.Config) (*oauth2.Token, error) {
	return cfg.Token(h.oauthCtx(t))
}

func testOAuth(t *testing.T, h *harness) {

	t.Run("token and API calls", func(t *testing.T) {
		for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
			cfg := h.oauthConfig(h.A.ClientID, h.A.ClientSecret)
			cfg.AuthStyle = style
			tok, err := h.fetch(t, cfg)
			if err != nil {
				t.Fatalf("token (auth style %d): %v", style, err)
			}
			if left := time.Until(tok.Expiry); tok.TokenType != "Bearer" || tok.AccessToken == "" || left < 80*time.Second || left > 91*time.Second {
				t.Errorf("token %+v, want a Bearer token for 90 s", tok)
			}
			if s, _ := tok.Extra("scope").(string); !strings.Contains(s, "calls:write") || !strings.Contains(s, "admin") {
				t.Errorf("scope %q, want every scope of the client", s)
			}
		}
		hc := h.oauthConfig(h.A.ClientID, h.A.ClientSecret).Client(h.oauthCtx(t))
		c := client.New(h.URL, client.WithHTTPClient(hc))
		res, err := c.UploadCall(t.Context(), client.Upload{CampaignID: h.A.CampaignID, FileName: "oauth.wav",
			Body: bytes.NewReader(wav(100, 800))})
		if err != nil || !res.Created || res.Source != "api" {
			t.Fatalf("upload with a bearer token: %+v, %v", res, err)
		}
		got, err := c.GetCall(t.Context(), res.ID)
		if err != nil || got.SHA256 != res.SHA256 {
			t.Fatalf("get with a bearer token: %+v, %v", got, err)
		}
		if _, err := c.ListCampaigns(t.Context()); err != nil {
			t.Fatalf("list campaigns with a bearer token: %v", err)
		}
	})

	t.Run("narrower scope", func(t *testing.T) {
		tok := h.token(t, h.A.ClientID, h.A.ClientSecret, "calls:read")
		h.json(t, request{method: "GET", path: "/v1/calls", bearer: tok}, http.StatusOK, nil)
		resp, body := h.do(t, request{method: "POST", path: "/v1/calls/audio", bearer: tok, contentType: formType,
			body: form(field("campaign_id", h.A.CampaignID), filePart("a.wav", wav(101, 800)))})
		checkProblem(t, resp, body, http.StatusForbidden)
		resp, body = h.do(t, request{method: "GET", path: "/v1/api-keys", bearer: tok})
		checkProblem(t, resp, body, http.StatusForbidden)
	})

	t.Run("wrong secret", func(t *testing.T) {
		_, err := h.fetch(t, h.oauthConfig(h.A.ClientID, h.A.ClientSecret+"x"))
		tokenError(t, err, http.StatusUnauthorized, "invalid_client")
		cfg := h.oauthConfig(h.A.ClientID, h.A.ClientSecret+"x")
		cfg.AuthStyle = oauth2.AuthStyleInParams
		_, err = h.fetch(t, cfg)
		tokenError(t, err, http.StatusUnauthorized, "invalid_client")
	})

	t.Run("unknown client", func(t *testing.T) {
		_, err := h.fetch(t, h.oauthConfig("no-such-client", "secret"))
		tokenError(t, err, http.StatusUnauthorized, "invalid_client")
	})

	t.Run("another organisation's secret", func(t *testing.T) {
		_, err := h.fetch(t, h.oauthConfig(h.A.ClientID, h.B.ClientSecret))
		tokenError(t, err, http.StatusUnauthorized, "invalid_client")
	})

	t.Run("unsupported grant type", func(t *testing.T) {
		cfg := h.oauthConfig(h.A.ClientID, h.A.ClientSecret)
		cfg.EndpointParams = url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}}
		_, err := h.fetch(t, cfg)
		tokenError(t, err, http.StatusBadRequest, "unsupported_grant_type")
	})

	t.Run("refresh token grant", func(t *testing.T) {
		cfg := h.oauthConfig(h.A.ClientID, h.A.ClientSecret)
		cfg.EndpointParams = url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"whatever"}}
		_, err := h.fetch(t, cfg)
		// RFC 6749 §5.2: a grant type the server does not offer.
		tokenError(t, err, http.StatusBadRequest, "unsupported_grant_type")
	})

	t.Run("scope not granted", func(t *testing.T) {
		var cl struct {
			ID           string `json:"id"`
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
		}
		h.json(t, request{method: "POST", path: "/v1/oauth-clients", apiKey: h.A.AdminKey, contentType: "application/json",
			body: []byte(`{"name":"reader","scopes":["calls:read"]}`)}, http.StatusCreated, &cl)
		_, err := h.fetch(t, h.oauthConfig(cl.ClientID, cl.ClientSecret, "calls:read", "admin"))
		tokenError(t, err, http.StatusBadRequest, "invalid_scope")
		_, err = h.fetch(t, h.oauthConfig(cl.ClientID, cl.ClientSecret, "no-such-scope"))
		tokenError(t, err, http.StatusBadRequest, "invalid_scope")
		tok := h.token(t, cl.ClientID, cl.ClientSecret, "")
		resp, body := h.do(t, request{method: "POST", path: "/v1/campaigns", bearer: tok, contentType: "application/json",
			body: []byte(`{"name":"not allowed"}`)})
		checkProblem(t, resp, body, http.StatusForbidden)
	})

	t.Run("malformed token requests", func(t *testing.T) {
		for _, tc := range []struct {
			name, contentType, body string
			basic                   bool
			status                  int
			code                    string
		}{
			{"json body", "application/json", `{"grant_type":"client_credentials"}`, true, 400, "invalid_request"},
			{"no grant type", "application/x-www-form-urlencoded", "", true, 400, "invalid_request"},
			{"no client authentication", "application/x-www-form-urlencoded", "grant_type=client_credentials", false, 401, "invalid_client"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := request{method: "POST", path: "/oauth/token", contentType: tc.contentType, body: []byte(tc.body)}
				if tc.basic {
					r.header = map[string]string{"Authorization": "Basic " + basic(h.A.ClientID, h.A.ClientSecret)}
				}
				resp, body := h.do(t, r)
				var e struct {
					Error string `json:"error"`
				}
				decode(t, body, &e)
				if resp.StatusCode != tc.status || e.Error != tc.code {
					t.Errorf("got %d %s, want %d %s", resp.StatusCode, body, tc.status, tc.code)
				}
			})
		}
	})

	t.Run("revoked client", func(t *testing.T) {
		var cl struct {
			ID           string `json:"id"`
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
		}
		h.json(t, request{method: "POST", path: "/v1/oauth-clients", apiKey: h.A.AdminKey, contentType: "application/json",
			body: []byte(`{"name":"to revoke","scopes":["calls:read","calls:write"]}`)}, http.StatusCreated, &cl)
		tok := h.token(t, cl.ClientID, cl.ClientSecret, "")
		h.json(t, request{method: "GET", path: "/v1/calls", bearer: tok}, http.StatusOK, nil)
		h.json(t, request{method: "DELETE", path: "/v1/oauth-clients/" + cl.ID, apiKey: h.A.AdminKey}, http.StatusNoContent, nil)
		resp, body := h.do(t, request{method: "GET", path: "/v1/calls", bearer: tok})
		checkProblem(t, resp, body, http.StatusUnauthorized)
		_, err := h.fetch(t, h.oauthConfig(cl.ClientID, cl.ClientSecret))
		tokenError(t, err, http.StatusUnauthorized, "invalid_client")
	})
}

// basic encodes client credentials for HTTP Basic as RFC 6749 §2.3.1 says.
func basic(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret)))
}
