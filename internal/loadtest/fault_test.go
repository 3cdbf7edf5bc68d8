package loadtest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver of the lock transaction

	"github.com/callimport/callimport/internal/app/apptest"
	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/ingest"
	"github.com/callimport/callimport/internal/store"
)

const (
	faultOutage  = 20 * time.Second // the issue asks for 20 s
	faultBefore  = 2 * time.Second  // uploads before the stop
	faultWorkers = 4
	faultPace    = 100 * time.Millisecond // between two uploads of a worker
	faultMax     = 2000                   // uploads in all, whatever happens
	// faultBurst recordings of faultBurstSize bytes (beyond the 16 MiB
	// from which a call is marked processing) are sent just before the
	// stop.
	faultBurst     = 4
	faultBurstSize = 17 << 20
	// faultResumed is how many uploads must succeed after the restart.
	faultResumed = 20
	// faultRecover bounds the wait for them.
	faultRecover = 60 * time.Second
)

// event is one upload's answer, at a time since the test's start.
type event struct {
	at, took time.Duration
	o        outcome
}

// readyProbe is one /readyz answer.
type readyProbe struct {
	at     time.Duration
	status int
	err    error
}

// TestPostgresOutage runs a server on a PostgreSQL of the test's own,
// uploads continuously, stops PostgreSQL (fast mode) for 20 s, starts it
// again and keeps uploading. Every upload must be answered 201/200, or 503
// with Retry-After (no other status, no connection error); /readyz must
// answer 503 during the outage and 200 after; uploads must succeed again
// without any intervention; every acknowledged call must end imported
// (probe jobs that failed during the outage are retried); after the orphan
// sweep, the blob folder must hold exactly the blobs of stored calls and no
// intake may be left. The timeline is logged (go test -v -run
// TestPostgresOutage ./internal/loadtest/).
func TestPostgresOutage(t *testing.T) {
	t.Parallel()
	pg := startPG(t)
	env := apptest.Start(t, apptest.Options{Configure: func(c *config.Serve) { c.Database = pg.URL }})
	base := recordings(t, 1)[0]
	data := dataOffset(t, base)
	recording := func(i int) []byte {
		b := slices.Clone(base)
		binary.LittleEndian.PutUint64(b[data:], uint64(i)+1_000_000)
		return b
	}
	cl := newClient(t)
	start := time.Now()
	since := func() time.Duration { return time.Since(start) }

	ctx, stopLoad := context.WithCancel(t.Context())
	defer stopLoad()
	var (
		mu     sync.Mutex
		events []event
		probes []readyProbe
		next   atomic.Int64
		wg     sync.WaitGroup
	)
	for w := range faultWorkers {
		tn := []apptest.Tenant{env.A, env.B}[w%2]
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1))
				if i > faultMax {
					return
				}
				sent := time.Now()
				o := upload(context.WithoutCancel(ctx), cl, env.URL, tn.WriteKey, tn.CampaignID, fmt.Sprintf("fault-%d.wav", i), recording(i))
				mu.Lock()
				events = append(events, event{at: since(), took: time.Since(sent), o: o})
				mu.Unlock()
				sleep(ctx, faultPace)
			}
		})
	}
	wg.Go(func() {
		for ctx.Err() == nil {
			p := readyProbe{status: readyz(ctx, cl, env.URL)}
			if p.status == 0 {
				if ctx.Err() != nil {
					return
				}
				p.err = fmt.Errorf("no answer")
			}
			p.at = since()
			mu.Lock()
			probes = append(probes, p)
			mu.Unlock()
			sleep(ctx, 250*time.Millisecond)
		}
	})

	sleep(ctx, faultBefore)
	// Just before the stop, long recordings are uploaded and, as soon as
	// each is acknowledged, its row is locked by a transaction of the
	// test: its probe job (which marks a call of 16 MiB or more as
	// processing, then sets its final status) waits on the lock until
	// PostgreSQL goes away, so its attempt fails and must be retried.
	lockDB, err := sql.Open("pgx", pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lockDB.Close() }()
	lockTx, err := lockDB.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lockTx.Rollback() }()
	for k := range faultBurst {
		i := faultMax + 1 + k
		tn := []apptest.Tenant{env.A, env.B}[k%2]
		sent := time.Now()
		o := uploadFrom(ctx, cl, env.URL, tn.WriteKey, tn.CampaignID, fmt.Sprintf("long-%d.wav", i), longRecording(i, faultBurstSize))
		if o.id != "" {
			if _, err := lockTx.ExecContext(t.Context(), "SELECT 1 FROM calls WHERE id = $1 FOR UPDATE", o.id); err != nil {
				t.Fatalf("lock call %s: %v", o.id, err)
			}
		}
		mu.Lock()
		events = append(events, event{at: since(), took: time.Since(sent), o: o})
		mu.Unlock()
	}
	stopAt := since()
	pg.stop(t)
	stoppedAt := since()
	sleep(ctx, faultOutage/2)
	// Behind the API, the store names the outage with its sentinel.
	if _, _, err := env.Store.CallList(t.Context(), store.CallListParams{OrgID: env.A.OrgID, Limit: 1}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("store during the outage: %v, want store.ErrUnavailable", err)
	}
	sleep(ctx, faultOutage-faultOutage/2)
	restartAt := since()
	pg.start(t)
	startedAt := since()

	// Work resumes on its own: wait for uploads acknowledged after the restart.
	deadline := time.Now().Add(faultRecover)
	for {
		mu.Lock()
		n := 0
		for _, e := range events {
			if e.at > startedAt && e.o.id != "" {
				n++
			}
		}
		mu.Unlock()
		if n >= faultResumed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d uploads acknowledged in the %s after PostgreSQL came back", n, faultRecover)
		}
		time.Sleep(100 * time.Millisecond)
	}
	sleep(ctx, time.Second) // a few more /readyz probes after the recovery
	stopLoad()
	wg.Wait()
	end := since()

	// Every answer is 201/200 or 503 with Retry-After.
	var acked []string
	type phase struct{ ok, unavailable int }
	phases := map[string]*phase{"before": {}, "outage": {}, "after": {}}
	firstOK, last503, slowest503 := time.Duration(0), time.Duration(0), time.Duration(0)
	for _, e := range events {
		ph := phases["before"]
		switch {
		case e.at > startedAt:
			ph = phases["after"]
		case e.at > stopAt:
			ph = phases["outage"]
		}
		switch o := e.o; {
		case o.err != nil:
			t.Errorf("upload answered at %s: %v", e.at, o.err)
		case o.status == http.StatusCreated || o.status == http.StatusOK:
			acked = append(acked, o.id)
			ph.ok++
			if e.at > restartAt && firstOK == 0 {
				firstOK = e.at
			}
		case o.status == http.StatusServiceUnavailable && validRetryAfter(o.retryAfter):
			ph.unavailable++
			last503, slowest503 = max(last503, e.at), max(slowest503, e.took)
		default:
			t.Errorf("upload answered at %s: status %d, Retry-After %q; want 201/200 or 503 with Retry-After", e.at, o.status, o.retryAfter)
		}
	}
	if phases["outage"].unavailable == 0 {
		t.Errorf("no upload was answered 503 during the outage")
	}

	// /readyz: 200 before, 503 while PostgreSQL was down, 200 at the end.
	var ready503First, ready503Last, readyBackAt time.Duration
	for _, p := range probes {
		switch {
		case p.err != nil:
			t.Errorf("/readyz at %s: %v", p.at, p.err)
		case p.at < stopAt && p.status != http.StatusOK:
			t.Errorf("/readyz at %s before the stop: %d", p.at, p.status)
		case p.status == http.StatusServiceUnavailable:
			if ready503First == 0 {
				ready503First = p.at
			}
			ready503Last = p.at
		case p.status == http.StatusOK && p.at > restartAt && readyBackAt == 0:
			readyBackAt = p.at
		case p.status != http.StatusOK:
			t.Errorf("/readyz at %s: %d", p.at, p.status)
		}
	}
	if ready503First == 0 || ready503First > restartAt || ready503Last < stoppedAt {
		t.Errorf("/readyz did not answer 503 during the outage (first 503 at %s, last at %s; down from %s to %s)",
			ready503First, ready503Last, stoppedAt, restartAt)
	}
	if last := probes[len(probes)-1]; last.status != http.StatusOK {
		t.Errorf("/readyz answers %d at the end", last.status)
	}

	// Every acknowledged call ends imported.
	importWait := waitImported(t, env.Store, acked, 2*time.Minute)

	// The orphan sweep leaves exactly the blobs of stored calls.
	n, err := ingest.NewOrphanCleaner(env.Store, env.Server.Bucket, time.Millisecond, nil).CleanOrphans(t.Context())
	if err != nil {
		t.Fatalf("orphan sweep: %v", err)
	}
	stored := storedCalls(t, env.Store, env.A.OrgID, env.B.OrgID)
	var wantBlobs []string
	for _, c := range stored {
		wantBlobs = append(wantBlobs, c.BlobKey)
	}
	slices.Sort(wantBlobs)
	if got := blobKeys(t, env.DataDir); !slices.Equal(got, wantBlobs) {
		t.Errorf("blob files after the sweep:\n%q\nwant the %d blobs of stored calls:\n%q", got, len(wantBlobs), wantBlobs)
	}
	if in, err := env.Store.IntakeListStale(t.Context(), time.Now().Add(time.Hour), 10); err != nil || len(in) > 0 {
		t.Errorf("intakes left after the sweep: %v %v", in, err)
	}
	storedIDs := map[string]bool{}
	for _, c := range stored {
		storedIDs[c.ID] = true
	}
	for _, id := range acked {
		if !storedIDs[id] {
			t.Errorf("acknowledged call %s is not stored", id)
		}
	}

	var retried, failed int
	if err := env.Store.DB().QueryRowContext(t.Context(), `SELECT count(*) FILTER (WHERE attempt > 1),
		count(*) FILTER (WHERE cardinality(errors) > 0) FROM river_job WHERE kind = 'probe_call'`).Scan(&retried, &failed); err != nil {
		t.Fatalf("count retried probe jobs: %v", err)
	}
	if failed == 0 {
		t.Errorf("no probe job failed an attempt during the outage: the retry path was not exercised")
	}

	t.Logf("timeline (s since start): stop issued %.1f, stopped %.1f, start issued %.1f, started %.1f, end %.1f",
		stopAt.Seconds(), stoppedAt.Seconds(), restartAt.Seconds(), startedAt.Seconds(), end.Seconds())
	t.Logf("/readyz: 503 from %.1f to %.1f, 200 again at %.1f (%d probes)",
		ready503First.Seconds(), ready503Last.Seconds(), readyBackAt.Seconds(), len(probes))
	t.Logf("uploads: before %d ok; during the outage %d ok, %d × 503 with Retry-After; after the restart %d ok, %d × 503; last 503 at %.1f (slowest 503 answer %s), first success after the restart at %.1f",
		phases["before"].ok, phases["outage"].ok, phases["outage"].unavailable, phases["after"].ok, phases["after"].unavailable,
		last503.Seconds(), slowest503.Round(time.Millisecond), firstOK.Seconds())
	t.Logf("%d acknowledged calls all imported %s after the load stopped (%d probe jobs failed an attempt, %d were retried); %d calls stored (%d committed although answered 503); orphan sweep removed %d",
		len(acked), importWait.Round(time.Millisecond), failed, retried, len(stored), len(stored)-len(acked), n)
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// readyz returns the status of GET /readyz, or 0 without an answer.
func readyz(ctx context.Context, cl *http.Client, base string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
	if err != nil {
		return 0
	}
	resp, err := cl.Do(req)
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// storedCalls lists every call of orgs straight from the store.
func storedCalls(t *testing.T, st store.Store, orgs ...string) []callRow {
	t.Helper()
	var out []callRow
	for _, org := range orgs {
		p := store.CallListParams{OrgID: org, Limit: 500}
		for {
			cs, next, err := st.CallList(t.Context(), p)
			if err != nil {
				t.Fatalf("list calls: %v", err)
			}
			for _, c := range cs {
				out = append(out, callRow{ID: c.ID, BlobKey: c.BlobKey})
			}
			if next == "" {
				break
			}
			p.Cursor = next
		}
	}
	return out
}

type callRow struct{ ID, BlobKey string }

// blobKeys lists the files of the blob folder (temporary files included)
// as keys.
func blobKeys(t *testing.T, dataDir string) []string {
	t.Helper()
	root := filepath.Join(dataDir, "blobs")
	var out []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk blobs: %v", err)
	}
	slices.Sort(out)
	return out
}

// longRecording returns a WAV file (16-bit PCM, 8 kHz, mono) of size bytes
// whose samples are a noise of seed, made as it is read.
func longRecording(seed, size int) io.Reader {
	h := make([]byte, 44)
	copy(h, "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(size-8))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // PCM
	binary.LittleEndian.PutUint16(h[22:], 1) // mono
	binary.LittleEndian.PutUint32(h[24:], 8000)
	binary.LittleEndian.PutUint32(h[28:], 16000)
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(size-44))
	return io.MultiReader(bytes.NewReader(h), io.LimitReader(&noise{x: uint32(seed)*2654435761 + 1}, int64(size-44)))
}

// noise is an endless xorshift noise of 16-bit samples.
type noise struct{ x uint32 }

func (n *noise) Read(p []byte) (int, error) {
	p = p[:len(p)&^1]
	for i := 0; i < len(p); i += 2 {
		n.x ^= n.x << 13
		n.x ^= n.x >> 17
		n.x ^= n.x << 5
		binary.LittleEndian.PutUint16(p[i:], uint16(n.x)>>4)
	}
	return len(p), nil
}
