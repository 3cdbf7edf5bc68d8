package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/callimport/callimport/internal/admission"
	"github.com/callimport/callimport/internal/store"
)

// TestWriteErrorLimitsAndOutages: the one error→status function answers
// an unreachable database (store.ErrUnavailable, however wrapped) 503 with
// Retry-After and no internal text, and a refusal of the limiters 429
// with the Retry-After it advises, rounded up to whole seconds.
func TestWriteErrorLimitsAndOutages(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	rate := admission.NewRateLimiter(admission.RateConfig{Rate: 0.2, Burst: 1})
	if err := rate.Allow("k"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		err        error
		status     int
		retryAfter string
	}{
		{"database down", fmt.Errorf("list calls: %w: dial tcp 127.0.0.1:5432: connect: connection refused", store.ErrUnavailable), 503, "5"},
		{"other failure", fmt.Errorf("list calls: %w", fmt.Errorf("disk on fire")), 500, ""},
		{"rate limited", rate.Allow("k"), 429, "5"},
	} {
		w := httptest.NewRecorder()
		s.writeError(w, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/v1/calls", nil), tc.err)
		if w.Code != tc.status || w.Header().Get("Retry-After") != tc.retryAfter {
			t.Errorf("%s: %d with Retry-After %q, want %d with %q", tc.name, w.Code, w.Header().Get("Retry-After"), tc.status, tc.retryAfter)
		}
		var p Problem
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != tc.status {
			t.Errorf("%s: problem %s: %v", tc.name, w.Body, err)
		}
		if strings.Contains(w.Body.String(), "127.0.0.1") || strings.Contains(w.Body.String(), "fire") {
			t.Errorf("%s: internal text sent: %s", tc.name, w.Body)
		}
	}
}
