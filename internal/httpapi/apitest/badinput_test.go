package apitest_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/app/apptest"
)

// badInputMaxUpload is the small --max-upload-size of the bad-input server.
const badInputMaxUpload = 64 << 10

// badCase is one request to POST /v1/calls/audio (or a raw exchange) and
// what it must end as.
type badCase struct {
	name string
	req  func(f *badFixture) request
	// status is the expected status; fields the errors[].field it must name.
	status int
	fields []string
	// plain: the answer comes from net/http itself, not from our handlers,
	// so it is not problem+json.
	plain bool
	// accepted is called for 2xx answers with the call; the call is then
	// expected among the stored ones.
	accepted func(t *testing.T, f *badFixture, c callJSON)
	// raw replaces req: it talks to the server itself and checks the answer
	// (if any) itself.
	raw func(t *testing.T, f *badFixture)
}

// badFixture is the state the cases draw on.
type badFixture struct {
	h          *harness
	revokedKey string
	token      string
	tokenAt    time.Time
	externalID string
}

func (f *badFixture) upload(parts ...part) request {
	return request{method: "POST", path: "/v1/calls/audio", apiKey: f.h.A.WriteKey, contentType: formType, body: form(parts...)}
}

func (f *badFixture) campaign() part { return field("campaign_id", f.h.A.CampaignID) }

// TestBadInputs sends refused (and a few odd but accepted) uploads and
// checks each answer and that a refused request leaves nothing stored: no
// call row, no blob or temporary file, no intake record. The cases run one
// after the other on one server because each compares what is stored
// before and after it.
func TestBadInputs(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			h := setup(t, apptest.Options{Postgres: be.postgres, MaxUploadSize: badInputMaxUpload, TokenTTL: time.Second})
			f := newBadFixture(t, h)
			for _, tc := range badCases() {
				t.Run(tc.name, func(t *testing.T) { runBadCase(t, f, tc) })
			}
		})
	}
}

func newBadFixture(t *testing.T, h *harness) *badFixture {
	f := &badFixture{h: h, externalID: "ext-conflict-1"}
	f.tokenAt = time.Now()
	f.token = h.token(t, h.A.ClientID, h.A.ClientSecret, "")
	resp, body := h.do(t, request{method: "GET", path: "/v1/calls", bearer: f.token})
	if time.Since(f.tokenAt) < 800*time.Millisecond && resp.StatusCode != http.StatusOK {
		t.Fatalf("fresh token refused: %d %s", resp.StatusCode, body)
	}
	var key struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	h.json(t, request{method: "POST", path: "/v1/api-keys", apiKey: h.A.AdminKey, contentType: "application/json",
		body: []byte(`{"name":"to revoke","scopes":["calls:write"]}`)}, http.StatusCreated, &key)
	h.json(t, f.upload(f.campaign(), filePart("ok.wav", wav(1, 800))), http.StatusCreated, nil) // works before revocation
	resp, body = h.do(t, request{method: "POST", path: "/v1/calls/audio", apiKey: key.Key, contentType: formType,
		body: form(f.campaign(), filePart("ok2.wav", wav(2, 800)))})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("new key: %d %s", resp.StatusCode, body)
	}
	resp, body = h.do(t, request{method: "DELETE", path: "/v1/api-keys/" + key.ID, apiKey: h.A.AdminKey})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke key: %d %s", resp.StatusCode, body)
	}
	f.revokedKey = key.Key
	h.json(t, f.upload(f.campaign(), field("external_id", f.externalID), filePart("ext.wav", wav(3, 800))), http.StatusCreated, nil)
	return f
}

