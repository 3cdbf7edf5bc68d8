// Package genesys is the Genesys Cloud channel: a Platform API client
// (client-credentials token cached and renewed on 401, a per-token request
// budget, 429 Retry-After honoured, 5xx retried with backoff), the
// selection of conversations by an export rule (analytics details query,
// client-side re-validation, deterministic sampling, quotas) and runs that
// fetch recordings through batch requests and import each through
// ingest.Service with the envelope mapping of PRODUCT.md §6.
//
// Configure a Client with a region domain (e.g. "mypurecloud.ie") or
// explicit API and login base URLs. Watch the run reports: parked
// conversations (recordings not ready) and failures carry their reasons.
package genesys

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// regions maps the SDK region keys to their domains.
var regions = map[string]string{
	"us_east_1": "mypurecloud.com", "us_east_2": "use2.us-gov-pure.cloud", "us_west_2": "usw2.pure.cloud",
	"ca_central_1": "cac1.pure.cloud", "sa_east_1": "sae1.pure.cloud", "mx_central_1": "mxc1.pure.cloud",
	"eu_west_1": "mypurecloud.ie", "eu_west_2": "euw2.pure.cloud", "eu_central_1": "mypurecloud.de",
	"eu_central_2": "euc2.pure.cloud", "me_central_1": "mec1.pure.cloud", "ap_south_1": "aps1.pure.cloud",
	"ap_southeast_1": "apse1.pure.cloud", "ap_southeast_2": "mypurecloud.com.au",
	"ap_northeast_1": "mypurecloud.jp", "ap_northeast_2": "apne2.pure.cloud", "ap_northeast_3": "apne3.pure.cloud",
}

// Config describes a connection. Region or both base URLs are required.
type Config struct {
	// Region is a domain such as "mypurecloud.ie" or an SDK region key such
	// as "eu_west_1"; it gives https://api.<domain> and https://login.<domain>.
	Region string
	// APIBaseURL and LoginBaseURL override Region; LoginBaseURL defaults
	// to APIBaseURL with "//api." replaced by "//login." (the SDKs' rule).
	APIBaseURL, LoginBaseURL string
	ClientID, ClientSecret   string
	// HTTPClient defaults to a client with a 60 s timeout.
	HTTPClient *http.Client
	// RequestsPerMinute is the client's own budget per token, below the
	// server's 300; defaults to 290. Negative means unlimited.
	RequestsPerMinute int
	// RateWindow is the window of that budget; defaults to one minute.
	RateWindow time.Duration
	// MaxRetryAfter gives up on a 429 asking to wait longer; defaults to 180 s.
	MaxRetryAfter time.Duration
	// Retries bounds retries of 429 and 5xx answers per request; defaults to 20.
	Retries int
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// Client talks to one Genesys Cloud organisation. It is safe for
// concurrent use.
type Client struct {
	cfg        Config
	api, login string
	http       *http.Client
	log        *slog.Logger

	mu     sync.Mutex
	token  string
	expiry time.Time
	sent   []time.Time // request times within the rate window
}

// APIError is a non-2xx answer of the API host (ErrorBody).
type APIError struct {
	Status     int
	Code       string `json:"code"`
	Message    string `json:"message"`
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	return fmt.Sprintf("genesys api: %d %s: %s", e.Status, e.Code, e.Message)
}

// ErrCredentials means the login host refused the client id or secret.
var ErrCredentials = errors.New("genesys: client credentials refused")

// NewClient checks cfg and returns a Client.
func NewClient(cfg Config) (*Client, error) {
	c := &Client{cfg: cfg, api: strings.TrimRight(cfg.APIBaseURL, "/"), login: strings.TrimRight(cfg.LoginBaseURL, "/")}
	if c.api == "" {
		domain := strings.TrimSpace(cfg.Region)
		if d, ok := regions[domain]; ok {
			domain = d
		}
		if domain == "" || strings.ContainsAny(domain, "/:@ ") {
			return nil, fmt.Errorf("genesys: region %q: need a domain such as mypurecloud.ie or explicit base URLs", cfg.Region)
		}
		c.api, c.login = "https://api."+domain, "https://login."+domain
	}
	if c.login == "" {
		c.login = strings.Replace(c.api, "//api.", "//login.", 1)
	}
	for _, u := range []string{c.api, c.login} {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return nil, fmt.Errorf("genesys: base url %q is not an http(s) URL", u)
		}
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("genesys: client id and secret are required")
	}
	c.http = cfg.HTTPClient
	if c.http == nil {
		c.http = &http.Client{Timeout: 60 * time.Second}
	}
	if c.cfg.RequestsPerMinute == 0 {
		c.cfg.RequestsPerMinute = 290
	}
	if c.cfg.RateWindow == 0 {
		c.cfg.RateWindow = time.Minute
	}
	if c.cfg.MaxRetryAfter == 0 {
		c.cfg.MaxRetryAfter = 180 * time.Second
	}
	if c.cfg.Retries == 0 {
		c.cfg.Retries = 20
	}
	c.log = cfg.Logger
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// BaseURLs returns the API and login base URLs in use.
func (c *Client) BaseURLs() (apiURL, loginURL string) { return c.api, c.login }

// accessToken returns the cached token or requests a new one.
func (c *Client) accessToken(ctx context.Context, renew bool) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !renew && c.token != "" && time.Now().Before(c.expiry) {
		return c.token, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}}.Encode()
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.login+"/oauth/token", strings.NewReader(form))
		if err != nil {
			return "", fmt.Errorf("token request: %w", err)
		}
		req.SetBasicAuth(c.cfg.ClientID, c.cfg.ClientSecret)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := c.http.Do(req)
		if err != nil {
			return "", fmt.Errorf("token request: %w", err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		_ = resp.Body.Close()
		if err != nil {
			return "", fmt.Errorf("read token: %w", err)
		}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			if attempt >= 5 {
				return "", fmt.Errorf("token request: status %d", resp.StatusCode)
			}
			if err := sleep(ctx, backoff(attempt, retryAfter(resp))); err != nil {
				return "", err
			}
			continue
		}
		if resp.StatusCode != http.StatusOK {
			var e struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			_ = json.Unmarshal(body, &e)
			return "", fmt.Errorf("%w: %d %s %s", ErrCredentials, resp.StatusCode, e.Error, e.Description)
		}
		var tok struct {
			AccessToken string `json:"access_token"`
			ExpiresIn   int    `json:"expires_in"`
		}
		if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
			return "", fmt.Errorf("token response: no access_token (%w)", err)
		}
		// Renew a minute early (or at half life for short tokens).
		life := time.Duration(tok.ExpiresIn) * time.Second
		c.token, c.expiry = tok.AccessToken, time.Now().Add(life-min(time.Minute, life/2))
		c.sent = nil
		return c.token, nil
	}
}

