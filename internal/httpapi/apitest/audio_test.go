package apitest_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"testing"
)

func testAudio(t *testing.T, h *harness) {
	audio := wav(500, 4000)
	n := len(audio)
	c, _ := h.upload(t, http.StatusCreated, field("campaign_id", h.A.CampaignID), filePart("appel été.wav", audio))
	path := "/v1/calls/" + c.ID + "/audio"
	get := func(hdr map[string]string) (*http.Response, []byte) {
		return h.do(t, request{method: "GET", path: path, apiKey: h.A.ReadKey, header: hdr})
	}

	resp, body := get(nil)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, audio) {
		t.Fatalf("whole file: %d, %d bytes (want %d)", resp.StatusCode, len(body), n)
	}
	etag := resp.Header.Get("ETag")
	for k, want := range map[string]string{"Content-Type": "audio/wav", "Accept-Ranges": "bytes",
		"Content-Length": fmt.Sprint(n), "ETag": `"` + c.SHA256 + `"`} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if cd := resp.Header.Get("Content-Disposition"); cd == "" {
		t.Errorf("no Content-Disposition")
	}

	for _, tc := range []struct {
		rng       string
		from, to  int // inclusive
		whole     bool
		unsatisfy bool
		extraHdr  map[string]string
	}{
		{rng: "bytes=0-99", from: 0, to: 99},
		{rng: "bytes=100-", from: 100, to: n - 1},
		{rng: "bytes=-100", from: n - 100, to: n - 1},
		{rng: fmt.Sprintf("bytes=%d-%d", n-10, n+1000), from: n - 10, to: n - 1},
		{rng: fmt.Sprintf("bytes=-%d", n+5), from: 0, to: n - 1},
		{rng: fmt.Sprintf("bytes=%d-", n), unsatisfy: true},
		{rng: fmt.Sprintf("bytes=%d-%d", n+10, n+20), unsatisfy: true},
		{rng: "bytes=50-10", unsatisfy: true},
		{rng: "bytes=0-9,20-29", whole: true},
		{rng: "bytes=0-99", whole: true, extraHdr: map[string]string{"If-Range": `"other"`}},
		{rng: "bytes=0-99", from: 0, to: 99, extraHdr: map[string]string{"If-Range": `"` + c.SHA256 + `"`}},
	} {
		t.Run(tc.rng, func(t *testing.T) {
			hdr := map[string]string{"Range": tc.rng}
			for k, v := range tc.extraHdr {
				hdr[k] = v
			}
			resp, body := get(hdr)
			switch {
			case tc.unsatisfy:
				if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable || resp.Header.Get("Content-Range") != fmt.Sprintf("bytes */%d", n) {
					t.Errorf("%d Content-Range %q, want 416 bytes */%d", resp.StatusCode, resp.Header.Get("Content-Range"), n)
				}
				if resp.StatusCode == http.StatusRequestedRangeNotSatisfiable {
					checkProblem(t, resp, body, http.StatusRequestedRangeNotSatisfiable)
				}
			case tc.whole:
				if resp.StatusCode != http.StatusOK || !bytes.Equal(body, audio) {
					t.Errorf("%d with %d bytes, want the whole file", resp.StatusCode, len(body))
				}
			default:
				want := fmt.Sprintf("bytes %d-%d/%d", tc.from, tc.to, n)
				if resp.StatusCode != http.StatusPartialContent || resp.Header.Get("Content-Range") != want ||
					!bytes.Equal(body, audio[tc.from:tc.to+1]) || resp.Header.Get("Content-Length") != fmt.Sprint(tc.to-tc.from+1) {
					t.Errorf("%d Content-Range %q, %d bytes; want 206 %q", resp.StatusCode, resp.Header.Get("Content-Range"), len(body), want)
				}
			}
		})
	}

	resp, body = get(map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 || resp.Header.Get("ETag") == "" {
		t.Errorf("If-None-Match: %d, %d bytes, ETag %q; want 304 with the ETag", resp.StatusCode, len(body), resp.Header.Get("ETag"))
	}
	resp, _ = get(map[string]string{"If-None-Match": `"other", ` + etag})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match with a list: %d, want 304", resp.StatusCode)
	}
	resp, _ = get(map[string]string{"If-None-Match": "*"})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match *: %d, want 304", resp.StatusCode)
	}
	// Preconditions come before Range (RFC 9110 §13.2.2).
	resp, _ = get(map[string]string{"If-None-Match": etag, "Range": fmt.Sprintf("bytes=%d-", n)})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match matching with an unsatisfiable Range: %d, want 304", resp.StatusCode)
	}
	resp, _ = get(map[string]string{"If-None-Match": `"other"`})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("If-None-Match other: %d, want 200", resp.StatusCode)
	}

	for _, rng := range []string{"", "bytes=0-9"} {
		hdr := map[string]string{}
		if rng != "" {
			hdr["Range"] = rng
		}
		resp, body = h.do(t, request{method: "HEAD", path: path, apiKey: h.A.ReadKey, header: hdr})
		want, size := http.StatusOK, n
		if rng != "" {
			want, size = http.StatusPartialContent, 10
		}
		if resp.StatusCode != want || len(body) != 0 || resp.ContentLength != int64(size) {
			t.Errorf("HEAD %q: %d, %d bytes, length %d; want %d with length %d", rng, resp.StatusCode, len(body), resp.ContentLength, want, size)
		}
	}

	resp, _ = h.do(t, request{method: "HEAD", path: path, apiKey: h.A.ReadKey, header: map[string]string{"If-None-Match": etag}})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("HEAD If-None-Match: %d, want 304", resp.StatusCode)
	}
	resp, body = h.do(t, request{method: "GET", path: "/v1/calls/0190a8a8-1111-7000-8000-000000000000/audio", apiKey: h.A.ReadKey})
	checkProblem(t, resp, body, http.StatusNotFound)
	resp, body = h.do(t, request{method: "GET", path: path, apiKey: h.A.WriteKey})
	checkProblem(t, resp, body, http.StatusForbidden)
}

