package loadtest

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// fixture is a real 16-bit PCM WAV recording (3 s, 8 kHz, mono).
const fixture = "../audio/testdata/wav/pcm_s16le_8k_mono.wav"

// recordings returns n WAV files of distinct content: the fixture with
// its first samples set to the file's number (still a valid recording,
// another SHA-256).
func recordings(t *testing.T, n int) [][]byte {
	t.Helper()
	src, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	data := dataOffset(t, src)
	out := make([][]byte, n)
	for i := range out {
		b := bytes.Clone(src)
		binary.LittleEndian.PutUint64(b[data:], uint64(i)+1)
		out[i] = b
	}
	return out
}

// dataOffset returns where the samples of a RIFF/WAVE file start.
func dataOffset(t *testing.T, b []byte) int {
	t.Helper()
	for i := 12; i+8 <= len(b); {
		size := int(binary.LittleEndian.Uint32(b[i+4:]))
		if string(b[i:i+4]) == "data" && i+8+size <= len(b) && size >= 8 {
			return i + 8
		}
		i += 8 + size + size%2
	}
	t.Fatalf("%s: no data chunk", fixture)
	return 0
}

// outcome is what one upload got.
type outcome struct {
	status     int
	retryAfter string // the Retry-After header, if any
	id         string // the call's id on 201/200
	err        error  // a transport error (no answer)
}

// upload posts one recording as the documented multipart form.
func upload(ctx context.Context, cl *http.Client, base, key, campaign, name string, wav []byte) outcome {
	return uploadFrom(ctx, cl, base, key, campaign, name, bytes.NewReader(wav))
}

// uploadFrom posts one recording read from wav, streaming the form.
func uploadFrom(ctx context.Context, cl *http.Client, base, key, campaign, name string, wav io.Reader) outcome {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := mw.WriteField("campaign_id", campaign)
		if err == nil {
			var fw io.Writer
			if fw, err = mw.CreateFormFile("file", name); err == nil {
				if _, err = io.Copy(fw, wav); err == nil {
					err = mw.Close()
				}
			}
		}
		pw.CloseWithError(err)
	}()
	defer func() { _ = pr.Close() }()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/calls/audio", pr)
	if err != nil {
		return outcome{err: err}
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-Api-Key", key)
	resp, err := cl.Do(req)
	if err != nil {
		return outcome{err: err}
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	o := outcome{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), err: err}
	if resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK {
		var c struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(b, &c); err != nil || c.ID == "" {
			o.err = fmt.Errorf("status %d with body %q", resp.StatusCode, b)
		}
		o.id = c.ID
	}
	return o
}

// validRetryAfter reports whether v is a whole number of seconds, at least 1.
func validRetryAfter(v string) bool {
	n, err := strconv.Atoi(v)
	return err == nil && n >= 1
}

// newClient returns a client that opens as many connections as asked.
func newClient(t *testing.T) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 2 * time.Minute}
}

// waitImported polls the store until every call of ids is imported, or
// fails after deadline naming the ones that are not.
func waitImported(t *testing.T, st store.Store, ids []string, deadline time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	pending := map[string]call.Status{}
	for _, id := range ids {
		pending[id] = ""
	}
	for len(pending) > 0 {
		for id := range pending {
			c, err := st.CallGetByID(t.Context(), id)
			switch {
			case err != nil:
				pending[id] = call.Status("error: " + err.Error())
			case c.Status == call.StatusImported:
				delete(pending, id)
			case c.Status == call.StatusRejected:
				t.Fatalf("call %s rejected: %s", id, c.RejectionReason)
			default:
				pending[id] = c.Status
			}
		}
		if len(pending) == 0 {
			break
		}
		if time.Since(start) > deadline {
			var s []string
			for id, st := range pending {
				s = append(s, id+"="+string(st))
			}
			t.Fatalf("%d acknowledged calls not imported after %s: %s", len(pending), deadline, strings.Join(s, ", "))
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(start)
}

// heapWatch samples the Go heap in use until stop is called, and returns
// the peak seen (the server and the client share the process).
func heapWatch() (stop func() (peak uint64)) {
	var mu sync.Mutex
	var peak uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	sample := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		mu.Lock()
		peak = max(peak, m.HeapInuse)
		mu.Unlock()
	}
	go func() {
		defer close(finished)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			sample()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		sample()
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// heapInUse returns the heap in use after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// vmHWM returns the process's peak resident set (Linux), or 0.
func vmHWM() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
