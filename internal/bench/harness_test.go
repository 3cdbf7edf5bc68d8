package bench

// Fast checks of the benchmark harness, run by plain `go test`: the
// baseline server, the WAV generator and the form, and one small round of
// each load path against an in-process callimport.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBaselineStoresBody(t *testing.T) {
	t.Parallel()
	url, dir := startBaseline(t)
	body, err := io.ReadAll(NewWAV(7, 300<<10))
	must(t, err)
	var res BaselineResult
	code, err := newClient().post(t.Context(), url+"/raw", "application/octet-stream", "", noWriterTo(bytes.NewReader(body)), int64(len(body)), &res)
	must(t, err)
	sum := sha256.Sum256(body)
	if code != 201 || res.SHA256 != hex.EncodeToString(sum[:]) || res.Size != int64(len(body)) {
		t.Fatalf("answer %d %+v, want 201 with the body's hash and size %d", code, res, len(body))
	}
	ents, err := os.ReadDir(dir)
	must(t, err)
	if len(ents) != 1 || !strings.HasPrefix(ents[0].Name(), res.SHA256+".") {
		t.Fatalf("baseline folder holds %v, want one file named after the hash", ents)
	}
	got, err := os.ReadFile(filepath.Join(dir, ents[0].Name()))
	must(t, err)
	if !bytes.Equal(got, body) {
		t.Fatal("stored file differs from the body")
	}
}

func TestWAVIsDeterministic(t *testing.T) {
	t.Parallel()
	a, err := io.ReadAll(NewWAV(1, 4096))
	must(t, err)
	b, err := io.ReadAll(NewWAV(1, 4096))
	must(t, err)
	c, err := io.ReadAll(NewWAV(2, 4096))
	must(t, err)
	if len(a) != 4096 || !bytes.Equal(a, b) || bytes.Equal(a[WAVHeaderSize:], c[WAVHeaderSize:]) {
		t.Fatal("same seed must give the same file, another seed another one")
	}
	if string(a[:4]) != "RIFF" || string(a[8:16]) != "WAVEfmt " || string(a[36:40]) != "data" {
		t.Fatalf("bad header % x", a[:WAVHeaderSize])
	}
}

func TestFormParses(t *testing.T) {
	t.Parallel()
	f, err := NewForm(DocFields("camp-1")...)
	must(t, err)
	file := []byte("RIFF....WAVE")
	body, err := io.ReadAll(f.Body(bytes.NewReader(file)))
	must(t, err)
	if int64(len(body)) != f.Len(int64(len(file))) || !bytes.Equal(body, f.Bytes(file)) {
		t.Fatal("Body, Bytes and Len disagree")
	}
	_, params, err := mime.ParseMediaType(f.ContentType)
	must(t, err)
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var names []string
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		must(t, err)
		v, err := io.ReadAll(p)
		must(t, err)
		if p.FormName() == "file" && (p.FileName() != "call.wav" || !bytes.Equal(v, file)) {
			t.Fatalf("file part %q holds %q", p.FileName(), v)
		}
		names = append(names, p.FormName())
	}
	if got := strings.Join(names, ","); got != "file,campaign_id,conversation_timestamp,agent_email,metadata" {
		t.Fatalf("parts %s", got)
	}
}

func TestStats(t *testing.T) {
	t.Parallel()
	if m := Median([]float64{3, 1, 2}); m != 2 {
		t.Fatalf("median %v", m)
	}
	if m := Median([]float64{4, 1, 2, 3}); m != 2.5 {
		t.Fatalf("median %v", m)
	}
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i))
	}
	if p50, p99 := Percentile(ds, 50), Percentile(ds, 99); p50 != 50 || p99 != 99 {
		t.Fatalf("p50 %v p99 %v", p50, p99)
	}
}

// TestLoadPaths runs a few concurrent 1 MiB uploads through both servers
// and reads the import latency back, as BenchmarkUpload1MiBConc32 does.
func TestLoadPaths(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	baseURL, _ := startBaseline(t)
	ci := startApp(t)
	form, err := NewForm(DocFields(ci.Campaign)...)
	must(t, err)
	cl := newClient()
	const n, conc = 6, 3
	bodies := make([]*smallBodies, conc)
	for w := range bodies {
		bodies[w] = newSmallBodies(t, w, form)
	}
	r := runLoad(ctx, n, conc, time.Minute, func(ctx context.Context, w int, seq uint64) error {
		bodies[w].stamp(seq)
		_, err := cl.post(ctx, baseURL+"/raw", "application/octet-stream", "", bytes.NewReader(bodies[w].raw), smallSize, nil)
		return err
	})
	if r.Done != n || r.Errors != 0 {
		t.Fatalf("baseline: %d done, %d errors: %v", r.Done, r.Errors, r.FirstErr)
	}
	r = runLoad(ctx, n, conc, time.Minute, func(ctx context.Context, w int, seq uint64) error {
		bodies[w].stamp(seq)
		_, err := cl.post(ctx, ci.URL+"/v1/calls/audio", form.ContentType, ci.Key, bytes.NewReader(bodies[w].form), int64(len(bodies[w].form)), nil)
		return err
	})
	if r.Done != n || r.Errors != 0 {
		t.Fatalf("callimport: %d done, %d errors: %v", r.Done, r.Errors, r.FirstErr)
	}
	calls, err := cl.waitCalls(ctx, ci.target, ci.Campaign, n, time.Minute)
	must(t, err)
	for _, c := range calls {
		if c.Status != "imported" || c.ImportedAt == nil || c.ImportedAt.Before(c.CreatedAt) || c.SizeBytes != smallSize {
			t.Fatalf("call %+v", c)
		}
	}
}
