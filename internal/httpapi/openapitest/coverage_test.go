package openapitest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/callimport/callimport/internal/httpapi/openapitest"
)

func TestCoverage(t *testing.T) {
	t.Parallel()
	doc := openapitest.Load(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "r1")
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/healthz":
			_, _ = io.WriteString(w, `{"status":"ok"}`)
		case "/readyz":
			_, _ = io.WriteString(w, `{"status":"ready"}`)
		default:
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"type":"about:blank","title":"Not Found","status":404,"request_id":"r1"}`)
		}
	}))
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: doc.Transport(t, srv.Client().Transport)}

	// Concurrent use: the record is shared by every transport of the Doc.
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			path := []string{"/healthz", "/readyz", "/nowhere", "/healthz"}[i%4]
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
			if err != nil {
				t.Error(err)
				return
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		})
	}
	wg.Wait()

	c := doc.Coverage()
	byID := map[string]openapitest.OperationCoverage{}
	for _, o := range c.Operations {
		byID[o.ID] = o
	}
	if got := byID["getHealth"].Seen[200]; got != 10 {
		t.Errorf("getHealth seen %d times with 200, want 10", got)
	}
	if got := byID["getReadiness"].Seen[200]; got != 5 {
		t.Errorf("getReadiness seen %d times with 200, want 5", got)
	}
	if c.Unmatched != 5 {
		t.Errorf("unmatched = %d, want 5", c.Unmatched)
	}
	if got := byID["getReadiness"].Unseen(); !slices.Equal(got, []string{"503"}) {
		t.Errorf("getReadiness unseen statuses = %v, want [503]", got)
	}
	missing := c.Missing("getMetrics")
	if slices.Contains(missing, "getHealth") || slices.Contains(missing, "getMetrics") || !slices.Contains(missing, "createCall") {
		t.Errorf("missing = %v", missing)
	}
	if s := c.String(); !strings.Contains(s, "getHealth") || !strings.Contains(s, "200×10") {
		t.Errorf("coverage table:\n%s", s)
	}

	rec := &recorder{TB: t}
	doc.AssertCovered(rec, openapitest.CoverOptions{
		Ignore:   []string{"getMetrics"},
		Statuses: map[string][]int{"getReadiness": {200, 503}, "noSuchOperation": {200}},
	})
	got := rec.errors()
	for _, want := range []string{"never exercised", "createCall", "getReadiness never answered 503", `"noSuchOperation"`} {
		if !strings.Contains(got, want) {
			t.Errorf("AssertCovered did not report %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "getHealth,") || strings.Contains(got, "getMetrics") {
		t.Errorf("AssertCovered reported an exercised or ignored operation:\n%s", got)
	}
}
