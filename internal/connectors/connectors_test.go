package connectors_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/connectors"
	"github.com/callimport/callimport/internal/sealing"
	"github.com/callimport/callimport/internal/source/genesys"
	"github.com/callimport/callimport/internal/source/sftppull"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/store/storepg"
	"github.com/callimport/callimport/internal/store/storesqlite"
)

// openStores opens one store per backend.
func openStores(t *testing.T) map[string]connectors.Store {
	return map[string]connectors.Store{"sqlite": storesqlite.OpenTest(t), "postgres": storepg.OpenTest(t)}
}

// TestSchedulerTwoProcesses runs two schedulers, each on its own pool (as
// two serve processes would), against one PostgreSQL database: no item
// ever runs twice at once, each due item runs once, a long run keeps its
// lease, a restarted process finds nothing due, and a dead process's lease
// is taken over once it lapses.
func TestSchedulerTwoProcesses(t *testing.T) {
	t.Parallel()
	u := storepg.TestURL(t)
	var pools [2]*storepg.DB
	for i := range pools {
		db, err := storepg.Open(t.Context(), storepg.Config{URL: u, MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		pools[i] = db
	}
	items := make([]connectors.Item, 8)
	for i := range items {
		items[i] = connectors.Item{Key: fmt.Sprint("item-", i), OrgID: "org"}
	}
	var mu sync.Mutex
	running, runs := map[string]int{}, map[string]int{}
	var overlaps atomic.Int32
	run := func(_ context.Context, it connectors.Item) (connectors.Outcome, error) {
		mu.Lock()
		running[it.Key]++
		runs[it.Key]++
		if running[it.Key] > 1 {
			overlaps.Add(1)
		}
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		running[it.Key]--
		mu.Unlock()
		return connectors.Outcome{Imported: 1, Next: time.Now().Add(time.Hour)}, nil
	}
	scheds := []*connectors.Scheduler{{Store: pools[0], Owner: "p1"}, {Store: pools[1], Owner: "p2"}}
	var wg sync.WaitGroup
	for round := range 3 {
		for _, s := range scheds {
			wg.Go(func() {
				if err := s.RunDue(t.Context(), store.ScheduleSFTPPull, items, run); err != nil {
					t.Errorf("round %d: %v", round, err)
				}
			})
		}
		wg.Wait()
	}
	if overlaps.Load() != 0 {
		t.Fatalf("%d runs overlapped another of the same item", overlaps.Load())
	}
	for _, it := range items {
		if runs[it.Key] != 1 {
			t.Errorf("%s ran %d times, want once", it.Key, runs[it.Key])
		}
	}
	// A restarted process: nothing is due.
	restarted := &connectors.Scheduler{Store: pools[0], Owner: "p1-restarted"}
	if err := restarted.RunDue(t.Context(), store.ScheduleSFTPPull, items, run); err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if runs[it.Key] != 1 {
			t.Fatalf("%s ran again after a restart", it.Key)
		}
	}

	// A run longer than the lease keeps it by renewing.
	long := []connectors.Item{{Key: "long", OrgID: "org"}}
	started := make(chan struct{})
	var longRuns atomic.Int32
	slow := func(ctx context.Context, _ connectors.Item) (connectors.Outcome, error) {
		longRuns.Add(1)
		close(started)
		select {
		case <-time.After(2500 * time.Millisecond):
		case <-ctx.Done():
			return connectors.Outcome{}, ctx.Err()
		}
		return connectors.Outcome{Next: time.Now().Add(time.Hour)}, nil
	}
	a := &connectors.Scheduler{Store: pools[0], Owner: "a", Lease: 1500 * time.Millisecond}
	b := &connectors.Scheduler{Store: pools[1], Owner: "b", Lease: 1500 * time.Millisecond}
	done := make(chan error, 1)
	go func() { done <- a.RunDue(t.Context(), store.ScheduleGenesys, long, slow) }()
	<-started
	for range 10 { // b keeps trying while a runs, past a's first lease
		if err := b.RunDue(t.Context(), store.ScheduleGenesys, long, slow); err != nil {
			t.Fatal(err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err := <-done; err != nil {
		t.Fatalf("long run: %v", err)
	}
	if longRuns.Load() != 1 {
		t.Fatalf("the long item ran %d times", longRuns.Load())
	}

	// A process that died holding a lease: the item runs elsewhere once the
	// lease has lapsed.
	now := time.Now()
	if _, ok, err := pools[0].ScheduleClaim(t.Context(), store.ScheduleClaimParams{Kind: store.ScheduleGenesys, Key: "orphan",
		OrgID: "org", Owner: "dead", Now: now, LeaseUntil: now.Add(time.Minute)}); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	orphan := []connectors.Item{{Key: "orphan", OrgID: "org"}}
	before := len(runs)
	if err := b.RunDue(t.Context(), store.ScheduleGenesys, orphan, run); err != nil || len(runs) != before {
		t.Fatalf("ran an item leased by another process: %v", err)
	}
	later := &connectors.Scheduler{Store: pools[1], Owner: "b", Now: func() time.Time { return time.Now().Add(2 * time.Minute) }}
	if err := later.RunDue(t.Context(), store.ScheduleGenesys, orphan, run); err != nil || runs["orphan"] != 1 {
		t.Fatalf("lapsed lease not taken over: %v, %d runs", err, runs["orphan"])
	}
}

// TestRotateSecrets re-encrypts every secret under a new key in one
// transaction; afterwards the old key is no longer needed, and a key that
// opens only some secrets changes none and names the one it cannot open.
func TestRotateSecrets(t *testing.T) {
	t.Parallel()
	for name, st := range openStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			k1, k2, k3 := sealing.NewKey(), sealing.NewKey(), sealing.NewKey()
			kr1, _ := sealing.New(k1)
			org, _ := st.OrgCreate(ctx, store.OrgCreateParams{Name: "o"})
			camp, _ := st.CampaignCreate(ctx, store.CampaignCreateParams{OrgID: org.ID, Name: "c"})
			m := connectors.New(connectors.Config{Store: st, Keyring: kr1, Genesys: genesys.NewService(st, kr1, nil, genesys.ServiceConfig{})})
			pw, key := "pull-password", testPrivateKey(t)
			src, err := m.CreatePullSource(ctx, org.ID, camp.ID, connectors.PullSourceInput{Host: ptr("h"), Username: ptr("u"),
				Password: &pw, PrivateKey: &key, HostKeyFingerprint: ptr("SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")})
			if err != nil {
				t.Fatal(err)
			}
			secret := "genesys-secret"
			if _, err := m.PutGenesysConnection(ctx, org.ID, connectors.GenesysConnectionInput{Region: "mypurecloud.ie",
				ClientID: "id", ClientSecret: &secret}); err != nil {
				t.Fatal(err)
			}

			// The wrong old key: nothing changes, the error names the secret and key.
			wrong, _ := sealing.New(k2, k3)
			_, err = connectors.RotateSecrets(ctx, st, wrong)
			if !errors.Is(err, sealing.ErrUnseal) || !strings.Contains(err.Error(), kr1.PrimaryID()) || !strings.Contains(err.Error(), "not configured") {
				t.Fatalf("rotate with the wrong old key: %v", err)
			}
			checkOpens(t, st, kr1, org.ID, src.ID, pw, key, secret)

			rot, err := connectors.RotateSecrets(ctx, st, mustKeyring(t, k2, k1))
			if err != nil || rot.Total != 3 || rot.Resealed != 3 {
				t.Fatalf("rotate = %+v, %v", rot, err)
			}
			only2, _ := sealing.New(k2)
			checkOpens(t, st, only2, org.ID, src.ID, pw, key, secret)
			if _, err := only2.Open(org.ID, mustSealed(t, st, org.ID, src.ID)); err != nil {
				t.Fatal(err)
			}
			if _, err := kr1.Open(org.ID, mustSealed(t, st, org.ID, src.ID)); !errors.Is(err, sealing.ErrUnseal) {
				t.Fatalf("the old key alone still opens: %v", err)
			}
			rot, err = connectors.RotateSecrets(ctx, st, only2)
			if err != nil || rot.Current != 3 || rot.Resealed != 0 {
				t.Fatalf("rotate again = %+v, %v", rot, err)
			}
		})
	}
}

func mustKeyring(t *testing.T, primary string, previous ...string) *sealing.Keyring {
	t.Helper()
	kr, err := sealing.New(primary, previous...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func mustSealed(t *testing.T, st connectors.Store, orgID, id string) string {
	t.Helper()
	p, err := st.PullSourceGet(t.Context(), orgID, id)
	if err != nil {
		t.Fatal(err)
	}
	return p.PasswordSealed
}

// checkOpens requires kr to open every secret of the organisation, the
// way the channels read them.
func checkOpens(t *testing.T, st connectors.Store, kr *sealing.Keyring, orgID, srcID, pw, key, secret string) {
	t.Helper()
	p, err := st.PullSourceGet(t.Context(), orgID, srcID)
	if err != nil {
		t.Fatal(err)
	}
	src, err := sftppull.FromStore(p, kr)
	if err != nil || src.Password != pw || src.PrivateKey != key {
		t.Fatalf("pull source secrets: %v", err)
	}
	c, err := st.GenesysConnectionGet(t.Context(), orgID)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := kr.Open(orgID, c.SecretSealed); err != nil || got != secret {
		t.Fatalf("genesys secret: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