// wait blocks until the client's budget allows one more request.
func (c *Client) wait(ctx context.Context) error {
	if c.cfg.RequestsPerMinute < 0 {
		return nil
	}
	for {
		c.mu.Lock()
		now := time.Now()
		cut := 0
		for cut < len(c.sent) && !now.Before(c.sent[cut].Add(c.cfg.RateWindow)) {
			cut++
		}
		c.sent = c.sent[cut:]
		if len(c.sent) < c.cfg.RequestsPerMinute {
			c.sent = append(c.sent, now)
			c.mu.Unlock()
			return nil
		}
		d := c.sent[0].Add(c.cfg.RateWindow).Sub(now)
		c.mu.Unlock()
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

// do sends one API request with JSON in and out (out may be nil) and
// returns the status. 202 is returned, not an error. 401 renews the token
// once; 429 waits Retry-After; 5xx (but 501) retries with backoff.
func (c *Client) do(ctx context.Context, method, path string, in, out any) (int, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return 0, fmt.Errorf("encode %s: %w", path, err)
		}
	}
	renewed := false
	for attempt := 0; ; attempt++ {
		tok, err := c.accessToken(ctx, false)
		if err != nil {
			return 0, err
		}
		if err := c.wait(ctx); err != nil {
			return 0, err
		}
		req, err := http.NewRequestWithContext(ctx, method, c.api+path, bytes.NewReader(body))
		if err != nil {
			return 0, fmt.Errorf("%s %s: %w", method, path, err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.http.Do(req)
		if err != nil {
			if ctx.Err() != nil || attempt >= c.cfg.Retries {
				return 0, fmt.Errorf("%s %s: %w", method, path, err)
			}
			if err := sleep(ctx, backoff(attempt, 0)); err != nil {
				return 0, err
			}
			continue
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		_ = resp.Body.Close()
		if err != nil {
			return 0, fmt.Errorf("read %s: %w", path, err)
		}
		st := resp.StatusCode
		switch {
		case st == http.StatusUnauthorized && !renewed:
			renewed = true
			c.log.InfoContext(ctx, "genesys token renewed after 401", "path", path)
			if _, err := c.accessToken(ctx, true); err != nil {
				return 0, err
			}
			continue
		case st == http.StatusTooManyRequests || (st >= 500 && st != http.StatusNotImplemented):
			ra := retryAfter(resp)
			if attempt >= c.cfg.Retries || ra > c.cfg.MaxRetryAfter {
				return st, apiError(st, data, ra)
			}
			d := backoff(attempt, ra)
			if st == http.StatusTooManyRequests && ra == 0 {
				d = 60 * time.Second
			}
			c.log.InfoContext(ctx, "genesys request retried", "path", path, "status", st, "wait", d.String())
			if err := sleep(ctx, d); err != nil {
				return 0, err
			}
			continue
		case st >= 300:
			return st, apiError(st, data, 0)
		}
		if out != nil && st != http.StatusAccepted && len(bytes.TrimSpace(data)) > 0 {
			if err := json.Unmarshal(data, out); err != nil {
				return st, fmt.Errorf("decode %s: %w", path, err)
			}
		}
		return st, nil
	}
}

func apiError(status int, body []byte, ra time.Duration) error {
	e := &APIError{Status: status, RetryAfter: ra}
	_ = json.Unmarshal(body, e)
	e.Status = status
	return e
}

// retryAfter reads Retry-After in seconds; 0 when absent.
func retryAfter(resp *http.Response) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After")))
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// backoff is Retry-After when given, else exponential from 250 ms to 30 s.
func backoff(attempt int, ra time.Duration) time.Duration {
	if ra > 0 {
		return ra
	}
	return min(250*time.Millisecond<<min(attempt, 7), 30*time.Second)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait: %w", context.Cause(ctx))
	}
}
