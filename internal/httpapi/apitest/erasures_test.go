package apitest_test

import (
	"encoding/base64"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/app/apptest"
)

// erasureJSON is an erasure as the API answers it.
type erasureJSON struct {
	ID              string  `json:"id"`
	Status          string  `json:"status"`
	Kind            string  `json:"kind"`
	CampaignID      *string `json:"campaign_id"`
	MetadataKey     *string `json:"metadata_key"`
	CriterionSHA256 string  `json:"criterion_sha256"`
	Receipt         *struct {
		ErasedCount int `json:"erased_count"`
		Calls       []struct {
			ID         string    `json:"id"`
			CampaignID string    `json:"campaign_id"`
			ReceivedAt time.Time `json:"received_at"`
			SHA256     string    `json:"sha256"`
		} `json:"calls"`
	} `json:"receipt"`
	Error *string `json:"error"`
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func (e erasureJSON) erasedIDs() []string {
	var ids []string
	if e.Receipt != nil {
		for _, c := range e.Receipt.Calls {
			ids = append(ids, c.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// TestErasures covers /v1/erasures on both stores: erasure by agent
// e-mail, by metadata value and of one call removes every matching call of
// the organisation, row and audio, and nothing else; organisation B can
// neither see A's erasures nor erase A's calls.
func TestErasures(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			testErasures(t, setup(t, apptest.Options{Postgres: be.postgres}))
		})
	}
}

// erase posts an erasure with key and waits until it is done.
func (h *harness) erase(t *testing.T, key string, body map[string]any) erasureJSON {
	t.Helper()
	var e erasureJSON
	resp := h.json(t, request{method: "POST", path: "/v1/erasures", apiKey: key, contentType: "application/json",
		body: jsonBody(t, body)}, http.StatusAccepted, &e)
	if loc := resp.Header.Get("Location"); loc != "/v1/erasures/"+e.ID || e.Status != "pending" || e.Receipt != nil {
		t.Errorf("202 with Location %q, erasure %+v", loc, e)
	}
	deadline := time.Now().Add(30 * time.Second)
	for e.Status != "done" && e.Status != "failed" {
		if time.Now().After(deadline) {
			t.Fatalf("erasure %s still %s after 30s", e.ID, e.Status)
		}
		time.Sleep(20 * time.Millisecond)
		h.json(t, request{method: "GET", path: "/v1/erasures/" + e.ID, apiKey: key}, http.StatusOK, &e)
	}
	if e.Status != "done" || e.Receipt == nil || e.Receipt.ErasedCount != len(e.Receipt.Calls) || e.Error != nil {
		t.Fatalf("erasure %+v, want done with a receipt", e)
	}
	return e
}

func testErasures(t *testing.T, h *harness) {
	const alice, phone = "alice.erase@example.com", "+33611112222"
	up := func(key, campaign, name string, seed int, fields ...part) callJSON {
		t.Helper()
		var c callJSON
		parts := append([]part{field("campaign_id", campaign), filePart(name, wav(seed, 800))}, fields...)
		h.json(t, request{method: "POST", path: "/v1/calls/audio", apiKey: key, contentType: formType, body: form(parts...)},
			http.StatusCreated, &c)
		return c
	}
	other := h.newCampaign(t, "erasure other campaign")
	a1 := up(h.A.WriteKey, h.A.CampaignID, "a1.wav", 901, field("agent_email", alice), field("metadata", `{"phone":"`+phone+`"}`))
	a2 := up(h.A.WriteKey, other, "a2.wav", 902, field("agent_email", "Alice.Erase@Example.com"))
	a3 := up(h.A.WriteKey, h.A.CampaignID, "a3.wav", 903, field("agent_email", "bob@example.com"), field("metadata", `{"phone":"`+phone+`"}`))
	a4 := up(h.A.WriteKey, h.A.CampaignID, "a4.wav", 904, field("agent_email", "bob@example.com"), field("metadata", `{"phone":"+33600000000","caller":"`+phone+`"}`))
	a5 := up(h.A.WriteKey, other, "a5.wav", 905)
	b1 := up(h.B.WriteKey, h.B.CampaignID, "b1.wav", 906, field("agent_email", alice), field("metadata", `{"phone":"`+phone+`"}`))
	// A resumable upload of alice's: its record holds the envelope until it
	// expires, unless the erasure removes it.
	data := wav(907, 800)
	resp, body := tusDo(t, h, http.MethodPost, "/v1/uploads/", h.A.WriteKey, "", map[string]string{
		"Upload-Length": strconv.Itoa(len(data)), "Upload-Metadata": "campaign_id " + b64(h.A.CampaignID) + ",agent_email " + b64(alice),
	}, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("tus create: %d %s", resp.StatusCode, body)
	}
	tusLoc := resp.Header.Get("Location")
	resp, body = tusDo(t, h, http.MethodPatch, tusLoc, h.A.WriteKey, "", map[string]string{
		"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, data)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("tus patch: %d %s", resp.StatusCode, body)
	}
	a6 := callJSON{ID: resp.Header.Get("Upload-Call-Id"), FileName: "tus upload"}
	for _, c := range []callJSON{a1, a2, a3, a4, a5, a6} {
		h.waitCall(t, h.A.ReadKey, c.ID)
	}
	a6 = h.waitCall(t, h.A.ReadKey, a6.ID)
	h.waitCall(t, h.B.ReadKey, b1.ID)
	alive := func(key string, c callJSON, want bool) {
		t.Helper()
		resp, body := h.do(t, request{method: "GET", path: "/v1/calls/" + c.ID, apiKey: key})
		if got := resp.StatusCode == http.StatusOK; got != want {
			t.Errorf("call %s (%s): status %d, want alive=%v; body %s", c.ID, c.FileName, resp.StatusCode, want, body)
		}
	}

	// B erases by A's agent e-mail and metadata value: only B's call goes.
	eb := h.erase(t, h.B.AdminKey, map[string]any{"agent_email": alice})
	if got := eb.erasedIDs(); !slices.Equal(got, []string{b1.ID}) {
		t.Errorf("B's erasure erased %v, want only B's call %s", got, b1.ID)
	}
	eb2 := h.erase(t, h.B.AdminKey, map[string]any{"metadata": map[string]string{"key": "phone", "value": phone}})
	if len(eb2.erasedIDs()) != 0 {
		t.Errorf("B's second erasure erased %v", eb2.erasedIDs())
	}
	for _, c := range []callJSON{a1, a2, a3, a4, a5} {
		alive(h.A.ReadKey, c, true)
	}
	alive(h.B.ReadKey, b1, false)

	// A by agent e-mail (any case): a1 and a2, in both campaigns.
	e1 := h.erase(t, h.A.AdminKey, map[string]any{"agent_email": " ALICE.erase@example.com"})
	if got, want := e1.erasedIDs(), slices.Sorted(slices.Values([]string{a1.ID, a2.ID, a6.ID})); !slices.Equal(got, want) {
		t.Errorf("erasure by e-mail erased %v, want %v", got, want)
	}
	if e1.Kind != "agent_email" || e1.CampaignID != nil || e1.MetadataKey != nil || len(e1.CriterionSHA256) != 64 {
		t.Errorf("erasure %+v", e1)
	}
	for _, rc := range e1.Receipt.Calls {
		if c := map[string]callJSON{a1.ID: a1, a2.ID: a2, a6.ID: a6}[rc.ID]; rc.SHA256 != c.SHA256 || rc.CampaignID != c.CampaignID ||
			!rc.ReceivedAt.Equal(c.CreatedAt) {
			t.Errorf("receipt entry %+v, call %+v", rc, c)
		}
	}
	if resp, _ := tusDo(t, h, http.MethodHead, tusLoc, h.A.WriteKey, "", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("HEAD of the erased call's upload: %d, want 404", resp.StatusCode)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(h.DataDir, "uploads", "*")); len(leftovers) != 0 {
		t.Errorf("upload files left after the erasure: %v", leftovers)
	}
	// A by metadata value restricted to a campaign: a3 only (a4 has the
	// value under another key).
	e2 := h.erase(t, h.A.AdminKey, map[string]any{"metadata": map[string]string{"key": "phone", "value": phone},
		"campaign_id": h.A.CampaignID})
	if got := e2.erasedIDs(); !slices.Equal(got, []string{a3.ID}) {
		t.Errorf("erasure by metadata erased %v, want %s", got, a3.ID)
	}
	if e2.CampaignID == nil || *e2.CampaignID != h.A.CampaignID || e2.MetadataKey == nil || *e2.MetadataKey != "phone" {
		t.Errorf("erasure %+v", e2)
	}
	// One call.
	e3 := h.erase(t, h.A.AdminKey, map[string]any{"call_id": a5.ID})
	if got := e3.erasedIDs(); !slices.Equal(got, []string{a5.ID}) {
		t.Errorf("erasure of a call erased %v", got)
	}
	for _, c := range []callJSON{a1, a2, a3, a5, a6} {
		alive(h.A.ReadKey, c, false)
	}
	alive(h.A.ReadKey, a4, true)
	requireBlobsMatchCalls(t, h)

	// Listings: each organisation sees its own, newest first, never the value.
	var la, lb struct {
		Data []erasureJSON `json:"data"`
	}
	h.json(t, request{method: "GET", path: "/v1/erasures", apiKey: h.A.AdminKey}, http.StatusOK, &la)
	_, body = h.do(t, request{method: "GET", path: "/v1/erasures", apiKey: h.B.AdminKey})
	decode(t, body, &lb)
	var ids []string
	for _, e := range la.Data {
		ids = append(ids, e.ID)
	}
	if !slices.Equal(ids, []string{e3.ID, e2.ID, e1.ID}) {
		t.Errorf("A lists %v, want %v", ids, []string{e3.ID, e2.ID, e1.ID})
	}
	if len(lb.Data) != 2 {
		t.Errorf("B lists %d erasures, want its 2", len(lb.Data))
	}
	_, abody := h.do(t, request{method: "GET", path: "/v1/erasures", apiKey: h.A.AdminKey})
	mustContainNone(t, "erasure list", append(abody, body...), alice, "ALICE", phone)
	mustContainNone(t, "B's erasure list", body, e1.ID, e2.ID, e3.ID, a1.ID, a2.ID, a3.ID, a5.ID)

	// Refusals.
	post := func(key string, body string) (*http.Response, []byte) {
		return h.do(t, request{method: "POST", path: "/v1/erasures", apiKey: key, contentType: "application/json", body: []byte(body)})
	}
	for _, tc := range []struct {
		key, body string
		status    int
		fields    []string
	}{
		{h.A.AdminKey, `{}`, 422, []string{"call_id"}},
		{h.A.AdminKey, `{"call_id":"x","agent_email":"a@example.com"}`, 422, []string{"call_id"}},
		{h.A.AdminKey, `{"agent_email":"not an e-mail"}`, 422, []string{"agent_email"}},
		{h.A.AdminKey, `{"metadata":{"key":"bad key","value":"v"}}`, 422, []string{"metadata"}},
		{h.A.AdminKey, `{"metadata":{"key":"phone","value":""}}`, 422, []string{"metadata.value"}},
		{h.A.AdminKey, `{"phone":"x"}`, 400, nil},
		{h.A.AdminKey, `{"call_id":`, 400, nil},
		{"", `{"call_id":"x"}`, 401, nil},
		{h.A.WriteKey, `{"call_id":"` + a4.ID + `"}`, 403, nil},
		{h.B.AdminKey, `{"call_id":"` + a4.ID + `"}`, 404, nil},
		{h.B.AdminKey, `{"agent_email":"bob@example.com","campaign_id":"` + h.A.CampaignID + `"}`, 404, nil},
		{h.A.AdminKey, `{"call_id":"` + a5.ID + `"}`, 404, nil}, // already erased
	} {
		resp, body := post(tc.key, tc.body)
		checkProblem(t, resp, body, tc.status, tc.fields...)
		mustContainNone(t, "refusal", body, "not an e-mail")
	}
	for _, tc := range []struct {
		key, id string
		status  int
	}{{h.B.AdminKey, e1.ID, 404}, {h.A.AdminKey, "nope", 404}, {h.A.ReadKey, e1.ID, 403}, {"", e1.ID, 401}} {
		resp, body := h.do(t, request{method: "GET", path: "/v1/erasures/" + tc.id, apiKey: tc.key})
		checkProblem(t, resp, body, tc.status)
	}
	resp, body = h.do(t, request{method: "GET", path: "/v1/erasures", apiKey: h.A.WriteKey})
	checkProblem(t, resp, body, http.StatusForbidden)
	alive(h.A.ReadKey, a4, true)
}
