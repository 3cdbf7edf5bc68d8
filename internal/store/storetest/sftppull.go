package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/store"
)

func sftpPullTests() []test {
	return []test{
		{"PullSource", testPullSource},
		{"PullLedgerRuns", testPullLedgerRuns},
	}
}

func pullStore(t *testing.T, s store.Store) store.SFTPPull {
	t.Helper()
	p, ok := s.(store.SFTPPull)
	if !ok {
		t.Fatalf("%T does not implement store.SFTPPull", s)
	}
	return p
}

func pullParams(f fixture) store.PullSourcePutParams {
	return store.PullSourcePutParams{OrgID: f.org.ID, CampaignID: f.campaign.ID, Host: "127.0.0.1", Port: 22,
		Username: "u", PrivateKeySealed: "v1:sealed", HostKeyFingerprint: "SHA256:abc", Folder: "/out", Pattern: "*.wav",
		Recursive: true, IntervalSeconds: 60, MinAgeSeconds: 30, AfterAction: "move:/done", Enabled: true}
}

func testPullSource(t *testing.T, s store.Store) {
	f := setup(t, s)
	other := setup(t, s)
	p := pullStore(t, s)
	ctx := t.Context()
	src, err := p.PullSourcePut(ctx, pullParams(f))
	if err != nil || src.ID == "" || !src.Recursive || src.Port != 22 || src.AfterAction != "move:/done" || src.CreatedAt.IsZero() {
		t.Fatalf("PullSourcePut = %+v, %v", src, err)
	}
	up := pullParams(f)
	up.ID, up.Recursive, up.Enabled, up.AfterAction = src.ID, false, false, "keep"
	if _, err := p.PullSourcePut(ctx, up); err != nil {
		t.Fatalf("PullSourcePut again: %v", err)
	}
	got, err := p.PullSourceGet(ctx, f.org.ID, src.ID)
	if err != nil || got.Recursive || got.Enabled || got.AfterAction != "keep" || !got.CreatedAt.Equal(src.CreatedAt) ||
		got.PrivateKeySealed != "v1:sealed" || got.HostKeyFingerprint != "SHA256:abc" || got.MinAgeSeconds != 30 {
		t.Fatalf("PullSourceGet = %+v, %v", got, err)
	}
	if _, err := p.PullSourceGet(ctx, other.org.ID, src.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("PullSourceGet from another org: %v, want ErrNotFound", err)
	}
	steal := pullParams(other)
	steal.ID = src.ID
	if _, err := p.PullSourcePut(ctx, steal); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("PullSourcePut over another org's source: %v, want ErrNotFound", err)
	}
	bad := pullParams(f)
	bad.CampaignID = other.campaign.ID
	if _, err := p.PullSourcePut(ctx, bad); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("PullSourcePut with another org's campaign: %v, want ErrNotFound", err)
	}
	list, err := p.PullSourceList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range list {
		if l.ID == src.ID {
			t.Fatalf("a disabled source is listed")
		}
	}
	for range 2 {
		if err := p.PullSourceDelete(ctx, f.org.ID, src.ID); err != nil {
			t.Fatalf("PullSourceDelete: %v", err)
		}
	}
	if _, err := p.PullSourceGet(ctx, f.org.ID, src.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("PullSourceGet after delete: %v", err)
	}
}

func testPullLedgerRuns(t *testing.T, s store.Store) {
	f := setup(t, s)
	p := pullStore(t, s)
	ctx := t.Context()
	src, err := p.PullSourcePut(ctx, pullParams(f))
	if err != nil {
		t.Fatal(err)
	}
	mt := time.Unix(1700000000, 0)
	e := store.PullLedgerEntry{SourceID: src.ID, Path: "/out/a.wav", Size: 10, ModTime: mt, SHA256: "ab", CallID: "c1"}
	for range 2 {
		if err := p.PullLedgerAdd(ctx, e); err != nil {
			t.Fatalf("PullLedgerAdd: %v", err)
		}
	}
	for _, c := range []struct {
		path string
		size int64
		mt   time.Time
		want bool
	}{{"/out/a.wav", 10, mt, true}, {"/out/a.wav", 11, mt, false}, {"/out/a.wav", 10, mt.Add(time.Second), false}, {"/out/b.wav", 10, mt, false}} {
		got, err := p.PullLedgerGet(ctx, src.ID, c.path, c.size, c.mt)
		if c.want && (err != nil || got.CallID != "c1" || got.SHA256 != "ab" || !got.ModTime.Equal(mt) || got.Size != 10) {
			t.Errorf("PullLedgerGet(%s, %d, %v) = %+v, %v", c.path, c.size, c.mt, got, err)
		}
		if !c.want && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("PullLedgerGet(%s, %d, %v) = %+v, %v, want ErrNotFound", c.path, c.size, c.mt, got, err)
		}
	}
	if err := p.PullLedgerAdd(ctx, store.PullLedgerEntry{SourceID: "no-such", Path: "x", ModTime: mt}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PullLedgerAdd for a missing source: %v, want ErrNotFound", err)
	}
	start := time.Now().Add(-time.Minute)
	for i := range 3 {
		if _, err := p.PullRunAdd(ctx, store.PullRun{SourceID: src.ID, StartedAt: start.Add(time.Duration(i) * time.Second),
			FinishedAt: start.Add(time.Duration(i)*time.Second + 500*time.Millisecond), Seen: i, Imported: i, Errors: "e"}); err != nil {
			t.Fatalf("PullRunAdd: %v", err)
		}
	}
	runs, err := p.PullRunList(ctx, src.ID, 2)
	if err != nil || len(runs) != 2 || runs[0].Seen != 2 || runs[1].Seen != 1 || runs[0].Errors != "e" {
		t.Fatalf("PullRunList = %+v, %v", runs, err)
	}
	if err := p.PullSourceDelete(ctx, f.org.ID, src.ID); err != nil {
		t.Fatal(err)
	}
	if runs, err := p.PullRunList(ctx, src.ID, 0); err != nil || len(runs) != 0 {
		t.Fatalf("runs after delete = %+v, %v", runs, err)
	}
	if _, err := p.PullLedgerGet(ctx, src.ID, "/out/a.wav", 10, mt); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ledger after delete: %v, want ErrNotFound", err)
	}
}
