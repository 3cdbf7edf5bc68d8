package storetest

import (
	"testing"
	"time"

	"github.com/callimport/callimport/internal/store"
)

func intakeTests() []test {
	return []test{
		{"Intakes", testIntakes},
	}
}

func testIntakes(t *testing.T, s store.Store) {
	ctx := t.Context()
	base := time.Date(2025, 1, 2, 3, 4, 5, 678901234, time.FixedZone("X", -5*3600))
	for i, key := range []string{"c", "a", "b"} {
		err := s.IntakeCreate(ctx, store.IntakeCreateParams{BlobKey: "intake/" + key, CreatedAt: base.Add(time.Duration(i) * time.Minute)})
		wantNoErr(t, "IntakeCreate", err)
	}
	err := s.IntakeCreate(ctx, store.IntakeCreateParams{BlobKey: "intake/a", CreatedAt: base})
	wantErr(t, "IntakeCreate same key", err, store.ErrAlreadyExists)
	before := time.Now()
	wantNoErr(t, "IntakeCreate without time", s.IntakeCreate(ctx, store.IntakeCreateParams{BlobKey: "intake/now"}))

	at := func(m int) time.Time {
		return base.UTC().Truncate(time.Microsecond).Add(time.Duration(m) * time.Minute)
	}
	got, err := s.IntakeListStale(ctx, base.Add(90*time.Second), 0)
	wantNoErr(t, "IntakeListStale", err)
	wantEqual(t, "IntakeListStale", got, []store.Intake{{BlobKey: "intake/c", CreatedAt: at(0)}, {BlobKey: "intake/a", CreatedAt: at(1)}})
	got, err = s.IntakeListStale(ctx, base.Add(time.Minute), 10)
	wantNoErr(t, "IntakeListStale", err)
	wantEqual(t, "IntakeListStale is exclusive", got, []store.Intake{{BlobKey: "intake/c", CreatedAt: at(0)}})
	got, err = s.IntakeListStale(ctx, time.Now().Add(time.Hour), 3)
	wantNoErr(t, "IntakeListStale", err)
	if len(got) != 3 || got[2].BlobKey != "intake/b" {
		t.Errorf("IntakeListStale with limit 3 = %v", got)
	}
	got, err = s.IntakeListStale(ctx, time.Now().Add(time.Hour), 10)
	wantNoErr(t, "IntakeListStale", err)
	if len(got) != 4 || got[3].BlobKey != "intake/now" {
		t.Fatalf("IntakeListStale = %v, want 4 intakes", got)
	}
	wantRecent(t, "CreatedAt", got[3].CreatedAt, before)

	wantNoErr(t, "IntakeDelete", s.IntakeDelete(ctx, "intake/c"))
	wantNoErr(t, "IntakeDelete again", s.IntakeDelete(ctx, "intake/c"))
	wantNoErr(t, "IntakeDelete unknown", s.IntakeDelete(ctx, "never"))
	got, err = s.IntakeListStale(ctx, base.Add(90*time.Second), 0)
	wantNoErr(t, "IntakeListStale", err)
	wantEqual(t, "IntakeListStale after delete", got, []store.Intake{{BlobKey: "intake/a", CreatedAt: at(1)}})
	// A deleted key may be recorded again.
	wantNoErr(t, "IntakeCreate after delete", s.IntakeCreate(ctx, store.IntakeCreateParams{BlobKey: "intake/c", CreatedAt: base}))
}
