// Package client is the Go client of the callimport REST API v1. It streams
// uploads (memory does not grow with file size) and returns API refusals as
// *Error carrying the problem details.
//
//	c := client.New("http://localhost:8080", client.WithAPIKey(key))
//	res, err := c.UploadCall(ctx, client.Upload{CampaignID: id, FileName: "a.wav", Body: f})
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls one callimport server.
type Client struct {
	base   string
	http   *http.Client
	apiKey string
}

// Option configures a Client.
type Option func(*Client)

// WithAPIKey authenticates with an x-api-key header.
func WithAPIKey(key string) Option { return func(c *Client) { c.apiKey = key } }

// WithHTTPClient sets the HTTP client, e.g. one from
// golang.org/x/oauth2/clientcredentials that adds bearer tokens.
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// New returns a client of the server at base (scheme://host:port).
func New(base string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(base, "/"), http: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Error is a refusal from the API (RFC 9457 problem details).
type Error struct {
	Status     int          `json:"status"`
	Title      string       `json:"title"`
	Detail     string       `json:"detail"`
	Type       string       `json:"type"`
	RequestID  string       `json:"request_id"`
	Fields     []FieldError `json:"errors"`
	RetryAfter time.Duration
}

// FieldError names an offending field.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (e *Error) Error() string {
	s := fmt.Sprintf("callimport: %d %s: %s", e.Status, e.Title, e.Detail)
	for _, f := range e.Fields {
		s += fmt.Sprintf("; %s %s", f.Field, f.Reason)
	}
	return s
}

// MetaPair is one metadata key and value.
type MetaPair struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// AudioInfo describes a probed recording.
type AudioInfo struct {
	Format          string  `json:"format"`
	Codec           string  `json:"codec"`
	DurationSeconds float64 `json:"duration_seconds"`
	SampleRateHz    int     `json:"sample_rate_hz"`
	Channels        int     `json:"channels"`
	BitsPerSample   int     `json:"bits_per_sample,omitempty"`
	BitRate         int     `json:"bit_rate,omitempty"`
	Silent          bool    `json:"silent,omitempty"`
}

// Call is a call as the API shows it.
type Call struct {
	ID                    string     `json:"id"`
	CampaignID            string     `json:"campaign_id"`
	Status                string     `json:"status"`
	Source                string     `json:"source"`
	FileName              string     `json:"file_name"`
	SizeBytes             int64      `json:"size_bytes"`
	SHA256                string     `json:"sha256"`
	ConversationTimestamp *int64     `json:"conversation_timestamp"`
	AgentEmail            *string    `json:"agent_email"`
	ExternalID            *string    `json:"external_id"`
	Metadata              []MetaPair `json:"metadata"`
	Audio                 *AudioInfo `json:"audio"`
	Duplicate             bool       `json:"duplicate"`
	RejectionReason       *string    `json:"rejection_reason"`
	CreatedAt             time.Time  `json:"created_at"`
	ImportedAt            *time.Time `json:"imported_at"`
}

// Campaign is a campaign as the API shows it.
type Campaign struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	Description     string    `json:"description"`
	RequireMetadata bool      `json:"require_metadata"`
	RetentionDays   int       `json:"retention_days"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// do sends a request, decodes a JSON answer into out (if not nil) and
// returns the status code.
func (c *Client) do(ctx context.Context, method, path string, body io.Reader, contentType string, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, fmt.Errorf("new request: %w", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.apiKey != "" {
		req.Header.Set("X-Api-Key", c.apiKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return resp.StatusCode, decodeError(resp)
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

func decodeError(resp *http.Response) error {
	e := &Error{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode)}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = json.Unmarshal(b, e)
	if e.Detail == "" {
		var oauth struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(b, &oauth) == nil && oauth.Error != "" {
			e.Detail = oauth.Error + ": " + oauth.Description
		}
	}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		if d, err := time.ParseDuration(ra + "s"); err == nil {
			e.RetryAfter = d
		}
	}
	return e
}

// GetCall reads one call.
func (c *Client) GetCall(ctx context.Context, id string) (*Call, error) {
	var out Call
	if _, err := c.do(ctx, http.MethodGet, "/v1/calls/"+url.PathEscape(id), nil, "", &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteCall deletes one call and its audio.
func (c *Client) DeleteCall(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodDelete, "/v1/calls/"+url.PathEscape(id), nil, "", nil)
	return err
}

// ListCallsParams filters a listing; zero values do not filter.
type ListCallsParams struct {
	CampaignID, Status, Source, AgentEmail, ExternalID, Cursor string
	Limit                                                      int
}

// CallPage is one page of calls.
type CallPage struct {
	Data       []Call  `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// ListCalls returns one page of calls, newest first.
func (c *Client) ListCalls(ctx context.Context, p ListCallsParams) (*CallPage, error) {
	q := url.Values{}
	for k, v := range map[string]string{"campaign_id": p.CampaignID, "status": p.Status, "source": p.Source,
		"agent_email": p.AgentEmail, "external_id": p.ExternalID, "cursor": p.Cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if p.Limit > 0 {
		q.Set("limit", fmt.Sprint(p.Limit))
	}
	var out CallPage
	if _, err := c.do(ctx, http.MethodGet, "/v1/calls?"+q.Encode(), nil, "", &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// WaitCall polls a call until it is imported or rejected, or ctx ends.
func (c *Client) WaitCall(ctx context.Context, id string) (*Call, error) {
	delay := 20 * time.Millisecond
	for {
		call, err := c.GetCall(ctx, id)
		if err != nil {
			return nil, err
		}
		if call.Status == "imported" || call.Status == "rejected" {
			return call, nil
		}
		select {
		case <-ctx.Done():
			return call, fmt.Errorf("wait for call %s (still %s): %w", id, call.Status, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(delay*2, 500*time.Millisecond)
	}
}

// Audio downloads a call's audio; rangeHeader ("bytes=0-99") may be empty.
// The caller closes the body.
func (c *Client) Audio(ctx context.Context, id, rangeHeader string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/calls/"+url.PathEscape(id)+"/audio", nil)
	if err != nil {
		return nil, fmt.Errorf("new request: %w", err)
	}
	if c.apiKey != "" {
		req.Header.Set("X-Api-Key", c.apiKey)
	}
	if rangeHeader != "" {
		req.Header.Set("Range", rangeHeader)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get audio: %w", err)
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		return nil, decodeError(resp)
	}
	return resp, nil
}

// CreateCampaign creates a campaign (admin scope).
func (c *Client) CreateCampaign(ctx context.Context, name string) (*Campaign, error) {
	b, _ := json.Marshal(map[string]string{"name": name})
	var out Campaign
	if _, err := c.do(ctx, http.MethodPost, "/v1/campaigns", bytes.NewReader(b), "application/json", &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListCampaigns lists the organisation's campaigns.
func (c *Client) ListCampaigns(ctx context.Context) ([]Campaign, error) {
	var out struct {
		Data []Campaign `json:"data"`
	}
	if _, err := c.do(ctx, http.MethodGet, "/v1/campaigns", nil, "", &out); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// IsStatus reports whether err is an API refusal with that HTTP status.
func IsStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}
