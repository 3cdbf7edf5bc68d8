package apitest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/client"
	"github.com/callimport/callimport/internal/app/apptest"
	"github.com/callimport/callimport/internal/call"
)

// TestCalls covers the happy paths of the calls resource on both stores.
func TestCalls(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			h := setup(t, apptest.Options{Postgres: be.postgres})
			t.Run("group", func(t *testing.T) {
				t.Run("upload", func(t *testing.T) { t.Parallel(); testUpload(t, h) })
				t.Run("limits", func(t *testing.T) { t.Parallel(); testLimits(t, h) })
				t.Run("duplicates", func(t *testing.T) { t.Parallel(); testDuplicates(t, h) })
				t.Run("list", func(t *testing.T) { t.Parallel(); testList(t, h) })
				t.Run("paging", func(t *testing.T) { t.Parallel(); testPaging(t, h) })
				t.Run("audio", func(t *testing.T) { t.Parallel(); testAudio(t, h) })
				t.Run("delete", func(t *testing.T) { t.Parallel(); testDelete(t, h) })
			})
			// Once every upload is done: one blob per call, nothing else
			// (no orphan of a refused, duplicate, raced or deleted upload).
			requireBlobsMatchCalls(t, h)
		})
	}
}

// newCampaign creates a campaign of org A through the API.
func (h *harness) newCampaign(t *testing.T, name string) string {
	t.Helper()
	var c struct {
		ID string `json:"id"`
	}
	h.json(t, request{method: "POST", path: "/v1/campaigns", apiKey: h.A.AdminKey, contentType: "application/json",
		body: jsonBody(t, map[string]string{"name": name})}, http.StatusCreated, &c)
	return c.ID
}

// upload posts one recording of org A and returns the call.
func (h *harness) upload(t *testing.T, want int, parts ...part) (callJSON, *http.Response) {
	t.Helper()
	var c callJSON
	resp := h.json(t, request{method: "POST", path: "/v1/calls/audio", apiKey: h.A.WriteKey, contentType: formType,
		body: form(parts...)}, want, &c)
	return c, resp
}

