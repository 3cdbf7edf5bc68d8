package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

func txTests() []test {
	return []test{
		{"Pool", testPool},
		{"InTxCommit", testInTxCommit},
		{"InTxRollback", testInTxRollback},
		{"InTxPanic", testInTxPanic},
		{"InTxDuplicate", testInTxDuplicate},
		{"ConcurrentCallCreate", testConcurrentCallCreate},
	}
}

func testPool(t *testing.T, s store.Store) {
	wantNoErr(t, "Ping", s.Ping(t.Context()))
	if d := s.Dialect(); d != "sqlite" && d != "postgres" {
		t.Errorf("Dialect = %q", d)
	}
	if s.DB() == nil {
		t.Fatal("DB = nil")
	}
	var one int
	wantNoErr(t, "query the pool", s.DB().QueryRowContext(t.Context(), "SELECT 1").Scan(&one))
}

func testInTxCommit(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s)
	var c call.Call
	err := s.InTx(ctx, func(tx store.Tx) error {
		if tx.SQLTx() == nil {
			t.Error("SQLTx = nil")
		}
		var err error
		if c, err = tx.CallCreate(ctx, f.callParams()); err != nil {
			return err
		}
		// The transaction sees its own writes.
		if _, err := tx.CallGet(ctx, f.org.ID, c.ID); err != nil {
			return err
		}
		if _, err := tx.CallMergeMetadata(ctx, store.CallMergeMetadataParams{
			OrgID: f.org.ID, ID: c.ID, Metadata: []call.MetaPair{{Key: "k", Value: "v"}},
		}); err != nil {
			return err
		}
		// The *sql.Tx is the transaction's.
		var one int
		return tx.SQLTx().QueryRowContext(ctx, "SELECT 1").Scan(&one)
	})
	wantNoErr(t, "InTx", err)
	got, err := s.CallGet(ctx, f.org.ID, c.ID)
	wantNoErr(t, "CallGet after commit", err)
	if len(got.Metadata) != 1 {
		t.Errorf("metadata after commit = %v", got.Metadata)
	}
}

func testInTxRollback(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s)
	boom := errors.New("boom")
	p := f.callParams()
	err := s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.CallCreate(ctx, p); err != nil {
			return err
		}
		if _, err := tx.OrgCreate(ctx, store.OrgCreateParams{Name: "rolled back"}); err != nil {
			return err
		}
		if err := tx.IntakeCreate(ctx, store.IntakeCreateParams{BlobKey: "rolled/back"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want fn's error", err)
	}
	wantRolledBack(t, s, f, p)
}

func testInTxPanic(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s)
	p := f.callParams()
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the panic to go on", r)
			}
		}()
		_ = s.InTx(ctx, func(tx store.Tx) error {
			if _, err := tx.CallCreate(ctx, p); err != nil {
				return err
			}
			if _, err := tx.OrgCreate(ctx, store.OrgCreateParams{Name: "rolled back"}); err != nil {
				return err
			}
			if err := tx.IntakeCreate(ctx, store.IntakeCreateParams{BlobKey: "rolled/back"}); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	wantRolledBack(t, s, f, p)
}

func wantRolledBack(t *testing.T, s store.Store, f fixture, p store.CallCreateParams) {
	t.Helper()
	ctx := t.Context()
	_, err := s.CallGet(ctx, f.org.ID, p.ID)
	wantErr(t, "CallGet after rollback", err, store.ErrNotFound)
	_, err = s.OrgGetByName(ctx, "rolled back")
	wantErr(t, "OrgGetByName after rollback", err, store.ErrNotFound)
	intakes, err := s.IntakeListStale(ctx, time.Now().Add(time.Hour), 0)
	wantNoErr(t, "IntakeListStale", err)
	if len(intakes) != 0 {
		t.Errorf("intakes after rollback = %v", intakes)
	}
	// The store still works, and the same call can be created.
	mustCreateCall(t, s, p)
}

// testInTxDuplicate checks that a duplicate inside a transaction leaves it
// usable (on PostgreSQL a failed statement would abort it), as ingest needs
// to look the existing call up in the same transaction.
func testInTxDuplicate(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s)
	first := mustCreateCall(t, s, f.callParams())
	dup := f.callParams()
	dup.SHA256 = first.SHA256
	var extra call.Call
	err := s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.CallCreate(ctx, dup); !errors.Is(err, store.ErrAlreadyExists) {
			t.Errorf("CallCreate duplicate in tx: %v, want ErrAlreadyExists", err)
		}
		if _, err := tx.CallGetBySHA256(ctx, f.campaign.ID, first.SHA256); err != nil {
			return err
		}
		var err error
		extra, err = tx.CallCreate(ctx, f.callParams())
		return err
	})
	wantNoErr(t, "InTx after a duplicate", err)
	_, err = s.CallGet(ctx, f.org.ID, extra.ID)
	wantNoErr(t, "CallGet of the call created after the duplicate", err)
}

func testConcurrentCallCreate(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s)
	sha := randHex(32)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			p := f.callParams()
			p.SHA256 = sha
			if i%2 == 0 {
				// Half in transactions, as ingest does.
				errs[i] = s.InTx(ctx, func(tx store.Tx) error {
					_, err := tx.CallCreate(ctx, p)
					return err
				})
			} else {
				_, errs[i] = s.CallCreate(ctx, p)
			}
		})
	}
	wg.Wait()
	created := 0
	for _, err := range errs {
		switch {
		case err == nil:
			created++
		case !errors.Is(err, store.ErrAlreadyExists):
			t.Errorf("concurrent CallCreate: %v, want nil or ErrAlreadyExists", err)
		}
	}
	if created != 1 {
		t.Errorf("%d concurrent CallCreate of one SHA-256 succeeded, want 1", created)
	}
	calls, _, err := s.CallList(ctx, store.CallListParams{OrgID: f.org.ID})
	wantNoErr(t, "CallList", err)
	if len(calls) != 1 {
		t.Errorf("CallList = %d calls, want 1", len(calls))
	}
}