func runBadCase(t *testing.T, f *badFixture, tc badCase) {
	h := f.h
	before := h.snapshot(t)
	if tc.raw != nil {
		tc.raw(t, f)
		requireUnchanged(t, before, h.waitSettled(t, before), h.A.OrgID)
		return
	}
	r := tc.req(f)
	resp, body := h.do(t, r)
	if resp.StatusCode >= 300 {
		if tc.plain {
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body: %s", resp.StatusCode, tc.status, body)
			}
		} else {
			checkProblem(t, resp, body, tc.status, tc.fields...)
			mustContainNone(t, "problem", body, h.A.WriteKey, h.A.AdminKey, f.token, h.DataDir)
		}
		requireUnchanged(t, before, h.waitSettled(t, before), h.A.OrgID)
		return
	}
	if resp.StatusCode != tc.status {
		t.Fatalf("status %d, want %d; body: %s", resp.StatusCode, tc.status, body)
	}
	var c callJSON
	decode(t, body, &c)
	if tc.accepted == nil {
		t.Fatalf("accepted unexpectedly: %s", body)
	}
	tc.accepted(t, f, c)
	requireUnchanged(t, before, h.snapshot(t), h.A.OrgID, c.ID)
}

// waitSettled waits (briefly) for asynchronous clean-up after a refusal:
// until no intake and no temporary file is left and the blob files are
// back to what they were, or two seconds passed.
func (h *harness) waitSettled(t *testing.T, before snapshot) snapshot {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		now := h.snapshot(t)
		if len(now.intakes) == 0 && strings.Join(now.blobs, ",") == strings.Join(before.blobs, ",") || time.Now().After(deadline) {
			return now
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func badCases() []badCase {
	ok := func(seed int) []byte { return wav(seed, 800) }
	const fileField = "file"
	cases := []badCase{
		{name: "missing file", status: 422, fields: []string{fileField},
			req: func(f *badFixture) request { return f.upload(f.campaign()) }},
		{name: "missing file and campaign", status: 422, fields: []string{fileField, "campaign_id"},
			req: func(f *badFixture) request { return f.upload(field("agent_email", "a@example.com")) }},
		{name: "empty file", status: 422, fields: []string{fileField},
			req: func(f *badFixture) request { return f.upload(f.campaign(), filePart("empty.wav", nil)) }},
		{name: "pdf renamed wav", status: 415, fields: []string{fileField},
			req: func(f *badFixture) request { return f.upload(f.campaign(), filePart("call.wav", pdf)) }},
		{name: "three bytes", status: 415, fields: []string{fileField},
			req: func(f *badFixture) request { return f.upload(f.campaign(), filePart("tiny.wav", []byte("RIF"))) }},
		{name: "text in a part named file without filename", status: 415, fields: []string{fileField},
			req: func(f *badFixture) request { return f.upload(f.campaign(), field("file", "hello")) }},
		{name: "truncated wav accepted then rejected", status: 201,
			req: func(f *badFixture) request {
				b := wav(10, 8000) // declares 16,000 bytes of audio
				return f.upload(f.campaign(), filePart("cut.wav", b[:44+3000]))
			},
			accepted: func(t *testing.T, f *badFixture, c callJSON) {
				if c.Status != "received" && c.Status != "processing" && c.Status != "rejected" {
					t.Errorf("status %q", c.Status)
				}
				done := f.h.waitCall(t, f.h.A.ReadKey, c.ID)
				if done.Status != "rejected" || done.RejectionReason == nil || !strings.Contains(*done.RejectionReason, "truncated") {
					t.Errorf("truncated WAV ended %s with reason %v, want rejected as truncated", done.Status, ptr(done.RejectionReason))
				}
				if done.Audio != nil {
					t.Errorf("rejected call has audio %+v", *done.Audio)
				}
			}},
		{name: "60 metadata pairs", status: 422, fields: []string{"metadata"},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), field("metadata", metadataPairs(60)), filePart("a.wav", ok(20)))
			}},
		{name: "bad json metadata", status: 422, fields: []string{"metadata"},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), field("metadata", `[{"key":"a","value":"b"`), filePart("a.wav", ok(21)))
			}},
		{name: "metadata is a string", status: 422, fields: []string{"metadata"},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), field("metadata", `"key1=value1"`), filePart("a.wav", ok(21)))
			}},
		{name: "metadata value too long", status: 422, fields: []string{"metadata"},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), field("metadata", `[{"key":"a","value":"`+strings.Repeat("x", 1025)+`"}]`), filePart("a.wav", ok(22)))
			}},
		{name: "metadata key with bad characters", status: 422, fields: []string{"metadata"},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), field("metadata", `[{"key":"bad key!","value":"b"}]`), filePart("a.wav", ok(23)))
			}},
		{name: "metadata key too long", status: 422, fields: []string{"metadata"},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), field("metadata", `{"`+strings.Repeat("k", 65)+`":"v"}`), filePart("a.wav", ok(24)))
			}},
		{name: "metadata key twice", status: 422, fields: []string{"metadata"},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), field("metadata", `[{"key":"a","value":"1"},{"key":"a","value":"2"}]`), filePart("a.wav", ok(25)))
			}},
		{name: "metadata object with a number", status: 422, fields: []string{"metadata"},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), field("metadata", `{"a":1}`), filePart("a.wav", ok(26)))
			}},
		{name: "metadata field larger than the field limit", status: 400,
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), field("metadata", `[{"key":"a","value":"`+strings.Repeat("x", 200<<10)+`"}]`), filePart("a.wav", ok(26)))
			}},
		{name: "bad e-mail", status: 422, fields: []string{"agent_email"},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), field("agent_email", "john.doe@"), filePart("a.wav", ok(27)))
			}},
		{name: "e-mail with display name", status: 422, fields: []string{"agent_email"},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), field("agent_email", "John <john@example.com>"), filePart("a.wav", ok(27)))
			}},
		{name: "timestamp years in the future", status: 422, fields: []string{"conversation_timestamp"},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), field("conversation_timestamp", "4102444800"), filePart("a.wav", ok(28)))
			}},
		{name: "timestamp negative", status: 422, fields: []string{"conversation_timestamp"},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), field("conversation_timestamp", "-1704067200"), filePart("a.wav", ok(29)))
			}},
		{name: "timestamp not a number", status: 422, fields: []string{"conversation_timestamp"},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), field("conversation_timestamp", "yesterday"), filePart("a.wav", ok(30)))
			}},
		{name: "timestamp in milliseconds", status: 422, fields: []string{"conversation_timestamp"},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), field("conversation_timestamp", "1704067200000"), filePart("a.wav", ok(31)))
			}},
		{name: "several bad fields at once", status: 422, fields: []string{"conversation_timestamp", "agent_email", "metadata"},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), field("conversation_timestamp", "x"), field("agent_email", "x"),
					field("metadata", "x"), filePart("a.wav", ok(31)))
			}},
		{name: "external_id too long", status: 422, fields: []string{"external_id"},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), field("external_id", strings.Repeat("e", 257)), filePart("a.wav", ok(32)))
			}},
		{name: "external_id with a control character", status: 422, fields: []string{"external_id"},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), field("external_id", "ab\x01cd"), filePart("a.wav", ok(32)))
			}},
		{name: "campaign_id not an id", status: 422, fields: []string{"campaign_id"},
			req: func(f *badFixture) request {
				return f.upload(field("campaign_id", "../../etc"), filePart("a.wav", ok(33)))
			}},
		{name: "unknown campaign", status: 404,
			req: func(f *badFixture) request {
				return f.upload(field("campaign_id", "0190a8a8-1111-7000-8000-000000000000"), filePart("a.wav", ok(34)))
			}},
		{name: "campaign of another organisation", status: 404,
			req: func(f *badFixture) request {
				return f.upload(field("campaign_id", f.h.B.CampaignID), filePart("a.wav", ok(35)))
			}},
		{name: "campaign of another organisation, file first", status: 404,
			req: func(f *badFixture) request {
				return f.upload(filePart("a.wav", ok(35)), field("campaign_id", f.h.B.CampaignID))
			}},
		{name: "no key", status: 401,
			req: func(f *badFixture) request {
				r := f.upload(f.campaign(), filePart("a.wav", ok(36)))
				r.apiKey = ""
				return r
			}},
		{name: "wrong key", status: 401,
			req: func(f *badFixture) request {
				r := f.upload(f.campaign(), filePart("a.wav", ok(37)))
				r.apiKey = f.h.A.WriteKey + "x"
				return r
			}},
		{name: "huge key", status: 401,
			req: func(f *badFixture) request {
				r := f.upload(f.campaign(), filePart("a.wav", ok(37)))
				r.apiKey = strings.Repeat("k", 64<<10)
				return r
			}},
		{name: "revoked key", status: 401,
			req: func(f *badFixture) request {
				r := f.upload(f.campaign(), filePart("a.wav", ok(38)))
				r.apiKey = f.revokedKey
				return r
			}},
		{name: "expired token", status: 401,
			req: func(f *badFixture) request {
				time.Sleep(time.Until(f.tokenAt.Add(1500 * time.Millisecond)))
				r := f.upload(f.campaign(), filePart("a.wav", ok(39)))
				r.apiKey, r.bearer = "", f.token
				return r
			}},
		{name: "garbage bearer token", status: 401,
			req: func(f *badFixture) request {
				r := f.upload(f.campaign(), filePart("a.wav", ok(39)))
				r.apiKey, r.bearer = "", "not-a-token"
				return r
			}},
		{name: "api key sent as bearer token", status: 401,
			req: func(f *badFixture) request {
				r := f.upload(f.campaign(), filePart("a.wav", ok(39)))
				r.apiKey, r.bearer = "", f.h.A.WriteKey
				return r
			}},
		{name: "read-only key", status: 403,
			req: func(f *badFixture) request {
				r := f.upload(f.campaign(), filePart("a.wav", ok(40)))
				r.apiKey = f.h.A.ReadKey
				return r
			}},
		{name: "both x-api-key and Authorization", status: 400,
			req: func(f *badFixture) request {
				r := f.upload(f.campaign(), filePart("a.wav", ok(41)))
				r.bearer = f.token
				return r
			}},
		{name: "basic authorization scheme", status: 401,
			req: func(f *badFixture) request {
				r := f.upload(f.campaign(), filePart("a.wav", ok(42)))
				r.apiKey = ""
				r.header = map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}
				return r
			}},
		{name: "oversized file", status: 413, fields: []string{fileField},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), filePart("big.wav", wav(43, badInputMaxUpload/2+100)))
			}},
		{name: "oversized body refused from its length", status: 413,
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), filePart("big.wav", wav(44, 1<<20)))
			}},
		{name: "oversized file chunked", status: 413,
			req: func(f *badFixture) request {
				r := f.upload(f.campaign(), filePart("big.wav", wav(45, badInputMaxUpload)))
				r.bodyReader, r.body = bytes.NewBuffer(r.body), nil
				return r
			}},
		{name: "multipart without boundary", status: 400,
			req: func(f *badFixture) request {
				r := f.upload(f.campaign(), filePart("a.wav", ok(46)))
				r.contentType = "multipart/form-data"
				return r
			}},
		{name: "multipart with a 300-byte boundary", status: 400,
			req: func(f *badFixture) request {
				r := f.upload(f.campaign(), filePart("a.wav", ok(46)))
				r.contentType = "multipart/form-data; boundary=" + strings.Repeat("b", 300)
				return r
			}},
		{name: "wrong boundary", status: 400,
			req: func(f *badFixture) request {
				r := f.upload(f.campaign(), filePart("a.wav", ok(46)))
				r.contentType = "multipart/form-data; boundary=other"
				return r
			}},
		{name: "not multipart", status: 400,
			req: func(f *badFixture) request {
				r := f.upload()
				r.contentType, r.body = "application/json", []byte(`{"campaign_id":"x"}`)
				return r
			}},
		{name: "no content type", status: 400,
			req: func(f *badFixture) request {
				r := f.upload()
				r.contentType, r.body = "", ok(47)
				return r
			}},
		{name: "body ends before the closing boundary", status: 400,
			req: func(f *badFixture) request {
				r := f.upload(f.campaign(), filePart("a.wav", ok(48)))
				r.body = r.body[:len(r.body)-200]
				return r
			}},
		{name: "bare LF framing", status: 400,
			req: func(f *badFixture) request {
				r := f.upload(f.campaign(), filePart("a.wav", ok(49)))
				r.body = bytes.ReplaceAll(r.body, []byte("\r\n"), []byte("\n"))
				return r
			}},
		{name: "two files", status: 422, fields: []string{fileField},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), filePart("a.wav", ok(50)), filePart("b.wav", ok(51)))
			}},
		{name: "unknown field", status: 422, fields: []string{"agent"},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), field("agent", "x"), filePart("a.wav", ok(52)))
			}},
		{name: "duplicated field", status: 422, fields: []string{"campaign_id"},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), f.campaign(), filePart("a.wav", ok(53)))
			}},
		{name: "duplicated field after the file", status: 422, fields: []string{"agent_email"},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), filePart("a.wav", ok(53)), field("agent_email", "a@example.com"), field("agent_email", "b@example.com"))
			}},
		{name: "external_id reused with different content", status: 409, fields: []string{"external_id"},
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), field("external_id", f.externalID), filePart("other.wav", ok(54)))
			}},
		{name: "path traversal file name", status: 201,
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), filePart("../../etc/passwd.wav", ok(60)))
			},
			accepted: wantFileName("passwd.wav")},
		{name: "windows path traversal file name", status: 201,
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), filePart(`..\..\Windows\system32\evil.wav`, ok(61)))
			},
			accepted: wantFileName("evil.wav")},
		{name: "file name dot dot", status: 201,
			req: func(f *badFixture) request { return f.upload(f.campaign(), filePart("..", ok(62))) },
			accepted: func(t *testing.T, _ *badFixture, c callJSON) {
				if c.FileName == ".." || c.FileName == "" || strings.ContainsAny(c.FileName, `/\`) {
					t.Errorf("file_name %q", c.FileName)
				}
			}},
		{name: "non-UTF-8 file name", status: 201,
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), filePart("appel-\xe9t\xe9\xff.wav", ok(63)))
			},
			accepted: wantFileName("appel-\uFFFDt\uFFFD.wav")}, // one U+FFFD per run of bad bytes
		// RFC 2045 quoted strings cannot hold control characters: the part
		// header is refused as a whole.
		{name: "file name with control characters", status: 400,
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), part{name: "file", isFile: true, body: ok(64),
					disposition: "form-data; name=\"file\"; filename=\"a\x07b\x1bc.wav\""})
			}},
		{name: "RFC 2231 file name", status: 201,
			req: func(f *badFixture) request {
				return f.upload(f.campaign(), part{name: "file", isFile: true, body: ok(65),
					disposition: "form-data; name=\"file\"; filename*=UTF-8''..%2F..%2Fappel%20%C3%A9t%C3%A9.wav"})
			},
			accepted: wantFileName("appel été.wav")},
		{name: "huge header", status: http.StatusRequestHeaderFieldsTooLarge, plain: true,
			req: func(f *badFixture) request {
				r := f.upload(f.campaign(), filePart("a.wav", ok(66)))
				r.header = map[string]string{"X-Padding": strings.Repeat("p", 2<<20)}
				return r
			}},
		{name: "body cut in the file", raw: cutUpload(false)},
		{name: "body cut after the file", raw: cutUpload(true)},
		{name: "wrong method on the upload route", status: 405,
			req: func(f *badFixture) request {
				r := f.upload(f.campaign(), filePart("a.wav", ok(67)))
				r.method = "PUT"
				return r
			}},
	}
	return cases
}

func wantFileName(want string) func(t *testing.T, f *badFixture, c callJSON) {
	return func(t *testing.T, f *badFixture, c callJSON) {
		if c.FileName != want {
			t.Errorf("file_name %q, want %q", c.FileName, want)
		}
		// Nothing was written outside the blob folder under a sender's name.
		for _, p := range blobFiles(t, f.h.DataDir) {
			if strings.Contains(p, "passwd") || strings.Contains(p, "evil") || strings.Contains(p, ".wav") {
				t.Errorf("blob path %q derives from the sender's name", p)
			}
		}
	}
}

func ptr(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
