package genesystest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/audio"
)

func token(t *testing.T, s *Server) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL()+"/oauth/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	id, secret := s.Credentials()
	req.SetBasicAuth(id, secret)
	var out struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if code := do(t, req, &out); code != 200 || out.TokenType != "bearer" || out.ExpiresIn != 86399 {
		t.Fatalf("token: %d %+v", code, out)
	}
	return out.AccessToken
}

func do(t *testing.T, req *http.Request, out any) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: %v: %s", req.URL, err, b)
		}
	}
	return resp.StatusCode
}

func api(t *testing.T, s *Server, tok, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(t.Context(), method, s.URL()+path, rd)
	req.Header.Set("Authorization", "bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	return do(t, req, out)
}

func TestSeedDeterministic(t *testing.T) {
	t.Parallel()
	a, b := New(Config{Seed: 7}), New(Config{Seed: 7})
	defer a.Close()
	defer b.Close()
	da, db := a.Data(), b.Data()
	if len(da.Conversations) != 300 || da.Conversations[17].ID != db.Conversations[17].ID ||
		!da.Conversations[299].End.Equal(db.Conversations[299].End) {
		t.Fatal("same seed, different data")
	}
	if c := New(Config{Seed: 8}); c.Data().Conversations[0].ID == da.Conversations[0].ID {
		t.Fatal("other seed, same data")
	} else {
		c.Close()
	}
}

func TestQueryRecordingsAndMedia(t *testing.T) {
	t.Parallel()
	s := New(Config{Seed: 1, TranscodingPercent: -1})
	defer s.Close()
	tok := token(t, s)
	if code := api(t, s, "nope", "GET", "/api/v2/tokens/me", nil, nil); code != 401 {
		t.Fatalf("bad token: %d", code)
	}
	q := map[string]any{"interval": "2026-05-01T00:00:00.000Z/2026-05-09T00:00:00.000Z"}
	if code := api(t, s, tok, "POST", "/api/v2/analytics/conversations/details/query", q, nil); code != 400 {
		t.Fatalf("8 days without filters: %d", code)
	}
	q["interval"] = "2026-05-01T00:00:00.000Z/2026-05-08T00:00:00.000Z"
	q["paging"] = map[string]int{"pageSize": 100, "pageNumber": 1}
	q["segmentFilters"] = []any{map[string]any{"type": "and", "predicates": []any{
		map[string]string{"dimension": "mediaType", "value": "voice"},
		map[string]string{"dimension": "purpose", "value": "agent"}}}}
	var page struct {
		TotalHits     int `json:"totalHits"`
		Conversations []struct {
			ConversationID string `json:"conversationId"`
		} `json:"conversations"`
	}
	if code := api(t, s, tok, "POST", "/api/v2/analytics/conversations/details/query", q, &page); code != 200 {
		t.Fatalf("query: %d", code)
	}
	want := 0
	for _, c := range s.Data().Conversations {
		if c.MediaType == "voice" && len(c.Legs) > 0 {
			want++
		}
	}
	if page.TotalHits != want || len(page.Conversations) != 100 {
		t.Fatalf("totalHits %d want %d, page %d", page.TotalHits, want, len(page.Conversations))
	}
	q["paging"] = map[string]int{"pageSize": 100, "pageNumber": 99}
	var past map[string]any
	api(t, s, tok, "POST", "/api/v2/analytics/conversations/details/query", q, &past)
	if _, ok := past["conversations"]; ok {
		t.Fatal("past the end: conversations present")
	}
	var c Conversation
	for _, c = range s.Data().Conversations {
		if len(c.Recordings) > 0 && c.Recordings[0].FileState == "AVAILABLE" {
			break
		}
	}
	prober := audio.New(audio.Config{})
	for _, f := range []string{"WAV", "WEBM"} {
		var recs []struct {
			MediaURIs map[string]struct {
				MediaURI string `json:"mediaUri"`
			} `json:"mediaUris"`
		}
		if code := api(t, s, tok, "GET", "/api/v2/conversations/"+c.ID+"/recordings?formatId="+f, nil, &recs); code != 200 || len(recs) != 1 {
			t.Fatalf("recordings: %d %d", code, len(recs))
		}
		u := recs[0].MediaURIs["0"].MediaURI
		req, _ := http.NewRequestWithContext(t.Context(), "GET", u, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("download: %d", resp.StatusCode)
		}
		info, err := prober.Probe(t.Context(), bytes.NewReader(b), int64(len(b)))
		if err != nil || info.DurationSeconds < 1 {
			t.Fatalf("%s probe: %+v %v", f, info, err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		if code := do(t, req, nil); code != 400 {
			t.Fatalf("download with auth header: %d", code)
		}
	}
}

func TestRateLimitAndFaults(t *testing.T) {
	t.Parallel()
	s := New(Config{Seed: 2, RateLimitPerMinute: 3, RateWindow: 2 * time.Second})
	defer s.Close()
	tok := token(t, s)
	codes := ""
	for range 4 {
		codes += http.StatusText(api(t, s, tok, "GET", "/api/v2/tokens/me", nil, nil))[:2]
	}
	if codes != "OKOKOKTo" {
		t.Fatalf("codes %s", codes)
	}
	s2 := New(Config{Seed: 2})
	defer s2.Close()
	tok2 := token(t, s2)
	s2.FailNext(1)
	if code := api(t, s2, tok2, "GET", "/api/v2/users", nil, nil); code != 500 {
		t.Fatalf("fail: %d", code)
	}
	s2.ExpireTokens()
	var e struct{ Code string }
	if code := api(t, s2, tok2, "GET", "/api/v2/users", nil, &e); code != 401 || e.Code != "bad.credentials" {
		t.Fatalf("expired: %d %s", code, e.Code)
	}
}
