package genesys

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Conversation is AnalyticsConversationWithoutAttributes (the fields used).
type Conversation struct {
	ConversationID       string        `json:"conversationId"`
	ConversationStart    time.Time     `json:"conversationStart"`
	ConversationEnd      *time.Time    `json:"conversationEnd"`
	OriginatingDirection string        `json:"originatingDirection"`
	MOS                  *float64      `json:"mediaStatsMinConversationMos"`
	Participants         []Participant `json:"participants"`
}

// Participant is AnalyticsParticipantWithoutAttributes (the fields used).
type Participant struct {
	ParticipantID   string    `json:"participantId"`
	ParticipantName string    `json:"participantName"`
	Purpose         string    `json:"purpose"`
	UserID          string    `json:"userId"`
	Sessions        []Session `json:"sessions"`
}

// Session is AnalyticsSession (the fields used).
type Session struct {
	SessionID string    `json:"sessionId"`
	MediaType string    `json:"mediaType"`
	Direction string    `json:"direction"`
	Recording bool      `json:"recording"`
	Segments  []Segment `json:"segments"`
}

// Segment is AnalyticsConversationSegment (the fields used).
type Segment struct {
	SegmentStart time.Time  `json:"segmentStart"`
	SegmentEnd   *time.Time `json:"segmentEnd"`
	SegmentType  string     `json:"segmentType"`
	QueueID      string     `json:"queueId"`
	WrapUpCode   string     `json:"wrapUpCode"`
}

// Predicate is an analytics query predicate.
type Predicate struct {
	Type      string    `json:"type,omitempty"`
	Dimension string    `json:"dimension,omitempty"`
	Metric    string    `json:"metric,omitempty"`
	Operator  string    `json:"operator,omitempty"`
	Value     string    `json:"value,omitempty"`
	Range     *NumRange `json:"range,omitempty"`
}

// NumRange is NumericRange.
type NumRange struct {
	Gte *float64 `json:"gte,omitempty"`
	Lte *float64 `json:"lte,omitempty"`
}

// Filter is a conversation or segment filter.
type Filter struct {
	Type       string      `json:"type"`
	Predicates []Predicate `json:"predicates,omitempty"`
}

// Query is ConversationQuery.
type Query struct {
	Interval            string   `json:"interval"`
	Order               string   `json:"order,omitempty"`
	OrderBy             string   `json:"orderBy,omitempty"`
	ConversationFilters []Filter `json:"conversationFilters,omitempty"`
	SegmentFilters      []Filter `json:"segmentFilters,omitempty"`
	Paging              Paging   `json:"paging"`
}

// Paging is PagingSpec.
type Paging struct {
	PageSize   int `json:"pageSize"`
	PageNumber int `json:"pageNumber"`
}

// QueryPage is AnalyticsConversationQueryResponse.
type QueryPage struct {
	Conversations []Conversation `json:"conversations"`
	TotalHits     int            `json:"totalHits"`
}

// QueryConversations runs one page of the details query.
func (c *Client) QueryConversations(ctx context.Context, q Query) (QueryPage, error) {
	var p QueryPage
	_, err := c.do(ctx, http.MethodPost, "/api/v2/analytics/conversations/details/query", q, &p)
	return p, err
}

