// Package openapitest checks real HTTP exchanges with the callimport API
// against its OpenAPI 3.1 document (internal/httpapi/openapi/*.json), so that
// the document stays the truth: a response with an undocumented status, a
// missing documented header, or a body that its schema does not allow fails
// the test that received it.
//
// Use it in any test that talks to the API over HTTP:
//
//	doc := openapitest.Load(t)
//	client := &http.Client{Transport: doc.Transport(t, nil)}
//	// ... exercise the API with client ...
//	doc.AssertCovered(t, openapitest.CoverOptions{Ignore: []string{"getMetrics"}})
//
// One Doc may serve many transports (one per test, for instance) and
// records, across all of them, which operation answered with which status;
// AssertCovered then names the operations that no test exercised.
//
// Validation is done by github.com/getkin/kin-openapi's openapi3filter,
// which validates OpenAPI 3.1 documents with JSON Schema 2020-12 semantics
// (type arrays with "null", const, keywords next to $ref). Requests are
// routed exactly as the server routes them (net/http.ServeMux patterns), so
// that GET /v1/calls/audio reaches getCall as it does on the server.
// Request bodies are not validated: tests send invalid requests on purpose.
package openapitest

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"

	"github.com/callimport/callimport/internal/httpapi"
)

// Doc is a loaded OpenAPI document with the record of what its transports
// saw. It is safe for concurrent use.
type Doc struct {
	spec    *openapi3.T
	mux     *http.ServeMux
	byKey   map[string]*operation // by ServeMux pattern "METHOD /path"
	ops     []*operation          // in path, then method order
	problem *openapi3.SchemaRef

	mu            sync.Mutex
	seen          map[string]map[int]int // operation id → status → count
	unmatched     int
	beforeRouting int
}

type operation struct {
	Operation
	route *routers.Route
}

// Operation describes one documented operation.
type Operation struct {
	ID     string
	Method string // upper case: GET, POST, ...
	Path   string // template, such as /v1/calls/{id}
	Tags   []string
	// Scopes are the OAuth 2.0 scopes the operation requires; empty for
	// public operations.
	Scopes []string
	// Public is true when the operation needs no credentials.
	Public bool
	// Statuses are the documented response statuses, sorted ("200", "404").
	Statuses []string
}

// Load parses the document embedded in package httpapi and fails t if it
// does not load or is not a valid OpenAPI 3.1 document.
func Load(t testing.TB) *Doc {
	t.Helper()
	d, err := Parse(t.Context(), httpapi.OpenAPIDocument())
	if err != nil {
		t.Fatalf("openapitest: %v", err)
	}
	return d
}

// Parse loads an OpenAPI 3.1 document (JSON or YAML) and validates it. It
// returns an error if the document is invalid, is not OpenAPI 3.1 or later,
// has an operation without a unique operationId, or has paths that
// net/http.ServeMux cannot route.
func Parse(ctx context.Context, data []byte) (*Doc, error) {
	loader := openapi3.NewLoader()
	loader.Context = ctx
	spec, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load document: %w", err)
	}
	if !spec.IsOpenAPI31OrLater() {
		return nil, fmt.Errorf("the document is OpenAPI %s, not 3.1", spec.OpenAPI)
	}
	if err := spec.Validate(ctx); err != nil {
		return nil, fmt.Errorf("validate document: %w", err)
	}
	d := &Doc{spec: spec, mux: http.NewServeMux(), byKey: map[string]*operation{}, seen: map[string]map[int]int{}}
	if spec.Components != nil {
		d.problem = spec.Components.Schemas["Problem"]
	}
	ids := map[string]bool{}
	for _, path := range spec.Paths.InMatchingOrder() {
		item := spec.Paths.Value(path)
		for method, op := range item.Operations() {
			method = strings.ToUpper(method)
			if op.OperationID == "" {
				return nil, fmt.Errorf("%s %s has no operationId", method, path)
			}
			if ids[op.OperationID] {
				return nil, fmt.Errorf("operationId %q is used twice", op.OperationID)
			}
			ids[op.OperationID] = true
			o := &operation{
				Operation: describe(spec, op, method, path),
				route:     &routers.Route{Spec: spec, Path: path, PathItem: item, Method: method, Operation: op},
			}
			key := method + " " + path
			if err := register(d.mux, key); err != nil {
				return nil, err
			}
			d.byKey[key] = o
			d.ops = append(d.ops, o)
		}
	}
	slices.SortFunc(d.ops, func(a, b *operation) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Method, b.Method)
	})
	return d, nil
}