func testDelete(t *testing.T, h *harness) {
	c, _ := h.upload(t, http.StatusCreated, field("campaign_id", h.A.CampaignID), filePart("del.wav", wav(510, 800)))
	h.waitCall(t, h.A.ReadKey, c.ID) // let the probe finish so that it does not race the delete
	blobPath := "calls/" + h.A.OrgID + "/" + c.ID
	if !slices.Contains(blobFiles(t, h.DataDir), blobPath) {
		t.Fatalf("no blob %s before the delete", blobPath)
	}
	resp, body := h.do(t, request{method: "DELETE", path: "/v1/calls/" + c.ID, apiKey: h.A.ReadKey})
	checkProblem(t, resp, body, http.StatusForbidden)
	resp, body = h.do(t, request{method: "DELETE", path: "/v1/calls/" + c.ID, apiKey: h.B.AdminKey})
	checkProblem(t, resp, body, http.StatusNotFound)

	resp, body = h.do(t, request{method: "DELETE", path: "/v1/calls/" + c.ID, apiKey: h.A.WriteKey})
	if resp.StatusCode != http.StatusNoContent || len(body) != 0 {
		t.Fatalf("delete: %d %s", resp.StatusCode, body)
	}
	for _, p := range []string{"/v1/calls/" + c.ID, "/v1/calls/" + c.ID + "/audio"} {
		resp, body = h.do(t, request{method: "GET", path: p, apiKey: h.A.ReadKey})
		checkProblem(t, resp, body, http.StatusNotFound)
	}
	resp, body = h.do(t, request{method: "DELETE", path: "/v1/calls/" + c.ID, apiKey: h.A.WriteKey})
	checkProblem(t, resp, body, http.StatusNotFound)
	if slices.Contains(blobFiles(t, h.DataDir), blobPath) {
		t.Errorf("blob %s still there after the delete", blobPath)
	}
	if slices.Contains(h.listIDs(t, map[string][]string{"campaign_id": {h.A.CampaignID}}), c.ID) {
		t.Errorf("deleted call still listed")
	}
	// The same audio may be sent again: it is a new call, not a duplicate.
	again, _ := h.upload(t, http.StatusCreated, field("campaign_id", h.A.CampaignID), filePart("del.wav", wav(510, 800)))
	if again.ID == c.ID || again.Duplicate {
		t.Errorf("re-upload after delete: %+v", again)
	}
}
