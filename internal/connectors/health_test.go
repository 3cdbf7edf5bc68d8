package connectors_test

import (
	"context"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/connectors"
	"github.com/callimport/callimport/internal/sealing"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/store/storesqlite"
)

// TestFeedHealth: a feed is quiet once nothing arrived for longer than
// QuietAfter (from its creation before the first import), and no longer
// quiet after an import; a disabled feed is never quiet.
func TestFeedHealth(t *testing.T) {
	t.Parallel()
	st := storesqlite.OpenTest(t)
	ctx := t.Context()
	kr, _ := sealing.New(sealing.NewKey())
	clock := time.Now()
	m := connectors.New(connectors.Config{Store: st, Keyring: kr, QuietAfter: 6 * time.Hour, Now: func() time.Time { return clock }})
	org, _ := st.OrgCreate(ctx, store.OrgCreateParams{Name: "o"})
	camp, _ := st.CampaignCreate(ctx, store.CampaignCreateParams{OrgID: org.ID, Name: "c"})
	pw := "pw"
	src, err := m.CreatePullSource(ctx, org.ID, camp.ID, connectors.PullSourceInput{Host: ptr("h"), Username: ptr("u"), Password: &pw,
		HostKeyFingerprint: ptr("SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")})
	if err != nil || src.Quiet {
		t.Fatalf("new source: %+v, %v", src.Health, err)
	}
	clock = clock.Add(7 * time.Hour)
	if got, _ := m.GetPullSource(ctx, org.ID, src.ID); !got.Quiet || got.LastImportAt != nil {
		t.Fatalf("7 hours without an import: %+v", got.Health)
	}
	sched := &connectors.Scheduler{Store: st, Owner: "p", Now: func() time.Time { return clock }}
	if err := sched.RunDue(ctx, store.ScheduleSFTPPull, []connectors.Item{{Key: src.ID, OrgID: org.ID}},
		func(_ context.Context, _ connectors.Item) (connectors.Outcome, error) {
			return connectors.Outcome{Imported: 2, Next: clock.Add(time.Hour)}, nil
		}); err != nil {
		t.Fatal(err)
	}
	got, _ := m.GetPullSource(ctx, org.ID, src.ID)
	if got.Quiet || got.LastImportAt == nil || !got.LastImportAt.Equal(clock.UTC().Truncate(time.Microsecond)) {
		t.Fatalf("after an import: %+v", got.Health)
	}
	clock = clock.Add(7 * time.Hour)
	if got, _ := m.GetPullSource(ctx, org.ID, src.ID); !got.Quiet {
		t.Fatalf("7 hours after the import: %+v", got.Health)
	}
	if got, _ := m.UpdatePullSource(ctx, org.ID, src.ID, connectors.PullSourceInput{Enabled: new(false)}); got.Quiet {
		t.Fatalf("disabled and quiet: %+v", got.Health)
	}
}