func testUpload(t *testing.T, h *harness) {
	audio := wav(200, 8000) // one second
	sum := sha256.Sum256(audio)
	c := client.New(h.URL, client.WithAPIKey(h.A.WriteKey), client.WithHTTPClient(h.http))
	res, err := c.UploadCall(t.Context(), client.Upload{
		CampaignID: h.A.CampaignID, FileName: "recording.wav", Body: bytes.NewReader(audio),
		ConversationTime: time.Unix(1704067200, 0), AgentEmail: "john.doe@example.com", ExternalID: "crm-42",
		Metadata: []client.MetaPair{{Key: "key2", Value: "value2"}, {Key: "key1", Value: "value1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || res.Duplicate || res.ID == "" || res.CampaignID != h.A.CampaignID || res.Source != "api" ||
		res.FileName != "recording.wav" || res.SizeBytes != int64(len(audio)) || res.SHA256 != hex.EncodeToString(sum[:]) ||
		res.ConversationTimestamp == nil || *res.ConversationTimestamp != 1704067200 ||
		res.AgentEmail == nil || *res.AgentEmail != "john.doe@example.com" || res.ExternalID == nil || *res.ExternalID != "crm-42" ||
		len(res.Metadata) != 2 || res.Metadata[0].Key != "key2" || res.Metadata[1].Key != "key1" ||
		res.CreatedAt.IsZero() || res.RejectionReason != nil {
		t.Errorf("created call %+v", res.Call)
	}
	if res.Status != "received" && res.Status != "processing" && res.Status != "imported" {
		t.Errorf("status %q right after upload", res.Status)
	}
	done := h.waitCall(t, h.A.ReadKey, res.ID)
	if done.Status != "imported" || done.Audio == nil || done.Audio.Format != "wav" || done.Audio.Codec == "" ||
		done.Audio.DurationSeconds != 1 || done.Audio.SampleRateHz != 8000 || done.Audio.Channels != 1 ||
		done.ImportedAt == nil || done.ImportedAt.Before(done.CreatedAt) {
		t.Errorf("imported call %+v audio %+v", done, done.Audio)
	}

	// The alias of the customer documentation, with RFC 3339 and an
	// object of metadata; Location and X-Request-Id.
	got, resp := h.upload(t, http.StatusCreated, field("campaign_id", h.A.CampaignID),
		field("conversation_timestamp", "2024-01-01T01:00:00+01:00"),
		field("metadata", `{"z":"1","a":"2","m":"3"}`), filePart("alias.wav", wav(201, 800)))
	if resp.Header.Get("Location") != "/v1/calls/"+got.ID {
		t.Errorf("Location %q", resp.Header.Get("Location"))
	}
	if got.ConversationTimestamp == nil || *got.ConversationTimestamp != 1704067200 {
		t.Errorf("RFC 3339 timestamp read as %v", got.ConversationTimestamp)
	}
	if keys := metaKeys(got.Metadata); !slices.Equal(keys, []string{"z", "a", "m"}) {
		t.Errorf("metadata order %q", keys)
	}
	var alias callJSON
	resp = h.json(t, request{method: "POST", path: "/calls/audio", apiKey: h.A.WriteKey, contentType: formType,
		header: map[string]string{"X-Request-Id": "my-request-1"},
		body:   form(filePart("first.wav", wav(202, 800)), field("campaign_id", h.A.CampaignID))}, http.StatusCreated, &alias)
	if resp.Header.Get("X-Request-Id") != "my-request-1" || resp.Header.Get("Location") != "/v1/calls/"+alias.ID {
		t.Errorf("alias: X-Request-Id %q, Location %q", resp.Header.Get("X-Request-Id"), resp.Header.Get("Location"))
	}
	if alias.FileName != "first.wav" || alias.Metadata == nil {
		t.Errorf("alias call %+v", alias)
	}
	var again callJSON
	h.json(t, request{method: "POST", path: "/calls/audio", apiKey: h.A.WriteKey, contentType: formType,
		body: form(field("campaign_id", h.A.CampaignID), filePart("again.wav", wav(202, 800)))}, http.StatusOK, &again)
	if !again.Duplicate || again.ID != alias.ID {
		t.Errorf("alias duplicate %+v, want %s", again, alias.ID)
	}
	resp, body := h.do(t, request{method: "POST", path: "/calls/audio", contentType: formType,
		body: form(field("campaign_id", h.A.CampaignID), filePart("nokey.wav", wav(203, 800)))})
	checkProblem(t, resp, body, http.StatusUnauthorized)
	if resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("401 without WWW-Authenticate")
	}
}

// testLimits sends an envelope at every limit of PRODUCT.md §1: accepted.
func testLimits(t *testing.T, h *harness) {
	pairs := metadataPairs(49)
	pairs = pairs[:len(pairs)-1] + `,{"key":"` + strings.Repeat("k", 64) + `","value":"` + strings.Repeat("é", 1024) + `"}]`
	c, _ := h.upload(t, http.StatusCreated, field("campaign_id", h.A.CampaignID), field("metadata", pairs),
		field("external_id", strings.Repeat("x", 256)), field("agent_email", "a.b-c+tag@sub.example.co.uk"),
		field("conversation_timestamp", fmt.Sprint(time.Now().Add(time.Hour).Unix())), filePart(strings.Repeat("n", 300)+".wav", wav(230, 800)))
	if len(c.Metadata) != 50 || len([]rune(c.Metadata[49].Value)) != 1024 || c.ExternalID == nil || len(*c.ExternalID) != 256 {
		t.Errorf("limits: %d pairs, external_id %v", len(c.Metadata), c.ExternalID)
	}
	if len(c.FileName) > 255 || !strings.HasPrefix(c.FileName, "nnn") {
		t.Errorf("a 304-byte file name is kept as %d bytes: %q", len(c.FileName), c.FileName)
	}
}

func metaKeys(ps []call.MetaPair) []string {
	var ks []string
	for _, p := range ps {
		ks = append(ks, p.Key)
	}
	return ks
}

func testDuplicates(t *testing.T, h *harness) {
	camp := h.newCampaign(t, "duplicates")
	other := h.newCampaign(t, "duplicates elsewhere")
	audio := wav(210, 800)
	first, _ := h.upload(t, http.StatusCreated, field("campaign_id", camp), filePart("a.wav", audio))

	again, resp := h.upload(t, http.StatusOK, field("campaign_id", camp), field("agent_email", "x@example.com"),
		filePart("renamed.wav", audio))
	if !again.Duplicate || again.ID != first.ID || again.FileName != "a.wav" || again.AgentEmail != nil {
		t.Errorf("same content: %+v, want call %s marked duplicate and unchanged", again, first.ID)
	}
	if resp.Header.Get("Location") != "/v1/calls/"+first.ID {
		t.Errorf("duplicate Location %q", resp.Header.Get("Location"))
	}
	// The stored call is not marked duplicate; only the answer is.
	var stored callJSON
	h.json(t, request{method: "GET", path: "/v1/calls/" + first.ID, apiKey: h.A.ReadKey}, http.StatusOK, &stored)
	if stored.Duplicate {
		t.Errorf("GET shows duplicate: true")
	}

	ext := wav(211, 800)
	byExt, _ := h.upload(t, http.StatusCreated, field("campaign_id", camp), field("external_id", "conv-1"), filePart("e.wav", ext))
	dupExt, _ := h.upload(t, http.StatusOK, field("campaign_id", camp), field("external_id", "conv-1"), filePart("e2.wav", ext))
	if !dupExt.Duplicate || dupExt.ID != byExt.ID {
		t.Errorf("same external_id and content: %+v, want %s", dupExt, byExt.ID)
	}
	resp2, body := h.do(t, request{method: "POST", path: "/v1/calls/audio", apiKey: h.A.WriteKey, contentType: formType,
		body: form(field("campaign_id", camp), field("external_id", "conv-1"), filePart("e3.wav", wav(212, 800)))})
	p := checkProblem(t, resp2, body, http.StatusConflict, "external_id")
	_ = p

	// Dedupe is per campaign.
	elsewhere, _ := h.upload(t, http.StatusCreated, field("campaign_id", other), field("external_id", "conv-1"), filePart("a.wav", audio))
	if elsewhere.ID == first.ID || elsewhere.Duplicate {
		t.Errorf("same content in another campaign: %+v", elsewhere)
	}
	// Organisation B may send the same bytes to its own campaign.
	var inB callJSON
	h.json(t, request{method: "POST", path: "/v1/calls/audio", apiKey: h.B.WriteKey, contentType: formType,
		body: form(field("campaign_id", h.B.CampaignID), filePart("a.wav", audio))}, http.StatusCreated, &inB)
	if inB.ID == first.ID {
		t.Errorf("organisation B got organisation A's call")
	}
	// Racing senders of the same audio, or of one external_id with
	// different audio, end as one call: the others get it as a duplicate,
	// or a conflict; no blob of the losers stays.
	race := h.newCampaign(t, "race")
	same := wav(213, 800)
	type outcome struct {
		status int
		id     string
	}
	results := make(chan outcome, 16)
	for i := range 16 {
		go func() {
			audio, ext := same, ""
			if i >= 8 {
				audio, ext = wav(214+i, 800), "race-ext"
			}
			parts := []part{field("campaign_id", race), filePart("r.wav", audio)}
			if ext != "" {
				parts = append(parts, field("external_id", ext))
			}
			r, err := h.http.Do(mustRequest(t, "POST", h.URL+"/v1/calls/audio", h.A.WriteKey, form(parts...)))
			if err != nil {
				results <- outcome{status: -1}
				return
			}
			defer func() { _ = r.Body.Close() }()
			var c callJSON
			_ = json.NewDecoder(r.Body).Decode(&c)
			results <- outcome{r.StatusCode, c.ID}
		}()
	}
	count := map[int]int{}
	ids := map[string]bool{}
	for range 16 {
		o := <-results
		count[o.status]++
		if o.status < 300 {
			ids[o.id] = true
		}
	}
	if count[201] != 2 || count[200] != 7 || count[409] != 7 || len(ids) != 2 {
		t.Errorf("racing uploads: statuses %v, %d distinct calls; want 2×201, 7×200, 7×409 and 2 calls", count, len(ids))
	}
	raced := 0
	for _, c := range h.storedCalls(t, h.A.OrgID) {
		if c.CampaignID == race {
			raced++
		}
	}
	if raced != 2 {
		t.Errorf("%d calls stored in the race campaign, want 2", raced)
	}

	// Exactly the calls made above exist, each with one blob.
	ids = map[string]bool{}
	for _, c := range h.storedCalls(t, h.A.OrgID) {
		if c.CampaignID == camp || c.CampaignID == other {
			ids[c.ID] = true
		}
	}
	if len(ids) != 3 {
		t.Errorf("%d calls in the two campaigns, want 3", len(ids))
	}
}

// listIDs lists org A's calls with query q through the API, following
// every page, and returns their ids.
func (h *harness) listIDs(t *testing.T, q url.Values) []string {
	t.Helper()
	var ids []string
	for page := 0; ; page++ {
		var p struct {
			Data       []callJSON `json:"data"`
			NextCursor *string    `json:"next_cursor"`
		}
		h.json(t, request{method: "GET", path: "/v1/calls?" + q.Encode(), apiKey: h.A.ReadKey}, http.StatusOK, &p)
		for _, c := range p.Data {
			ids = append(ids, c.ID)
		}
		if p.NextCursor == nil {
			return ids
		}
		if page > 100 {
			t.Fatalf("more than 100 pages")
		}
		q.Set("cursor", *p.NextCursor)
	}
}

func testList(t *testing.T, h *harness) {
	camp := h.newCampaign(t, "listing")
	ok1, _ := h.upload(t, 201, field("campaign_id", camp), field("agent_email", "ann@example.com"), field("external_id", "L-1"), filePart("1.wav", wav(220, 800)))
	ok2, _ := h.upload(t, 201, field("campaign_id", camp), field("agent_email", "bob@example.com"), filePart("2.wav", wav(221, 800)))
	cut := wav(222, 8000)
	bad, _ := h.upload(t, 201, field("campaign_id", camp), field("agent_email", "ann@example.com"), filePart("3.wav", cut[:2000]))
	for _, id := range []string{ok1.ID, ok2.ID, bad.ID} {
		h.waitCall(t, h.A.ReadKey, id)
	}
	q := func(kv ...string) url.Values {
		v := url.Values{"campaign_id": {camp}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	for _, tc := range []struct {
		name string
		q    url.Values
		want []string // newest first
	}{
		{"campaign", q(), []string{bad.ID, ok2.ID, ok1.ID}},
		{"status imported", q("status", "imported"), []string{ok2.ID, ok1.ID}},
		{"status rejected", q("status", "rejected"), []string{bad.ID}},
		{"status received", q("status", "received"), nil},
		{"source api", q("source", "api"), []string{bad.ID, ok2.ID, ok1.ID}},
		{"source sftp", q("source", "sftp"), nil},
		{"agent", q("agent_email", "ann@example.com"), []string{bad.ID, ok1.ID}},
		{"agent and status", q("agent_email", "ann@example.com", "status", "imported"), []string{ok1.ID}},
		{"external id", q("external_id", "L-1"), []string{ok1.ID}},
		{"created after", q("created_after", ok2.CreatedAt.Format(time.RFC3339Nano)), []string{bad.ID, ok2.ID}},
		{"created before", q("created_before", ok2.CreatedAt.Format(time.RFC3339Nano)), []string{ok1.ID}},
		{"created window", q("created_after", ok2.CreatedAt.Format(time.RFC3339Nano), "created_before", bad.CreatedAt.Format(time.RFC3339Nano)), []string{ok2.ID}},
		{"created after, unix seconds", q("created_after", fmt.Sprint(ok1.CreatedAt.Unix()-1)), []string{bad.ID, ok2.ID, ok1.ID}},
		{"unknown campaign", url.Values{"campaign_id": {"0190a8a8-1111-7000-8000-000000000000"}}, nil},
		{"limit 1", q("limit", "1"), []string{bad.ID, ok2.ID, ok1.ID}},
	} {
		if got := h.listIDs(t, tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct{ query, field string }{
		{"status=done", "status"},
		{"source=ftp", "source"},
		{"limit=0", "limit"},
		{"limit=501", "limit"},
		{"limit=ten", "limit"},
		{"created_after=yesterday", "created_after"},
		{"created_before=-5", "created_before"},
		{"cursor=not-a-cursor", "cursor"},
		{"cursor=%21%21", "cursor"},
		{"cursor=" + strings.Repeat("A", 300), "cursor"}, // decodes to 225 zero bytes
		{"cursor=" + url.QueryEscape("eyJ0IjoiMjAyNC0wMS0wMVQwMDowMDowMFoiLCJpZCI6IngifQ"), "cursor"},
	} {
		t.Run(tc.query[:min(len(tc.query), 40)], func(t *testing.T) {
			resp, body := h.do(t, request{method: "GET", path: "/v1/calls?" + tc.query, apiKey: h.A.ReadKey})
			if resp.StatusCode == http.StatusOK {
				t.Fatalf("accepted: %.300s", body)
			}
			checkProblem(t, resp, body, http.StatusUnprocessableEntity, tc.field)
		})
	}
	resp, body := h.do(t, request{method: "GET", path: "/v1/calls"})
	checkProblem(t, resp, body, http.StatusUnauthorized)
}

func testPaging(t *testing.T, h *harness) {
	camp := h.newCampaign(t, "paging")
	var want []string
	for i := range 25 {
		c, _ := h.upload(t, 201, field("campaign_id", camp), filePart(fmt.Sprintf("p%02d.wav", i), wav(300+i, 400)))
		want = append(want, c.ID)
	}
	slices.Reverse(want) // newest first
	q := url.Values{"campaign_id": {camp}, "limit": {"10"}}
	var got []string
	var sizes []int
	var last time.Time
	for {
		var p struct {
			Data       []callJSON `json:"data"`
			NextCursor *string    `json:"next_cursor"`
		}
		h.json(t, request{method: "GET", path: "/v1/calls?" + q.Encode(), apiKey: h.A.ReadKey}, http.StatusOK, &p)
		sizes = append(sizes, len(p.Data))
		for _, c := range p.Data {
			if !last.IsZero() && c.CreatedAt.After(last) {
				t.Errorf("call %s (%s) after an older one", c.ID, c.CreatedAt)
			}
			last = c.CreatedAt
			got = append(got, c.ID)
		}
		if p.NextCursor == nil {
			break
		}
		if len(sizes) > 5 {
			t.Fatalf("too many pages: %v", sizes)
		}
		q.Set("cursor", *p.NextCursor)
	}
	if !slices.Equal(sizes, []int{10, 10, 5}) {
		t.Errorf("page sizes %v, want [10 10 5]", sizes)
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged ids:\n%q\nwant\n%q", got, want)
	}
	// A call added while paging appears neither twice nor in place of another.
	q = url.Values{"campaign_id": {camp}, "limit": {"10"}}
	var first struct {
		NextCursor *string `json:"next_cursor"`
	}
	h.json(t, request{method: "GET", path: "/v1/calls?" + q.Encode(), apiKey: h.A.ReadKey}, http.StatusOK, &first)
	h.upload(t, 201, field("campaign_id", camp), filePart("late.wav", wav(400, 400)))
	q.Set("cursor", *first.NextCursor)
	rest := h.listIDs(t, q)
	if !slices.Equal(rest, want[10:]) {
		t.Errorf("pages after an insert: %q, want %q", rest, want[10:])
	}
}

func mustRequest(t *testing.T, method, url, key string, body []byte) *http.Request {
	req, err := http.NewRequestWithContext(t.Context(), method, url, bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	req.Header.Set("X-Api-Key", key)
	req.Header.Set("Content-Type", formType)
	return req
}

// requireBlobsMatchCalls checks that the blob folder holds exactly one
// file per stored call (of either organisation) once uploads in flight
// are done: no orphan, no temporary file. Only for tests that own their
// server's uploads at that moment.
func requireBlobsMatchCalls(t *testing.T, h *harness) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		var want []string
		for _, org := range []string{h.A.OrgID, h.B.OrgID} {
			for _, c := range h.storedCalls(t, org) {
				want = append(want, c.BlobKey)
			}
		}
		slices.Sort(want)
		got := blobFiles(t, h.DataDir)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("blob files %q, want one per call %q", got, want)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