// register adds pattern to mux, turning its panic on a bad or conflicting
// pattern into an error.
func register(mux *http.ServeMux, pattern string) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("path %q cannot be routed: %v", pattern, v)
		}
	}()
	mux.Handle(pattern, http.NotFoundHandler())
	return nil
}

func describe(spec *openapi3.T, op *openapi3.Operation, method, path string) Operation {
	o := Operation{ID: op.OperationID, Method: method, Path: path, Tags: op.Tags}
	security := spec.Security
	if op.Security != nil {
		security = *op.Security
	}
	o.Public = len(security) == 0
	for _, req := range security {
		if len(req) == 0 {
			o.Public = true // {} in the list: credentials are optional
		}
		for name, scopes := range req {
			if s := spec.Components.SecuritySchemes[name]; s != nil && s.Value != nil && s.Value.Type == "oauth2" {
				o.Scopes = append(o.Scopes, scopes...)
			}
		}
	}
	if op.Responses != nil {
		o.Statuses = op.Responses.Keys()
		slices.Sort(o.Statuses)
	}
	return o
}

// Spec returns the parsed document. Callers must not modify it.
func (d *Doc) Spec() *openapi3.T { return d.spec }

// Operations returns every documented operation, sorted by path and method:
// for instance to walk every route with another organisation's credentials.
func (d *Doc) Operations() []Operation {
	out := make([]Operation, len(d.ops))
	for i, o := range d.ops {
		out[i] = o.Operation
	}
	return out
}

// find returns the operation that serves req as net/http.ServeMux would
// route it: HEAD falls back to GET when no HEAD operation is documented.
func (d *Doc) find(req *http.Request) *operation {
	r := req
	if r.URL.Path == "" {
		r = req.Clone(req.Context())
		r.URL.Path = "/"
	}
	_, pattern := d.mux.Handler(r)
	return d.byKey[pattern]
}

// Check validates one exchange against the document and records it for
// Coverage. resp's body is read when it is JSON, and replaced by a copy so
// that the caller can still read it; other bodies (audio, HTML) are left
// untouched and only their Content-Type is checked. It returns an error
// describing every mismatch it found.
func (d *Doc) Check(req *http.Request, resp *http.Response) error {
	if beforeRouting(resp) {
		d.mu.Lock()
		d.beforeRouting++
		d.mu.Unlock()
		return nil
	}
	op := d.find(req)
	d.record(op, resp.StatusCode)
	var err error
	if op == nil {
		err = d.checkUnmatched(req, resp)
	} else {
		err = d.checkResponse(req, resp, op)
	}
	if err == nil {
		return nil
	}
	name := "no documented operation"
	if op != nil {
		name = op.ID
	}
	rid := ""
	if id := resp.Header.Get("X-Request-Id"); id != "" {
		rid = ", request id " + id
	}
	return fmt.Errorf("openapitest: %s %s → %d (%s%s): %w", req.Method, req.URL.RequestURI(), resp.StatusCode, name, rid, err)
}

// beforeRouting reports whether resp is net/http's own refusal of a request
// it could not parse (400) or whose headers are too large (431): plain
// text, without the X-Request-Id that every routed answer carries. The
// document describes these in its introduction, not per operation.
func beforeRouting(resp *http.Response) bool {
	if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		return false
	}
	return resp.Header.Get("X-Request-Id") == "" && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain")
}

func (d *Doc) record(op *operation, status int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if op == nil {
		d.unmatched++
		return
	}
	m := d.seen[op.ID]
	if m == nil {
		m = map[int]int{}
		d.seen[op.ID] = m
	}
	m[status]++
}
