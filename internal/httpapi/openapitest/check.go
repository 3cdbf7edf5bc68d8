package openapitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// maxBody bounds the JSON bodies that Check reads to validate.
const maxBody = 64 << 20

// Transport returns a RoundTripper that sends each request through base
// (http.DefaultTransport when nil) and checks the exchange with Check,
// reporting any mismatch with t.Errorf. Errors of base pass through
// unchecked.
func (d *Doc) Transport(t testing.TB, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{d: d, t: t, base: base}
}

type transport struct {
	d    *Doc
	t    testing.TB
	base http.RoundTripper
}

func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := tr.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if err := tr.d.Check(req, resp); err != nil {
		tr.t.Errorf("%v", err)
	}
	return resp, nil
}

func (d *Doc) checkResponse(req *http.Request, resp *http.Response, op *operation) error {
	responses := op.route.Operation.Responses
	ref := responses.Status(resp.StatusCode)
	if ref == nil {
		ref = responses.Default()
	}
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("status %d is not documented (documented: %s)", resp.StatusCode, strings.Join(op.Statuses, ", "))
	}
	doc := ref.Value

	ct := resp.Header.Get("Content-Type")
	var media *openapi3.MediaType
	if len(doc.Content) > 0 && req.Method != http.MethodHead {
		if media = doc.Content.Get(ct); media == nil {
			return fmt.Errorf("Content-Type %q is not documented for status %d (documented: %s)",
				ct, resp.StatusCode, strings.Join(contentTypes(doc.Content), ", "))
		}
	}

	// openapi3filter skips HEAD exchanges entirely: validate their headers
	// as those of the GET that HEAD stands for.
	vreq := req
	if req.Method == http.MethodHead {
		vreq = req.Clone(req.Context())
		vreq.Method = http.MethodGet
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	opts.WithCustomSchemaErrorFunc(schemaMessage)
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: vreq, Route: op.route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                opts,
	}
	var body []byte
	if media != nil && media.Schema != nil && isJSON(ct) {
		b, err := readBody(resp)
		if err != nil {
			return err
		}
		body = b
		in.SetBodyBytes(b)
	} else {
		opts.ExcludeResponseBody = true
	}
	if err := openapi3filter.ValidateResponse(req.Context(), in); err != nil {
		return withBody(explain(err), body)
	}
	return nil
}

// checkUnmatched checks the answer to a request that no documented
// operation serves: the server answers 404 (no such path) or 405 (no such
// method) as problem+json.
func (d *Doc) checkUnmatched(req *http.Request, resp *http.Response) error {
	if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
		return fmt.Errorf("no documented operation serves this request, yet it was answered %d (only 404 and 405 are expected)", resp.StatusCode)
	}
	if resp.Header.Get("X-Request-Id") == "" {
		return errors.New(`response header "X-Request-Id" missing`)
	}
	if req.Method == http.MethodHead {
		return nil
	}
	ct := resp.Header.Get("Content-Type")
	if mt, _, _ := mime.ParseMediaType(ct); mt != "application/problem+json" {
		return fmt.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	body, err := readBody(resp)
	if err != nil {
		return err
	}
	if d.problem == nil || d.problem.Value == nil {
		return nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return withBody(fmt.Errorf("body is not JSON: %w", err), body)
	}
	opts := []openapi3.SchemaValidationOption{openapi3.EnableJSONSchema2020(), openapi3.VisitAsResponse(),
		openapi3.MultiErrors(), openapi3.SetSchemaErrorMessageCustomizer(schemaMessage)}
	if err := d.problem.Value.VisitJSON(v, opts...); err != nil {
		return withBody(fmt.Errorf("body doesn't match schema Problem: %w", err), body)
	}
	if m, ok := v.(map[string]any); ok {
		if s, ok := m["status"].(float64); !ok || int(s) != resp.StatusCode {
			return withBody(fmt.Errorf("problem status %v differs from the HTTP status", m["status"]), body)
		}
	}
	return nil
}

// readBody reads resp's body (at most maxBody bytes) and puts a copy back.
func readBody(resp *http.Response) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	closeErr := resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	switch {
	case err != nil:
		return nil, fmt.Errorf("read body: %w", err)
	case closeErr != nil:
		return nil, fmt.Errorf("close body: %w", closeErr)
	case len(b) > maxBody:
		return nil, fmt.Errorf("JSON body larger than %d bytes, not validated", maxBody)
	}
	return b, nil
}

// isJSON reports whether a Content-Type is application/json or a +json type.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

func contentTypes(c openapi3.Content) []string {
	out := make([]string, 0, len(c))
	for k := range c {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// schemaMessage words a schema error as "at /path: reason", without the
// schema and value dumps of openapi3's default message (withBody adds the
// body once instead).
func schemaMessage(e *openapi3.SchemaError) string {
	reason := e.Reason
	if reason == "" {
		return "" // openapi3's own message
	}
	if ptr := e.JSONPointer(); len(ptr) > 0 && !strings.HasPrefix(reason, "error at ") {
		return "at /" + strings.Join(ptr, "/") + ": " + reason
	}
	return reason
}

// explain unwraps openapi3filter's errors into one readable line per problem.
func explain(err error) error {
	var re *openapi3filter.ResponseError
	if !errors.As(err, &re) {
		return err
	}
	if re.Err == nil {
		return errors.New(re.Reason)
	}
	var me openapi3.MultiError
	if errors.As(re.Err, &me) && len(me) > 1 {
		parts := make([]string, len(me))
		for i, e := range me {
			parts[i] = e.Error()
		}
		return fmt.Errorf("%s:\n\t- %s", re.Reason, strings.Join(parts, "\n\t- "))
	}
	return fmt.Errorf("%s: %w", re.Reason, re.Err)
}

// withBody appends the body, cut to 2 KiB, to err.
func withBody(err error, body []byte) error {
	if len(body) == 0 {
		return err
	}
	const limit = 2 << 10
	s := string(body)
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return fmt.Errorf("%w\n\tbody: %s", err, strings.TrimSpace(s))
}
