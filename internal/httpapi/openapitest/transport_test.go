package openapitest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/callimport/callimport/internal/httpapi/openapitest"
)

// recorder is a testing.TB that keeps what Errorf reports instead of
// failing the test.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) errors() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.errs, "\n")
}

const validCall = `{"id":"0194d2a4-7c1e-7b3a-9f00-5d1c2e3f4a5b","campaign_id":"0194d2a0-1111-7000-8000-000000000001",
"status":"imported","source":"api","file_name":"recording.wav","size_bytes":320044,
"sha256":"3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
"conversation_timestamp":1704067200,"agent_email":"john.doe@example.com","external_id":null,
"metadata":[{"key":"key1","value":"value1"}],
"audio":{"format":"wav","codec":"pcm_s16le","duration_seconds":2.5,"sample_rate_hz":8000,"channels":1,"bits_per_sample":16},
"duplicate":false,"rejection_reason":null,"created_at":"2024-01-01T09:30:00Z","imported_at":"2024-01-01T09:30:01.5Z"}`

const receivedCall = `{"id":"c1","campaign_id":"k1","status":"received","source":"web","file_name":"a.wav","size_bytes":44,
"sha256":"3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555","conversation_timestamp":null,
"agent_email":null,"external_id":"ext-1","metadata":[],"audio":null,"duplicate":false,"rejection_reason":null,
"created_at":"2024-01-01T09:30:00Z","imported_at":null}`

func problem(status int, code, title string) string {
	return fmt.Sprintf(`{"type":"https://callimport.dev/problems/%s","title":%q,"status":%d,"detail":"x","request_id":"r1"}`, code, title, status)
}

// exchange is a request and the hand-made answer the test server gives.
type exchange struct {
	name    string
	method  string
	path    string
	status  int
	header  map[string]string // answer headers; X-Request-Id is added unless set to ""
	body    string
	wantErr string // a fragment of the expected error; "" when the exchange is valid
}

func jsonCT() map[string]string { return map[string]string{"Content-Type": "application/json"} }

var problemCT = map[string]string{"Content-Type": "application/problem+json"}

