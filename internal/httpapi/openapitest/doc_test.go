package openapitest_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/callimport/callimport/internal/httpapi"
	"github.com/callimport/callimport/internal/httpapi/openapitest"
)

// TestDocument checks that the embedded document loads, is valid OpenAPI
// 3.1, and follows the house rules that keep it useful as a contract.
func TestDocument(t *testing.T) {
	t.Parallel()
	doc := openapitest.Load(t)
	spec := doc.Spec()
	if !strings.HasPrefix(spec.OpenAPI, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", spec.OpenAPI)
	}
	// Not a "hand-made" accident: the document is pretty JSON as served.
	var raw map[string]any
	if err := json.Unmarshal(httpapi.OpenAPIDocument(), &raw); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}

	ops := map[string]openapitest.Operation{}
	for _, op := range doc.Operations() {
		ops[op.ID] = op
	}
	for _, id := range []string{"createCall", "createCallAlias", "listCalls", "getCall", "getCallAudio", "deleteCall",
		"createCampaign", "listCampaigns", "getCampaign", "updateCampaign", "createAPIKey", "listAPIKeys", "revokeAPIKey",
		"createOAuthClient", "listOAuthClients", "revokeOAuthClient", "issueToken", "getHealth", "getReadiness",
		"getOpenAPIJSON", "getOpenAPIYAML", "getDocs"} {
		if _, ok := ops[id]; !ok {
			t.Errorf("operation %s is not documented", id)
		}
	}
	if a, b := ops["createCall"], ops["createCallAlias"]; a.Path != "/v1/calls/audio" || b.Path != "/calls/audio" || a.Method != "POST" || b.Method != "POST" {
		t.Errorf("upload routes: %s %s and %s %s", a.Method, a.Path, b.Method, b.Path)
	}
	v1 := spec.Paths.Value("/v1/calls/audio").Post
	alias := spec.Paths.Value("/calls/audio").Post
	if !reflect.DeepEqual(v1.Responses.Keys(), alias.Responses.Keys()) || v1.RequestBody.Ref != alias.RequestBody.Ref {
		t.Errorf("the alias differs from POST /v1/calls/audio")
	}

	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			if len(op.Tags) == 0 || op.Summary == "" {
				t.Errorf("%s: needs a tag and a summary", name)
			}
			o := ops[op.OperationID]
			if !o.Public {
				for _, st := range []string{"400", "401", "403", "500", "503"} {
					if op.Responses.Value(st) == nil {
						t.Errorf("%s: authenticated operations may answer %s, which is not documented", name, st)
					}
				}
				if len(o.Scopes) == 0 {
					t.Errorf("%s: no OAuth scope required", name)
				}
			}
			if strings.Contains(path, "{id}") && op.Responses.Value("404") == nil {
				t.Errorf("%s: a path with an id may answer 404, which is not documented", name)
			}
			for status, ref := range op.Responses.Map() {
				checkResponse(t, name+" → "+status, op.OperationID, status, ref.Value)
			}
		}
	}

	schemes := spec.Components.SecuritySchemes
	if k := schemes["apiKey"]; k == nil || k.Value.Type != "apiKey" || k.Value.In != "header" || k.Value.Name != "x-api-key" {
		t.Errorf("security scheme apiKey: %+v", k)
	}
	o := schemes["oauth2"]
	if o == nil || o.Value.Flows == nil || o.Value.Flows.ClientCredentials == nil {
		t.Fatalf("security scheme oauth2 has no client credentials flow")
	}
	cc := o.Value.Flows.ClientCredentials
	scopes := slices.Sorted(func(yield func(string) bool) {
		for k := range cc.Scopes {
			if !yield(k) {
				return
			}
		}
	})
	if cc.TokenURL != "/oauth/token" || !slices.Equal(scopes, []string{"admin", "calls:read", "calls:write"}) {
		t.Errorf("client credentials flow: token URL %q, scopes %v", cc.TokenURL, scopes)
	}
}

