package privacy_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/blob"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/privacy"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/store/storepg"
	"github.com/callimport/callimport/internal/store/storesqlite"
)

// forEachBackend runs fn on SQLite and on PostgreSQL, in parallel.
func forEachBackend(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, storesqlite.OpenTest(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, storepg.OpenTest(t))
	})
}

// env is a store, a file bucket and a Service over them.
type env struct {
	st     store.Store
	bucket *blob.Bucket
	svc    *privacy.Service
	audit  *fakeAudit
	now    time.Time
}

func setup(t *testing.T, st store.Store, batch int) *env {
	t.Helper()
	b, err := blob.Open(t.Context(), "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	e := &env{st: st, bucket: b, audit: &fakeAudit{}, now: time.Now()}
	e.svc, err = privacy.New(privacy.Config{Store: st, Blobs: b, Audit: e.audit, BatchSize: batch,
		Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	e.svc.SetEnqueuer(nopEnqueuer{})
	return e
}

// fakeAudit keeps the events it is given.
type fakeAudit struct {
	mu     sync.Mutex
	events []audit.Event
}

func (f *fakeAudit) Record(_ context.Context, e audit.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, e)
	return nil
}

func (f *fakeAudit) all() []audit.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]audit.Event(nil), f.events...)
}

// nopEnqueuer enqueues nothing: tests run RunErasure themselves.
type nopEnqueuer struct{}

func (nopEnqueuer) EnqueueErasureTx(context.Context, *sql.Tx, string) error { return nil }

func (e *env) org(t *testing.T) call.Org {
	t.Helper()
	o, err := e.st.OrgCreate(t.Context(), store.OrgCreateParams{Name: "org " + randHex(4)})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (e *env) campaign(t *testing.T, orgID string, retentionDays int) call.Campaign {
	t.Helper()
	c, err := e.st.CampaignCreate(t.Context(), store.CampaignCreateParams{OrgID: orgID, Name: "c " + randHex(4),
		RetentionDays: retentionDays})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// callSpec is a call to create.
type callSpec struct {
	email string
	meta  []call.MetaPair
	// age backdates the call's created_at.
	age time.Duration
}

// call creates a call of the campaign with a blob, received age ago.
func (e *env) call(t *testing.T, c call.Campaign, s callSpec) call.Call {
	t.Helper()
	id := idAt(time.Now().Add(-s.age))
	key := blob.CallKey(c.OrgID, c.ID, id)
	w, err := e.bucket.NewWriter(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("RIFF audio of " + id)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := e.st.CallCreate(t.Context(), store.CallCreateParams{ID: id, OrgID: c.OrgID, CampaignID: c.ID,
		Source: call.SourceAPI, FileName: "call.wav", SizeBytes: 10, SHA256: randHex(32), Format: "wav", BlobKey: key,
		AgentEmail: s.email, Metadata: s.meta})
	if err != nil {
		t.Fatal(err)
	}
	if s.age > 0 {
		e.backdate(t, id, time.Now().Add(-s.age))
	}
	return got
}

// backdate sets a call's created_at straight in the database.
func (e *env) backdate(t *testing.T, id string, at time.Time) {
	t.Helper()
	var arg any = at.UTC()
	q := `UPDATE calls SET created_at = $1 WHERE id = $2`
	if e.st.Dialect() == "sqlite" {
		arg = at.UTC().Format("2006-01-02T15:04:05.000000Z")
		q = `UPDATE calls SET created_at = ? WHERE id = ?`
	}
	if _, err := e.st.DB().ExecContext(t.Context(), q, arg, id); err != nil {
		t.Fatal(err)
	}
}

// exists reports whether the call's row and blob exist, failing if only
// one does.
func (e *env) exists(t *testing.T, c call.Call) bool {
	t.Helper()
	_, err := e.st.CallGetByID(t.Context(), c.ID)
	row := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	_, err = e.bucket.Attributes(t.Context(), c.BlobKey)
	blobThere := err == nil
	if row != blobThere {
		t.Errorf("call %s: row exists %v, blob exists %v (err %v)", c.ID, row, blobThere, err)
	}
	return row
}

// noIntakes fails if an erased call's intake was left behind.
func (e *env) noIntakes(t *testing.T) {
	t.Helper()
	in, err := e.st.IntakeListStale(t.Context(), time.Now().Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != 0 {
		t.Errorf("intakes left: %v", in)
	}
}

// idAt returns a call id (UUIDv7) of time t, as call.NewID made it then.
func idAt(t time.Time) string {
	id := call.NewID()
	ms := uint64(t.UnixMilli())
	return fmt.Sprintf("%08x-%04x", ms>>16, ms&0xffff) + id[13:]
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
