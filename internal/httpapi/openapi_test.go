package httpapi

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// documentedRoutes returns "METHOD /path" for every operation of the
// document, with its operationId.
func documentedRoutes(t *testing.T) map[string]string {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for path, item := range doc.Paths {
		for method, raw := range item {
			var op struct {
				OperationID string `json:"operationId"`
			}
			if method == "parameters" || json.Unmarshal(raw, &op) != nil {
				continue
			}
			out[strings.ToUpper(method)+" "+path] = op.OperationID
		}
	}
	return out
}

// servedRoutes reads the patterns of the route table: server.go and the
// routes*() methods other files of the package add to it.
func servedRoutes(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, name := range files {
		// uploads.go mounts the tus protocol, described in the text of
		// the document's upload operations rather than as operations.
		if strings.HasSuffix(name, "_test.go") || name == "uploads.go" {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, routePatterns(f)...)
	}
	return out
}

func routePatterns(f *ast.File) []string {
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		c, ok := n.(*ast.CallExpr)
		if !ok || len(c.Args) == 0 {
			return true
		}
		sel, ok := c.Fun.(*ast.SelectorExpr)
		if !ok || (sel.Sel.Name != "handle" && sel.Sel.Name != "Handle") {
			return true
		}
		lit, ok := c.Args[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		if p, err := strconv.Unquote(lit.Value); err == nil && strings.Contains(p, " /") {
			out = append(out, p)
		}
		return true
	})
	return out
}

// TestOpenAPIMatchesRoutes checks that every route of the route table is
// documented and every documented operation is served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	documented := documentedRoutes(t)
	served := servedRoutes(t)
	if len(served) < 20 {
		t.Fatalf("found only %d routes in server.go: %v", len(served), served)
	}
	for _, p := range served {
		if _, ok := documented[p]; !ok {
			t.Errorf("route %q is not in the OpenAPI document (openapi/*.json)", p)
		}
	}
	for p, id := range documented {
		get := strings.Replace(p, "HEAD ", "GET ", 1) // net/http serves HEAD with the GET route
		if !slices.Contains(served, p) && !slices.Contains(served, get) {
			t.Errorf("operation %s (%s) is not in the route table", id, p)
		}
	}
}

func TestDocumentHandlers(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	for _, tc := range []struct{ path, contentType string }{
		{"/v1/openapi.json", "application/json"},
		{"/v1/openapi.yaml", "application/yaml"},
	} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, tc.path, nil))
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != tc.contentType {
			t.Errorf("GET %s: %d %q", tc.path, rec.Code, rec.Header().Get("Content-Type"))
		}
		if rec.Body.String() != string(OpenAPIDocument()) {
			t.Errorf("GET %s does not serve the document", tc.path)
		}
		if rec.Header().Get("X-Request-Id") == "" {
			t.Errorf("GET %s: no X-Request-Id", tc.path)
		}
	}
}

func TestDocsPage(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/docs", nil))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	page, err := io.ReadAll(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, id := range documentedRoutes(t) {
		if !strings.Contains(html, `id="op-`+id+`"`) {
			t.Errorf("the page has no section for %s", id)
		}
	}
	for _, want := range []string{
		"-F &#39;file=@/path/to/call/recording.wav&#39;", // the curl example
		"curl -X POST http://HOST/calls/audio",
		`href="/v1/openapi.json"`,
		`<a href="#schema-Call">Call</a>`,
		"conversation_timestamp",
		"x-api-key",
		"/oauth/token",
		"calls:write",
		"X-Request-Id",
		"Content-Range",
		"Retry-After",
		"integer | null",
		"application/problem+json",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(strings.ToLower(html), "<script") {
		t.Error("the page holds a script")
	}
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:)?//[^"]*"`).FindString(html); m != "" {
		t.Errorf("the page loads or links an external resource: %s", m)
	}
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                      "",
		"a `b` **c**":           "<p>a <code>b</code> <strong>c</strong></p>",
		"<script>`<x>`":         "<p>&lt;script&gt;<code>&lt;x&gt;</code></p>",
		"one\n\ntwo\nlines":     "<p>one</p><p>two<br>lines</p>",
		"`a & b` \"quoted\"":    "<p><code>a &amp; b</code> &#34;quoted&#34;</p>",
		"**`code` in strong**":  "<p><strong><code>code</code> in strong</strong></p>",
		"unclosed `tick and **": "<p>unclosed `tick and **</p>",
	} {
		if got := string(markdown(in)); got != want {
			t.Errorf("markdown(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkDocsPage(b *testing.B) {
	for b.Loop() {
		if _, err := renderDocs(openAPIDoc); err != nil {
			b.Fatal(err)
		}
	}
}