// checkResponse applies the rules every documented response follows.
func checkResponse(t *testing.T, name, opID, status string, r *openapi3.Response) {
	t.Helper()
	if opID != "getMetrics" {
		if h := r.Headers["X-Request-Id"]; h == nil || !h.Value.Required {
			t.Errorf("%s: X-Request-Id is not a required header", name)
		}
	}
	switch {
	case status == "503" && r.Headers["Retry-After"] == nil:
		t.Errorf("%s: 503 without Retry-After", name)
	case status == "201" && opID != "createAPIKey" && opID != "createOAuthClient" && r.Headers["Location"] == nil:
		t.Errorf("%s: 201 without Location", name)
	case status == "206" && r.Headers["Content-Range"] == nil, status == "416" && r.Headers["Content-Range"] == nil:
		t.Errorf("%s: without Content-Range", name)
	}
	isError := status >= "400"
	oauthOrOps := opID == "issueToken" && status != "500" && status != "503" || opID == "getReadiness" || opID == "getMetrics"
	for mt, m := range r.Content {
		if isError && !oauthOrOps && mt != "application/problem+json" {
			t.Errorf("%s: error answered as %s, not application/problem+json", name, mt)
		}
		if m.Schema == nil {
			continue
		}
		if mt == "application/problem+json" && !strings.HasSuffix(m.Schema.Ref, "/Problem") {
			t.Errorf("%s: problem body is not a Problem", name)
		}
		if strings.HasSuffix(mt, "json") && opID != "getOpenAPIJSON" {
			checkClosed(t, name, m.Schema, map[*openapi3.Schema]bool{})
		}
	}
}

// checkClosed fails for any object schema in a response that allows
// undocumented properties: additionalProperties must be false so that
// drift between the code and the document is caught. The subschemas of
// allOf (which is where keywords next to a $ref land) only add
// constraints to a closed schema, so they need not be closed themselves.
func checkClosed(t *testing.T, name string, ref *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) {
	t.Helper()
	s := ref.Value
	if s == nil || seen[s] {
		return
	}
	seen[s] = true
	if s.Type.Is("object") || len(s.Properties) > 0 {
		if s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has {
			t.Errorf("%s: schema %s allows undocumented properties", name, ref.Ref)
		}
	}
	walkSubschemas(s, func(sub *openapi3.SchemaRef) { checkClosed(t, name, sub, seen) })
	for _, sub := range s.AllOf {
		if sub.Value != nil && !seen[sub.Value] {
			seen[sub.Value] = true
			walkSubschemas(sub.Value, func(sub *openapi3.SchemaRef) { checkClosed(t, name, sub, seen) })
		}
	}
}

// walkSubschemas calls f for the properties, items, anyOf and oneOf of s.
func walkSubschemas(s *openapi3.Schema, f func(*openapi3.SchemaRef)) {
	for _, p := range s.Properties {
		f(p)
	}
	if s.Items != nil {
		f(s.Items)
	}
	for _, list := range [][]*openapi3.SchemaRef{s.AnyOf, s.OneOf} {
		for _, sub := range list {
			f(sub)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{
		"not JSON":    `{"openapi": `,
		"OpenAPI 3.0": `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{}}`,
		"invalid 3.1": `{"openapi":"3.1.0","info":{"title":"t"},"paths":{}}`,
		"no operationId": `{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{
			"responses":{"200":{"description":"ok"}}}}}}`,
		"duplicate operationId": `{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{
			"/a":{"get":{"operationId":"x","responses":{"200":{"description":"ok"}}}},
			"/b":{"get":{"operationId":"x","responses":{"200":{"description":"ok"}}}}}}`,
	} {
		if _, err := openapitest.Parse(t.Context(), []byte(doc)); err == nil {
			t.Errorf("%s: parsed without error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
