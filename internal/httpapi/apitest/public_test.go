package apitest_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/callimport/callimport/internal/app/apptest"
	"github.com/callimport/callimport/internal/httpapi"
)

// TestPublicEndpoints covers what needs no credentials: health, metrics,
// the OpenAPI document and the docs, and the answers to unknown routes.
func TestPublicEndpoints(t *testing.T) {
	t.Parallel()
	h := setup(t, apptest.Options{})
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/v1/openapi.json", "/v1/openapi.yaml", "/docs"} {
		resp, body := h.do(t, request{method: "GET", path: path})
		if resp.StatusCode != http.StatusOK || len(body) == 0 {
			t.Errorf("GET %s: %d, %d bytes", path, resp.StatusCode, len(body))
		}
		if resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("GET %s: no X-Request-Id", path)
		}
	}
	_, doc := h.do(t, request{method: "GET", path: "/v1/openapi.json"})
	if !bytes.Equal(bytes.TrimSpace(doc), bytes.TrimSpace(httpapi.OpenAPIDocument())) {
		t.Errorf("served /v1/openapi.json differs from the embedded document")
	}
	resp, yaml := h.do(t, request{method: "GET", path: "/v1/openapi.yaml"})
	// JSON is YAML 1.2: the server sends the same text, so the two cannot differ.
	if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "yaml") || !bytes.Equal(yaml, doc) {
		t.Errorf("openapi.yaml: Content-Type %q, same text as the JSON: %v", ct, bytes.Equal(yaml, doc))
	}
	resp, html := h.do(t, request{method: "GET", path: "/docs"})
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(html), "/v1/calls/audio") {
		t.Errorf("/docs: Content-Type %q, %d bytes without the upload operation", ct, len(html))
	}
	_, metrics := h.do(t, request{method: "GET", path: "/metrics"})
	if !strings.Contains(string(metrics), "# TYPE") {
		t.Errorf("/metrics is not in the Prometheus format: %.200s", metrics)
	}

	resp, body := h.do(t, request{method: "GET", path: "/v1/no-such-thing", apiKey: h.A.AdminKey})
	checkProblem(t, resp, body, http.StatusNotFound)
	resp, body = h.do(t, request{method: "DELETE", path: "/v1/campaigns", apiKey: h.A.AdminKey})
	checkProblem(t, resp, body, http.StatusMethodNotAllowed)
	if resp.Header.Get("Allow") == "" {
		t.Errorf("405 without Allow")
	}
}
