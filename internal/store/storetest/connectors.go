package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/store"
)

func connectorsTests() []test {
	return []test{
		{"ConnectorsListByOrg", testConnectorsListByOrg},
		{"ScheduleLease", testScheduleLease},
		{"ScheduleClaimRace", testScheduleClaimRace},
		{"SealedSecrets", testSealedSecrets},
	}
}

func connStore(t *testing.T, s any) store.Connectors {
	t.Helper()
	c, ok := s.(store.Connectors)
	if !ok {
		t.Fatalf("%T does not implement store.Connectors", s)
	}
	return c
}

func testConnectorsListByOrg(t *testing.T, s store.Store) {
	f, other := setup(t, s), setup(t, s)
	c, p, g := connStore(t, s), pullStore(t, s), s.(store.Genesys)
	ctx := t.Context()
	second := newCampaign(t, s, f.org.ID)
	a, _ := p.PullSourcePut(ctx, pullParams(f))
	bp := pullParams(f)
	bp.CampaignID, bp.Enabled = second.ID, false
	b, _ := p.PullSourcePut(ctx, bp)
	if _, err := p.PullSourcePut(ctx, pullParams(other)); err != nil {
		t.Fatal(err)
	}
	all, err := c.PullSourceListByOrg(ctx, f.org.ID, "")
	if err != nil || len(all) != 2 {
		t.Fatalf("PullSourceListByOrg = %d sources, %v; want 2 (disabled included)", len(all), err)
	}
	one, err := c.PullSourceListByOrg(ctx, f.org.ID, second.ID)
	if err != nil || len(one) != 1 || one[0].ID != b.ID {
		t.Fatalf("PullSourceListByOrg(campaign) = %+v, %v", one, err)
	}
	_ = a
	for _, camp := range []string{f.campaign.ID, second.ID} {
		if _, err := g.GenesysRulePut(ctx, store.GenesysRulePutParams{OrgID: f.org.ID, CampaignID: camp, Rule: "{}",
			IntervalSeconds: 60, Enabled: camp == f.campaign.ID}); err != nil {
			t.Fatal(err)
		}
	}
	rules, err := c.GenesysRuleListByOrg(ctx, f.org.ID)
	if err != nil || len(rules) != 2 {
		t.Fatalf("GenesysRuleListByOrg = %d, %v", len(rules), err)
	}
	if rules, _ := c.GenesysRuleListByOrg(ctx, other.org.ID); len(rules) != 0 {
		t.Fatalf("another org lists %d rules", len(rules))
	}
	if err := c.GenesysRuleDelete(ctx, other.org.ID, second.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := g.GenesysRuleGet(ctx, f.org.ID, second.ID); err != nil {
		t.Fatalf("another org deleted the rule: %v", err)
	}
	if err := c.GenesysRuleDelete(ctx, f.org.ID, second.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := g.GenesysRuleGet(ctx, f.org.ID, second.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GenesysRuleGet after delete: %v", err)
	}
}

func testScheduleLease(t *testing.T, s store.Store) {
	f, other := setup(t, s), setup(t, s)
	c := connStore(t, s)
	ctx := t.Context()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	claim := func(owner string, now time.Time) (store.Schedule, bool) {
		t.Helper()
		sc, ok, err := c.ScheduleClaim(ctx, store.ScheduleClaimParams{Kind: store.ScheduleSFTPPull, Key: "src1",
			OrgID: f.org.ID, Owner: owner, Now: now, LeaseUntil: now.Add(time.Minute)})
		if err != nil {
			t.Fatalf("ScheduleClaim: %v", err)
		}
		return sc, ok
	}
	sc, ok := claim("p1", t0)
	if !ok || sc.LeaseOwner != "p1" || sc.LastRunAt != nil || sc.LastImportAt != nil {
		t.Fatalf("first claim = %+v, %v; want held by p1, never run", sc, ok)
	}
	if _, ok := claim("p2", t0.Add(30*time.Second)); ok {
		t.Fatal("a second process claimed a held lease")
	}
	if err := c.ScheduleRenew(ctx, store.ScheduleSFTPPull, "src1", "p1", t0.Add(2*time.Minute)); err != nil {
		t.Fatalf("ScheduleRenew: %v", err)
	}
	if _, ok := claim("p2", t0.Add(90*time.Second)); ok {
		t.Fatal("claimed a renewed lease")
	}
	if err := c.ScheduleRenew(ctx, store.ScheduleSFTPPull, "src1", "p2", t0.Add(3*time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("renew by a non-owner: %v, want ErrNotFound", err)
	}
	imported := t0.Add(100 * time.Second)
	if err := c.ScheduleRelease(ctx, store.ScheduleReleaseParams{Kind: store.ScheduleSFTPPull, Key: "src1", Owner: "p1",
		NextRunAt: t0.Add(10 * time.Minute), FinishedAt: imported, ImportedAt: &imported}); err != nil {
		t.Fatalf("ScheduleRelease: %v", err)
	}
	if _, ok := claim("p2", t0.Add(5*time.Minute)); ok {
		t.Fatal("claimed before the next run")
	}
	got, err := c.ScheduleGet(ctx, f.org.ID, store.ScheduleSFTPPull, "src1")
	if err != nil || got.LastImportAt == nil || !got.LastImportAt.Equal(imported) || got.LeaseOwner != "" ||
		!got.NextRunAt.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("ScheduleGet = %+v, %v", got, err)
	}
	if _, err := c.ScheduleGet(ctx, other.org.ID, store.ScheduleSFTPPull, "src1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ScheduleGet from another org: %v", err)
	}
	// A release without an import keeps the last import time.
	sc, ok = claim("p2", t0.Add(11*time.Minute))
	if !ok {
		t.Fatal("not claimable when due")
	}
	if err := c.ScheduleRelease(ctx, store.ScheduleReleaseParams{Kind: store.ScheduleSFTPPull, Key: "src1", Owner: "p2",
		NextRunAt: t0.Add(20 * time.Minute), FinishedAt: t0.Add(12 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	// A lapsed lease (its process died) is taken over.
	if _, ok = claim("p3", t0.Add(20*time.Minute)); !ok {
		t.Fatal("not claimable when due")
	}
	if _, ok := claim("p4", t0.Add(22*time.Minute)); !ok {
		t.Fatal("a lapsed lease was not taken over")
	}
	if err := c.ScheduleRelease(ctx, store.ScheduleReleaseParams{Kind: store.ScheduleSFTPPull, Key: "src1", Owner: "p3",
		NextRunAt: t0, FinishedAt: t0}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("release by the lapsed owner: %v, want ErrNotFound", err)
	}
	// "Run now" asked while p4 runs (and renews) is not lost when p4's run
	// ends: the item stays due.
	t4 := t0.Add(22 * time.Minute)
	if err := c.ScheduleRenew(ctx, store.ScheduleSFTPPull, "src1", "p4", t4.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := c.ScheduleRunNow(ctx, store.ScheduleSFTPPull, "src1", f.org.ID, t4.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := c.ScheduleRelease(ctx, store.ScheduleReleaseParams{Kind: store.ScheduleSFTPPull, Key: "src1", Owner: "p4",
		NextRunAt: t4.Add(time.Hour), FinishedAt: t4.Add(2 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, ok := claim("p5", t4.Add(2*time.Minute)); !ok {
		t.Fatal("a run asked for during a run was lost when that run ended")
	}
	if err := c.ScheduleRelease(ctx, store.ScheduleReleaseParams{Kind: store.ScheduleSFTPPull, Key: "src1", Owner: "p5",
		NextRunAt: t4.Add(time.Hour), FinishedAt: t4.Add(3 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.ScheduleGet(ctx, f.org.ID, store.ScheduleSFTPPull, "src1"); err != nil || !got.NextRunAt.Equal(t4.Add(time.Hour)) {
		t.Fatalf("after a run without a run-now request: %+v, %v; want next run %s", got, err, t4.Add(time.Hour))
	}
	list, err := c.ScheduleList(ctx, f.org.ID, store.ScheduleSFTPPull)
	if err != nil || len(list) != 1 || list[0].LastImportAt == nil || !list[0].LastImportAt.Equal(imported) {
		t.Fatalf("ScheduleList = %+v, %v", list, err)
	}
	if err := c.ScheduleRunNow(ctx, store.ScheduleGenesys, f.campaign.ID, f.org.ID, t0); err != nil {
		t.Fatal(err)
	}
	if err := c.ScheduleDelete(ctx, store.ScheduleSFTPPull, "src1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ScheduleGet(ctx, f.org.ID, store.ScheduleSFTPPull, "src1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ScheduleGet after delete: %v", err)
	}
}

// testScheduleClaimRace claims one due item from many goroutines at once:
// exactly one gets it.
func testScheduleClaimRace(t *testing.T, s store.Store) {
	f := setup(t, s)
	c := connStore(t, s)
	now := time.Now()
	for round := range 3 {
		key := fmt.Sprintf("race-%d", round)
		var wins sync.Map
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				_, ok, err := c.ScheduleClaim(t.Context(), store.ScheduleClaimParams{Kind: store.ScheduleGenesys, Key: key,
					OrgID: f.org.ID, Owner: fmt.Sprint("p", i), Now: now, LeaseUntil: now.Add(time.Minute)})
				if err != nil {
					t.Errorf("claim: %v", err)
				}
				if ok {
					wins.Store(i, true)
				}
			})
		}
		wg.Wait()
		n := 0
		wins.Range(func(any, any) bool { n++; return true })
		if n != 1 {
			t.Fatalf("round %d: %d claims won, want 1", round, n)
		}
	}
}

func testSealedSecrets(t *testing.T, s store.Store) {
	f := setup(t, s)
	p, g := pullStore(t, s), s.(store.Genesys)
	ctx := t.Context()
	pp := pullParams(f)
	pp.PasswordSealed = "v1:pw"
	src, err := p.PullSourcePut(ctx, pp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.GenesysConnectionPut(ctx, store.GenesysConnectionPutParams{OrgID: f.org.ID, Region: "mypurecloud.ie",
		ClientID: "id", SecretSealed: "v1:gs"}); err != nil {
		t.Fatal(err)
	}
	err = s.InTx(ctx, func(tx store.Tx) error {
		tc := connStore(t, tx)
		all, err := tc.SealedSecretList(ctx)
		if err != nil {
			return err
		}
		mine := 0
		for _, sec := range all {
			if sec.OrgID != f.org.ID {
				continue
			}
			mine++
			if err := tc.SealedSecretSet(ctx, sec, "v2:new:"+sec.Value); err != nil {
				return err
			}
			if err := tc.SealedSecretSet(ctx, sec, "again"); !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("set over a changed value: %w, want ErrNotFound", err)
			}
		}
		if mine != 3 {
			return fmt.Errorf("%d sealed secrets of the org, want 3", mine)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := p.PullSourceGet(ctx, f.org.ID, src.ID)
	conn, _ := g.GenesysConnectionGet(ctx, f.org.ID)
	if got.PasswordSealed != "v2:new:v1:pw" || got.PrivateKeySealed != "v2:new:v1:sealed" || conn.SecretSealed != "v2:new:v1:gs" {
		t.Fatalf("after set: %q %q %q", got.PasswordSealed, got.PrivateKeySealed, conn.SecretSealed)
	}
}
