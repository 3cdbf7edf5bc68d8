package audit_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/store/storepg"
	"github.com/callimport/callimport/internal/store/storesqlite"
)

// backends open a fresh store of each kind.
var backends = []struct {
	name string
	open func(t testing.TB) store.Store
}{
	{"sqlite", func(t testing.TB) store.Store { return storesqlite.OpenTest(t) }},
	{"postgres", func(t testing.TB) store.Store { return storepg.OpenTest(t) }},
}

func forEachBackend(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Helper()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			fn(t, be.open(t))
		})
	}
}

func event(org, action, target string) audit.Event {
	return audit.Event{OrgID: org, Actor: audit.Actor{Type: audit.ActorAPIKey, ID: "k1"}, Action: action,
		TargetType: "call", TargetID: target, Outcome: audit.OutcomeSuccess, SourceIP: "198.51.100.4", Client: "test"}
}

func chain(t *testing.T, st store.Store, org string) []store.AuditRecord {
	t.Helper()
	var out []store.AuditRecord
	if err := st.(store.Audit).AuditChain(t.Context(), org, func(r store.AuditRecord) error {
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTrailRecordsEverything(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, st store.Store) {
		// A tiny queue and batches, so that Record finds it full and waits.
		tr := audit.NewTrail(t.Context(), audit.Config{Store: st.(store.Audit), QueueSize: 4, BatchSize: 3})
		const workers, each = 8, 25
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					org := []string{"org-a", "org-b", ""}[(w+i)%3]
					if err := tr.Record(t.Context(), event(org, "getCall", fmt.Sprintf("%d-%d", w, i))); err != nil {
						t.Errorf("Record: %v", err)
					}
				}
			})
		}
		wg.Wait()
		if err := tr.Flush(t.Context()); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		total := 0
		seen := map[string]bool{}
		for _, org := range []string{"org-a", "org-b", ""} {
			recs := chain(t, st, org)
			total += len(recs)
			for _, r := range recs {
				seen[r.TargetID] = true
				if r.Action != "getCall" || r.ActorID != "k1" || r.SourceIP != "198.51.100.4" || r.At.IsZero() {
					t.Errorf("record %+v", r)
				}
			}
			v, err := audit.Verify(t.Context(), st.(store.Audit), org)
			if err != nil || !v.OK() || v.Records != int64(len(recs)) {
				t.Errorf("Verify(%q) = %+v, %v", org, v, err)
			}
		}
		if total != workers*each || len(seen) != workers*each {
			t.Errorf("%d records of %d distinct events, want %d", total, len(seen), workers*each)
		}
		// Close writes what is queued; later events are written at once.
		for i := range 10 {
			_ = tr.Record(t.Context(), event("org-c", "listCalls", fmt.Sprint(i)))
		}
		if err := tr.Close(t.Context()); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := tr.Record(t.Context(), event("org-c", "listCalls", "late")); err != nil {
			t.Fatalf("Record after Close: %v", err)
		}
		if n := len(chain(t, st, "org-c")); n != 11 {
			t.Errorf("org-c has %d records after Close, want 11", n)
		}
		if err := tr.Flush(t.Context()); err == nil {
			t.Error("Flush after Close succeeded")
		}
	})
}

func TestTrailKeepsFields(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, st store.Store) {
		tr := audit.NewTrail(t.Context(), audit.Config{Store: st.(store.Audit)})
		at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
		e := audit.Event{OrgID: "o", Actor: audit.Actor{Type: audit.ActorUser, ID: "u1"}, Action: "web.signin",
			Outcome: audit.OutcomeFailure, SourceIP: "2001:db8::1", Client: strings.Repeat("é", 150) + "\x00",
			Detail: map[string]string{"reason": "bad_password"}, At: at}
		if err := tr.Record(t.Context(), e); err != nil {
			t.Fatal(err)
		}
		e.Detail["reason"] = "changed after Record" // the trail keeps its own copy
		if err := tr.Shutdown(time.Minute); err != nil {
			t.Fatal(err)
		}
		recs := chain(t, st, "o")
		if len(recs) != 1 {
			t.Fatalf("%d records", len(recs))
		}
		r := recs[0]
		if r.ActorType != audit.ActorUser || r.ActorID != "u1" || r.Action != "web.signin" || r.Outcome != audit.OutcomeFailure ||
			r.SourceIP != "2001:db8::1" || !r.At.Equal(at) || r.Detail["reason"] != "bad_password" || r.Seq != 1 {
			t.Errorf("record %+v", r)
		}
		if len(r.Client) > audit.MaxClientLen || !strings.HasPrefix(r.Client, "éé") || strings.ContainsRune(r.Client, 0) {
			t.Errorf("client %q (%d bytes)", r.Client, len(r.Client))
		}
	})
}

