package tusupload_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/httpapi/tusupload"
)

// TestIngestFailureKeepsUpload: when the call cannot be committed (the
// database is down), the last PATCH answers 503 and the bytes stay; the
// next HEAD, once the database is back, completes the upload.
func TestIngestFailureKeepsUpload(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	c := e.client(t, e.A)
	data := wav(20000, 7)
	loc := c.mustCreate(meta(e.A), len(data))
	e.Enq.fail.Store(true)
	r := c.patch(loc, 0, data)
	wantStatus(t, r, http.StatusServiceUnavailable)
	problemOf(t, r)
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("503 without Retry-After")
	}
	id := strings.TrimPrefix(loc, "/v1/uploads/")
	if st := e.staged(t); !slices.Contains(st, id+".bin") {
		t.Fatalf("staged data gone after a failed ingest: %v", st)
	}
	wantStatus(t, c.head(loc), http.StatusServiceUnavailable)

	e.Enq.fail.Store(false)
	h := c.head(loc)
	wantStatus(t, h, http.StatusOK)
	got := e.wantCall(t, h, e.A, data)
	p := c.patch(loc, len(data), nil)
	wantStatus(t, p, http.StatusNoContent)
	if p.Header.Get("Upload-Call-Id") != got.ID {
		t.Fatalf("PATCH after completion: %v", p.Header)
	}
	if n := len(e.calls(t, e.A)); n != 1 {
		t.Fatalf("%d calls, want 1", n)
	}
}

// TestSweepCompletes: a failed completion is retried by the sweep even if
// the client never comes back; creation-with-upload keeps its Location on
// failure so that the client can.
func TestSweepCompletes(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	c := e.client(t, e.A)
	data := wav(9000, 8)
	e.Enq.fail.Store(true)
	r := c.create(meta(e.A), len(data), data)
	wantStatus(t, r, http.StatusServiceUnavailable)
	loc := r.Header.Get("Location")
	if !strings.HasPrefix(loc, "/v1/uploads/") {
		t.Fatalf("no Location on a failed creation-with-upload: %v", r.Header)
	}
	if s := e.Handler.Sweep(t.Context()); s != (tusupload.SweepStats{Failed: 1}) {
		t.Fatalf("sweep while failing: %+v", s)
	}
	e.Enq.fail.Store(false)
	if s := e.Handler.Sweep(t.Context()); s != (tusupload.SweepStats{Completed: 1}) {
		t.Fatalf("sweep: %+v", s)
	}
	if s := e.Handler.Sweep(t.Context()); s != (tusupload.SweepStats{}) {
		t.Fatalf("second sweep: %+v", s)
	}
	h := c.head(loc)
	wantStatus(t, h, http.StatusOK)
	e.wantCall(t, h, e.A, data)
}

// TestDuplicateAndConflict: the same audio uploaded again is the same call;
// another audio under a used external_id is refused, the same way on every
// ask.
func TestDuplicateAndConflict(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	c := e.client(t, e.A)
	data := wav(9000, 9)
	m := meta(e.A)
	m["external_id"] = "conv-1"
	first := c.create(m, len(data), data)
	wantStatus(t, first, http.StatusCreated)
	again := c.create(m, len(data), data)
	wantStatus(t, again, http.StatusCreated)
	if again.Header.Get("Upload-Call-Id") != first.Header.Get("Upload-Call-Id") ||
		again.Header.Get("Upload-Call-Duplicate") != "true" {
		t.Fatalf("duplicate: %v vs %v", again.Header, first.Header)
	}
	h := c.head(again.Header.Get("Location"))
	if h.Header.Get("Upload-Call-Duplicate") != "true" {
		t.Fatalf("HEAD of a duplicate: %v", h.Header)
	}

	other := wav(9000, 10)
	loc := c.mustCreate(m, len(other))
	r := c.patch(loc, 0, other)
	wantStatus(t, r, http.StatusConflict)
	if _, fields := problemOf(t, r); len(fields) != 1 || fields[0].Field != "external_id" {
		t.Fatalf("conflict fields %v", fields)
	}
	for range 2 {
		h := c.head(loc)
		wantStatus(t, h, http.StatusConflict)
		if h.Header.Get("Upload-Offset") != strconv.Itoa(len(other)) {
			t.Fatalf("HEAD of a refused upload: %v", h.Header)
		}
	}
	if st := e.staged(t); slices.Contains(st, strings.TrimPrefix(loc, "/v1/uploads/")+".bin") {
		t.Fatalf("refused bytes kept: %v", st)
	}
	if n := len(e.calls(t, e.A)); n != 1 {
		t.Fatalf("%d calls, want 1", n)
	}
}

// TestExpiry: an upload cannot be resumed once expired, and the sweep
// removes it.
func TestExpiry(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	c := e.client(t, e.A)
	data := wav(20000, 11)
	stale := c.mustCreate(meta(e.A), len(data))
	wantStatus(t, c.patch(stale, 0, data[:5000]), http.StatusNoContent)
	done := c.create(meta(e.A), len(data), data)
	wantStatus(t, done, http.StatusCreated)

	e.Clock.Add(23 * time.Hour)
	fresh := c.mustCreate(meta(e.A), len(data))
	wantStatus(t, c.head(stale), http.StatusOK)
	if s := e.Handler.Sweep(t.Context()); s != (tusupload.SweepStats{}) {
		t.Fatalf("early sweep: %+v", s)
	}

	e.Clock.Add(2 * time.Hour)
	wantStatus(t, c.head(stale), http.StatusNotFound)
	wantStatus(t, c.patch(stale, 5000, data[5000:]), http.StatusNotFound)
	wantStatus(t, c.head(done.Header.Get("Location")), http.StatusNotFound)
	if s := e.Handler.Sweep(t.Context()); s != (tusupload.SweepStats{Expired: 2}) {
		t.Fatalf("sweep: %+v", s)
	}
	id := strings.TrimPrefix(fresh, "/v1/uploads/")
	if st := e.staged(t); !slices.Equal(st, []string{id + ".bin", id + ".json"}) {
		t.Fatalf("staged after sweep: %v", st)
	}
	wantStatus(t, c.head(fresh), http.StatusOK)
	if n := len(e.calls(t, e.A)); n != 1 {
		t.Fatalf("expiry touched calls: %d", n)
	}
}