func exchanges() []exchange {
	audio := map[string]string{"Content-Type": "audio/wav", "Content-Length": "4", "Accept-Ranges": "bytes",
		"ETag":          `"3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555"`,
		"Cache-Control": "private, max-age=3600", "Content-Disposition": `inline; filename="a.wav"; filename*=UTF-8''a.wav`}
	with := func(base map[string]string, k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range base {
			m[a] = b
		}
		if v == "-" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	created := map[string]string{"Content-Type": "application/json", "Location": "/v1/calls/c1"}
	return []exchange{
		{name: "valid call", method: "GET", path: "/v1/calls/c1", status: 200, header: jsonCT(), body: validCall},
		{name: "valid received call", method: "GET", path: "/v1/calls/c1", status: 200, header: jsonCT(), body: receivedCall},
		{name: "undocumented field", method: "GET", path: "/v1/calls/c1", status: 200, header: jsonCT(),
			body: strings.Replace(validCall, `"duplicate":false`, `"duplicate":false,"org_id":"o1"`, 1), wantErr: `"org_id"`},
		{name: "undocumented nested field", method: "GET", path: "/v1/calls/c1", status: 200, header: jsonCT(),
			body: strings.Replace(validCall, `"channels":1`, `"channels":1,"loudness":-23`, 1), wantErr: "/audio"},
		{name: "missing field", method: "GET", path: "/v1/calls/c1", status: 200, header: jsonCT(),
			body: strings.Replace(validCall, `"rejection_reason":null,`, ``, 1), wantErr: "rejection_reason"},
		{name: "wrong type", method: "GET", path: "/v1/calls/c1", status: 200, header: jsonCT(),
			body: strings.Replace(validCall, `1704067200`, `"1704067200"`, 1), wantErr: "conversation_timestamp"},
		{name: "bad enum", method: "GET", path: "/v1/calls/c1", status: 200, header: jsonCT(),
			body: strings.Replace(validCall, `"imported"`, `"done"`, 1), wantErr: "status"},
		{name: "bad date-time", method: "GET", path: "/v1/calls/c1", status: 200, header: jsonCT(),
			body: strings.Replace(validCall, `"2024-01-01T09:30:00Z"`, `"yesterday"`, 1), wantErr: "date-time"},
		{name: "undocumented status", method: "GET", path: "/v1/calls/c1", status: 418, header: problemCT,
			body: problem(418, "teapot", "I'm a teapot"), wantErr: "status 418 is not documented"},
		{name: "missing request id", method: "GET", path: "/v1/calls/c1", status: 200,
			header: with(jsonCT(), "X-Request-Id", ""), body: validCall, wantErr: "X-Request-Id"},
		{name: "undocumented content type", method: "GET", path: "/v1/calls/c1", status: 200,
			header: map[string]string{"Content-Type": "text/plain"}, body: "hello", wantErr: `Content-Type "text/plain" is not documented`},
		{name: "created", method: "POST", path: "/v1/calls/audio", status: 201, header: created, body: receivedCall},
		{name: "created by the alias", method: "POST", path: "/calls/audio", status: 201, header: created, body: receivedCall},
		{name: "created without Location", method: "POST", path: "/v1/calls/audio", status: 201,
			header: jsonCT(), body: receivedCall, wantErr: "Location"},
		{name: "duplicate answered 201", method: "POST", path: "/v1/calls/audio", status: 201, header: created,
			body: strings.Replace(receivedCall, `"duplicate":false`, `"duplicate":true`, 1), wantErr: "duplicate"},
		{name: "problem", method: "POST", path: "/v1/calls/audio", status: 415, header: problemCT,
			body: problem(415, "not_audio", "Unsupported Media Type")},
		{name: "problem with another status inside", method: "GET", path: "/v1/calls/c1", status: 404, header: problemCT,
			body: problem(403, "not_found", "Not Found"), wantErr: "404"},
		{name: "problem without request_id", method: "GET", path: "/v1/calls/c1", status: 404, header: problemCT,
			body: `{"type":"https://callimport.dev/problems/not_found","title":"Not Found","status":404}`, wantErr: "request_id"},
		{name: "problem as plain JSON", method: "GET", path: "/v1/calls/c1", status: 404, header: jsonCT(),
			body: problem(404, "not_found", "Not Found"), wantErr: "application/json"},
		{name: "invalid without errors", method: "GET", path: "/v1/calls", status: 422, header: problemCT,
			body: problem(422, "invalid", "Unprocessable Entity"), wantErr: "errors"},
		{name: "unavailable without Retry-After", method: "GET", path: "/v1/calls", status: 503, header: problemCT,
			body: problem(503, "unavailable", "Service Unavailable"), wantErr: "Retry-After"},
		{name: "unavailable", method: "GET", path: "/v1/calls", status: 503, header: with(problemCT, "Retry-After", "5"),
			body: problem(503, "unavailable", "Service Unavailable")},
		{name: "GET on the upload path is getCall", method: "GET", path: "/v1/calls/audio", status: 404, header: problemCT,
			body: problem(404, "not_found", "Not Found")},
		{name: "audio", method: "GET", path: "/v1/calls/c1/audio", status: 200, header: audio, body: "RIFF"},
		{name: "audio as HTML", method: "GET", path: "/v1/calls/c1/audio", status: 200,
			header: with(audio, "Content-Type", "text/html"), body: "RIFF", wantErr: "text/html"},
		{name: "partial audio", method: "GET", path: "/v1/calls/c1/audio", status: 206,
			header: with(audio, "Content-Range", "bytes 0-3/44"), body: "RIFF"},
		{name: "partial audio without Content-Range", method: "GET", path: "/v1/calls/c1/audio", status: 206,
			header: audio, body: "RIFF", wantErr: "Content-Range"},
		{name: "HEAD of audio", method: "HEAD", path: "/v1/calls/c1/audio", status: 200, header: audio},
		{name: "HEAD of audio without ETag", method: "HEAD", path: "/v1/calls/c1/audio", status: 200,
			header: with(audio, "ETag", "-"), wantErr: "ETag"},
		{name: "not modified", method: "GET", path: "/v1/calls/c1/audio", status: 304},
		{name: "range not satisfiable", method: "GET", path: "/v1/calls/c1/audio", status: 416,
			header: with(problemCT, "Content-Range", "bytes */44"),
			body:   `{"type":"about:blank","title":"Range Not Satisfiable","status":416,"detail":"x","request_id":"r"}`},
		{name: "deleted", method: "DELETE", path: "/v1/calls/c1", status: 204},
		{name: "unknown route", method: "GET", path: "/v2/nothing", status: 404, header: problemCT,
			body: `{"type":"about:blank","title":"Not Found","status":404,"detail":"no such route: GET /v2/nothing","request_id":"r"}`},
		{name: "unknown method", method: "PUT", path: "/v1/calls/c1", status: 405, header: problemCT,
			body: `{"type":"about:blank","title":"Method Not Allowed","status":405,"request_id":"r"}`},
		{name: "unknown route answered 200", method: "GET", path: "/v2/nothing", status: 200, header: jsonCT(),
			body: `{}`, wantErr: "no documented operation"},
		{name: "unknown route with a bad problem", method: "GET", path: "/v2/nothing", status: 404, header: problemCT,
			body: `{"type":"about:blank","title":"Not Found","status":404,"request_id":"r","route":"x"}`, wantErr: "route"},
		{name: "refused by net/http", method: "GET", path: "/v1/calls", status: 431,
			header: map[string]string{"Content-Type": "text/plain; charset=utf-8", "X-Request-Id": ""}, body: "431 Request Header Fields Too Large"},
		{name: "token", method: "POST", path: "/oauth/token", status: 200,
			header: map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store", "Pragma": "no-cache"},
			body:   `{"access_token":"cit_x","token_type":"Bearer","expires_in":900,"scope":"calls:read"}`},
		{name: "token error with the wrong code", method: "POST", path: "/oauth/token", status: 400,
			header: map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store", "Pragma": "no-cache"},
			body:   `{"error":"invalid_client","error_description":"x"}`, wantErr: "error"},
		{name: "health", method: "GET", path: "/healthz", status: 200, header: jsonCT(), body: `{"status":"ok"}`},
	}
}

func TestTransport(t *testing.T) {
	t.Parallel()
	doc := openapitest.Load(t)
	for _, ex := range exchanges() {
		t.Run(ex.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				h := w.Header()
				h.Set("X-Request-Id", "r1")
				for k, v := range ex.header {
					if v == "" {
						h.Del(k)
					} else {
						h.Set(k, v)
					}
				}
				w.WriteHeader(ex.status)
				_, _ = io.WriteString(w, ex.body)
			}))
			t.Cleanup(srv.Close)
			rec := &recorder{TB: t}
			client := &http.Client{Transport: doc.Transport(rec, srv.Client().Transport)}
			req, err := http.NewRequestWithContext(t.Context(), ex.method, srv.URL+ex.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if err := resp.Body.Close(); err != nil {
				t.Fatal(err)
			}
			if ex.method != http.MethodHead && string(body) != ex.body {
				t.Errorf("the client read %q, want the body sent, %q", body, ex.body)
			}
			got := rec.errors()
			switch {
			case ex.wantErr == "" && got != "":
				t.Errorf("valid exchange reported:\n%s", got)
			case ex.wantErr != "" && got == "":
				t.Errorf("mismatch not caught (want an error about %s)", ex.wantErr)
			case ex.wantErr != "" && !strings.Contains(got, ex.wantErr):
				t.Errorf("error does not mention %q:\n%s", ex.wantErr, got)
			case got != "" && !strings.Contains(got, "openapitest: "+ex.method+" "+ex.path):
				t.Errorf("error does not name the request:\n%s", got)
			default:
				if got != "" {
					t.Logf("caught as expected:\n%s", got)
				}
			}
		})
	}
}