// TestVerifyFindsTampering edits a trail written by a Trail straight in
// the database: an edited, a deleted and a swapped record.
func TestVerifyFindsTampering(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, st store.Store) {
		ctx := t.Context()
		tr := audit.NewTrail(ctx, audit.Config{Store: st.(store.Audit)})
		orgs := map[string]string{"edited": "org-edit", "deleted": "org-del", "swapped": "org-swap"}
		for _, org := range orgs {
			for i := range 5 {
				if err := tr.Record(ctx, event(org, "getCallAudio", fmt.Sprint("call-", i))); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := tr.Close(ctx); err != nil {
			t.Fatal(err)
		}
		exec := func(q string) {
			if _, err := st.DB().ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		exec(`UPDATE audit_events SET target_id = 'call-9' WHERE org_id = 'org-edit' AND seq = 2`)
		exec(`DELETE FROM audit_events WHERE org_id = 'org-del' AND seq = 3`)
		exec(`UPDATE audit_events SET seq = 0 WHERE org_id = 'org-swap' AND seq = 4`)
		exec(`UPDATE audit_events SET seq = 4 WHERE org_id = 'org-swap' AND seq = 5`)
		exec(`UPDATE audit_events SET seq = 5 WHERE org_id = 'org-swap' AND seq = 0`)
		vs, err := audit.VerifyAll(ctx, st.(store.Audit))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]audit.Break{}
		for _, v := range vs {
			if v.Break != nil {
				got[v.OrgID] = *v.Break
			}
		}
		for reason, want := range map[string]audit.Break{
			"edited":  {Seq: 2, Reason: audit.BreakEdited},
			"deleted": {Seq: 3, Reason: audit.BreakMissing},
			"swapped": {Seq: 4, Reason: audit.BreakReordered},
		} {
			b := got[orgs[reason]]
			if b.Seq != want.Seq || b.Reason != want.Reason {
				t.Errorf("%s: break %+v, want %s at %d", reason, b, want.Reason, want.Seq)
			}
		}
		if len(got) != 3 {
			t.Errorf("breaks %+v, want 3", got)
		}
	})
}

func TestClientName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"curl/8.5.0":                   "curl/8.5.0",
		"a\r\nb\tc":                    "a  b c",
		"bad \xff utf8":                "bad \uFFFD utf8",
		strings.Repeat("x", 300):       strings.Repeat("x", 200),
		strings.Repeat("x", 199) + "é": strings.Repeat("x", 199),
	} {
		if got := audit.ClientName(in); got != want {
			t.Errorf("ClientName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"192.0.2.1:5555":    "192.0.2.1",
		"[2001:db8::1]:443": "2001:db8::1",
		"pipe":              "pipe",
	} {
		if got := audit.RemoteIP(in); got != want {
			t.Errorf("RemoteIP(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOrigin(t *testing.T) {
	t.Parallel()
	if _, ok := audit.OriginFrom(t.Context()); ok {
		t.Error("origin in a bare context")
	}
	o := audit.Origin{OrgID: "o", Actor: audit.Actor{Type: audit.ActorSFTPAccount, ID: "a"}, SourceIP: "192.0.2.9"}
	got, ok := audit.OriginFrom(context.WithoutCancel(audit.WithOrigin(t.Context(), o)))
	if !ok || got != o {
		t.Errorf("OriginFrom = %+v, %v", got, ok)
	}
}