// Entity is a user, queue or wrap-up code as far as we use it.
type Entity struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Entities fetches entities by id from an entity listing path (users,
// routing/queues, routing/wrapupcodes), 100 ids per request.
func (c *Client) Entities(ctx context.Context, path string, ids []string, extra url.Values) (map[string]Entity, error) {
	out := make(map[string]Entity, len(ids))
	for lo := 0; lo < len(ids); lo += 100 {
		chunk := ids[lo:min(lo+100, len(ids))]
		q := url.Values{"pageSize": {"100"}, "pageNumber": {"1"}}
		for k, v := range extra {
			q[k] = v
		}
		q["id"] = chunk
		var page struct {
			Entities []Entity `json:"entities"`
		}
		if _, err := c.do(ctx, http.MethodGet, path+"?"+q.Encode(), nil, &page); err != nil {
			return nil, fmt.Errorf("list %s: %w", path, err)
		}
		for _, e := range page.Entities {
			out[e.ID] = e
		}
	}
	return out, nil
}

// Organisation is what GET /api/v2/tokens/me says about the connection.
type Organisation struct {
	ID, Name string
	Scopes   []string
}

// TestConnection obtains a token and asks who it belongs to.
func (c *Client) TestConnection(ctx context.Context) (Organisation, error) {
	var ti struct {
		Organization struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"organization"`
		AuthorizedScope []string `json:"authorizedScope"`
	}
	if _, err := c.do(ctx, http.MethodGet, "/api/v2/tokens/me", nil, &ti); err != nil {
		return Organisation{}, fmt.Errorf("test connection: %w", err)
	}
	return Organisation{ID: ti.Organization.ID, Name: ti.Organization.Name, Scopes: ti.AuthorizedScope}, nil
}

// BatchItem is BatchDownloadRequest.
type BatchItem struct {
	ConversationID string `json:"conversationId"`
	RecordingID    string `json:"recordingId,omitempty"`
}

// BatchResult is BatchDownloadJobResult.
type BatchResult struct {
	ConversationID string `json:"conversationId"`
	RecordingID    string `json:"recordingId"`
	ResultURL      string `json:"resultUrl"`
	ContentType    string `json:"contentType"`
	ErrorMsg       string `json:"errorMsg"`
}

// BatchStatus is BatchDownloadJobStatusResult.
type BatchStatus struct {
	ID                  string        `json:"id"`
	Status              string        `json:"status"`
	ExpectedResultCount int           `json:"expectedResultCount"`
	ResultCount         int           `json:"resultCount"`
	Results             []BatchResult `json:"results"`
}

// SubmitBatch submits a batch download request of at most 100 items.
func (c *Client) SubmitBatch(ctx context.Context, items []BatchItem) (string, error) {
	var res struct {
		ID string `json:"id"`
	}
	if _, err := c.do(ctx, http.MethodPost, "/api/v2/recording/batchrequests",
		map[string]any{"batchDownloadRequestList": items}, &res); err != nil {
		return "", fmt.Errorf("submit batch: %w", err)
	}
	return res.ID, nil
}

// Batch returns a batch request's status.
func (c *Client) Batch(ctx context.Context, id string) (BatchStatus, error) {
	var st BatchStatus
	if _, err := c.do(ctx, http.MethodGet, "/api/v2/recording/batchrequests/"+url.PathEscape(id), nil, &st); err != nil {
		return BatchStatus{}, fmt.Errorf("batch status: %w", err)
	}
	return st, nil
}

// Recording is the Recording schema (the fields used).
type Recording struct {
	ID        string `json:"id"`
	Media     string `json:"media"`
	FileState string `json:"fileState"`
	MediaURIs map[string]struct {
		MediaURI string `json:"mediaUri"`
	} `json:"mediaUris"`
}

// ErrNotReady means the recordings are still being transcoded (202).
var ErrNotReady = errors.New("genesys: recording not ready")

// Recordings lists a conversation's recordings in formatID (WAV, WEBM…).
// It returns ErrNotReady on 202.
func (c *Client) Recordings(ctx context.Context, conversationID, formatID string) ([]Recording, error) {
	var recs []Recording
	st, err := c.do(ctx, http.MethodGet, "/api/v2/conversations/"+url.PathEscape(conversationID)+
		"/recordings?maxWaitMs=5000&formatId="+url.QueryEscape(formatID), nil, &recs)
	if err != nil {
		return nil, fmt.Errorf("list recordings: %w", err)
	}
	if st == http.StatusAccepted {
		return nil, ErrNotReady
	}
	return recs, nil
}

// Download opens a signed media URL with a plain GET and no Authorization
// header (the URL carries its own signature). It does not count against
// the API budget. The caller closes the body.
func (c *Client) Download(ctx context.Context, mediaURL string) (io.ReadCloser, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, mediaURL, nil)
	if err != nil {
		return nil, "", fmt.Errorf("download: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("download: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		_ = resp.Body.Close()
		return nil, "", &APIError{Status: resp.StatusCode, Code: "download", Message: "media download refused"}
	}
	return resp.Body, strings.ToLower(resp.Header.Get("Content-Type")), nil
}

// Count returns how many entities an entity listing path (e.g.
// /api/v2/users, /api/v2/routing/queues) holds, from its total, fetching
// one entity.
func (c *Client) Count(ctx context.Context, path string) (int, error) {
	var page struct {
		Total int `json:"total"`
	}
	if _, err := c.do(ctx, http.MethodGet, path+"?pageSize=1&pageNumber=1", nil, &page); err != nil {
		return 0, fmt.Errorf("count %s: %w", path, err)
	}
	return page.Total, nil
}
