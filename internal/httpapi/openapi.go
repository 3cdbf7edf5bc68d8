package httpapi

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/callimport/callimport/internal/call"
)

// openAPIDoc is the OpenAPI 3.1 document of the API, written by hand (see
// openapi_merge.go): it is the contract, and the tests check every response
// against it (package openapitest).
var openAPIDoc = mustBuildOpenAPI()

func mustBuildOpenAPI() []byte {
	b, err := buildOpenAPI(openAPIFiles)
	if err != nil {
		panic("httpapi: the embedded OpenAPI document is broken: " + err.Error())
	}
	return b
}

// OpenAPIDocument returns a copy of the API's OpenAPI 3.1 document (JSON).
func OpenAPIDocument() []byte { return bytes.Clone(openAPIDoc) }

// openAPIJSON serves the document as JSON.
func (s *Server) openAPIJSON(w http.ResponseWriter, _ *http.Request) {
	serveDocument(w, "application/json", openAPIDoc)
}

// openAPIYAML serves the document as YAML: its JSON text, which is valid
// YAML 1.2, so that the two can never differ.
func (s *Server) openAPIYAML(w http.ResponseWriter, _ *http.Request) {
	serveDocument(w, "application/yaml", openAPIDoc)
}

func serveDocument(w http.ResponseWriter, contentType string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-cache")
	h.Set("Access-Control-Allow-Origin", "*") // lets documentation tools of other origins read it
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// docs serves the document rendered as one self-contained HTML page: no
// script and no resource from elsewhere, which its Content-Security-Policy
// enforces.
func (s *Server) docs(w http.ResponseWriter, r *http.Request) {
	page, err := renderDocs(openAPIDoc)
	if err != nil {
		s.writeError(w, r, &call.Error{Code: call.CodeInternal, Message: "the documentation cannot be rendered", Err: err})
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(page)))
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(page)
}
