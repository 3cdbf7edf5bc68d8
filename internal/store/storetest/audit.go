package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/store"
)

func auditTests() []test {
	return []test{
		{"AuditAppendChain", testAuditAppendChain},
		{"AuditList", testAuditList},
		{"AuditConcurrentAppends", testAuditConcurrentAppends},
		{"AuditTamper", testAuditTamper},
	}
}

func auditStore(t *testing.T, s store.Store) store.Audit {
	t.Helper()
	a, ok := s.(store.Audit)
	if !ok {
		t.Fatalf("%T does not implement store.Audit", s)
	}
	return a
}

func auditRec(org, action, target string) store.AuditRecord {
	return store.AuditRecord{OrgID: org, ActorType: "api_key", ActorID: "key-1", Action: action, TargetType: "call",
		TargetID: target, Outcome: "success", SourceIP: "192.0.2.7", Client: "curl/8.5"}
}

// readChain returns orgID's whole chain.
func readChain(t *testing.T, a store.Audit, orgID string) []store.AuditRecord {
	t.Helper()
	var out []store.AuditRecord
	if err := a.AuditChain(t.Context(), orgID, func(r store.AuditRecord) error { out = append(out, r); return nil }); err != nil {
		t.Fatalf("AuditChain: %v", err)
	}
	return out
}

func testAuditAppendChain(t *testing.T, s store.Store) {
	a := auditStore(t, s)
	ctx := t.Context()
	org, other := newOrg(t, s).ID, newOrg(t, s).ID
	at := time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.FixedZone("x", 3600))
	first := auditRec(org, "getCall", "c1")
	first.At = at
	first.Detail = map[string]string{"status": "200", "channel": "api"}
	out, err := a.AuditAppend(ctx, []store.AuditRecord{first, auditRec(other, "listCalls", ""), auditRec("", "issueToken", "")})
	wantNoErr(t, "AuditAppend", err)
	if len(out) != 3 || out[0].Seq != 1 || out[0].PrevHash != "" || out[1].Seq != 1 || out[2].Seq != 1 || out[2].OrgID != "" {
		t.Fatalf("first append = %+v", out)
	}
	if !out[0].At.Equal(at.Truncate(time.Microsecond)) || out[0].At.Location() != time.UTC {
		t.Errorf("At = %s, want %s in UTC", out[0].At, at)
	}
	before := time.Now()
	more, err := a.AuditAppend(ctx, []store.AuditRecord{auditRec(org, "getCallAudio", "c1"), auditRec(org, "deleteCall", "c1")})
	wantNoErr(t, "AuditAppend again", err)
	if more[0].Seq != 2 || more[1].Seq != 3 || more[0].PrevHash != out[0].Hash || more[1].PrevHash != more[0].Hash {
		t.Fatalf("second append = %+v", more)
	}
	wantRecent(t, "defaulted At", more[0].At, before)
	chain := readChain(t, a, org)
	want := []store.AuditRecord{out[0], more[0], more[1]}
	wantEqual(t, "chain", chain, want)
	for _, r := range chain {
		if r.Hash != store.AuditHash(r) || len(r.Hash) != 64 {
			t.Errorf("record %d: hash %q, want %q", r.Seq, r.Hash, store.AuditHash(r))
		}
	}
	edited := chain[0]
	edited.Detail = map[string]string{"status": "201", "channel": "api"}
	if store.AuditHash(edited) == chain[0].Hash {
		t.Error("AuditHash ignores Detail")
	}
	f, err := a.AuditFollower(ctx, org, chain[0].Hash)
	if err != nil || f.Seq != 2 {
		t.Errorf("AuditFollower = %+v, %v", f, err)
	}
	if _, err := a.AuditFollower(ctx, other, chain[0].Hash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AuditFollower in another org: %v, want ErrNotFound", err)
	}
	heads, err := a.AuditHeads(ctx)
	wantNoErr(t, "AuditHeads", err)
	got := map[string]store.AuditHead{}
	for _, h := range heads {
		got[h.OrgID] = h
	}
	if got[org] != (store.AuditHead{OrgID: org, Seq: 3, Hash: chain[2].Hash}) || got[other].Seq != 1 || got[""].Seq != 1 {
		t.Errorf("AuditHeads = %+v", heads)
	}
	if _, err := a.AuditAppend(ctx, nil); err != nil {
		t.Errorf("AuditAppend(nil): %v", err)
	}
}

func testAuditList(t *testing.T, s store.Store) {
	a := auditStore(t, s)
	ctx := t.Context()
	org, other := newOrg(t, s).ID, newOrg(t, s).ID
	base := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	var recs []store.AuditRecord
	for i := range 7 {
		r := auditRec(org, "getCall", fmt.Sprintf("c%d", i%3))
		r.At = base.Add(time.Duration(i) * time.Minute)
		if i%2 == 1 {
			r.Action, r.ActorID, r.Outcome = "deleteCall", "key-2", "denied"
		}
		recs = append(recs, r)
	}
	_, err := a.AuditAppend(ctx, append(recs, auditRec(other, "getCall", "c0")))
	wantNoErr(t, "AuditAppend", err)
	seqs := func(p store.AuditListParams) []int64 {
		t.Helper()
		rs, _, err := a.AuditList(ctx, p)
		wantNoErr(t, "AuditList", err)
		var out []int64
		for _, r := range rs {
			if r.OrgID != p.OrgID {
				t.Errorf("AuditList(%+v) returned a record of %s", p, r.OrgID)
			}
			out = append(out, r.Seq)
		}
		return out
	}
	since, until := base.Add(2*time.Minute), base.Add(5*time.Minute)
	for _, tc := range []struct {
		name string
		p    store.AuditListParams
		want []int64
	}{
		{"all newest first", store.AuditListParams{OrgID: org}, []int64{7, 6, 5, 4, 3, 2, 1}},
		{"ascending", store.AuditListParams{OrgID: org, Ascending: true}, []int64{1, 2, 3, 4, 5, 6, 7}},
		{"action", store.AuditListParams{OrgID: org, Action: "deleteCall"}, []int64{6, 4, 2}},
		{"actor", store.AuditListParams{OrgID: org, ActorID: "key-1"}, []int64{7, 5, 3, 1}},
		{"target", store.AuditListParams{OrgID: org, TargetID: "c1"}, []int64{5, 2}},
		{"outcome", store.AuditListParams{OrgID: org, Outcome: "denied", TargetID: "c0"}, []int64{4}},
		{"time range", store.AuditListParams{OrgID: org, Since: &since, Until: &until}, []int64{5, 4, 3}},
		{"unknown org", store.AuditListParams{OrgID: "nobody"}, nil},
	} {
		if got := seqs(tc.p); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: seqs %v, want %v", tc.name, got, tc.want)
		}
	}
	for _, asc := range []bool{false, true} {
		var got []int64
		p := store.AuditListParams{OrgID: org, Limit: 3, Ascending: asc}
		for pages := 0; ; pages++ {
			rs, next, err := a.AuditList(ctx, p)
			wantNoErr(t, "AuditList page", err)
			for _, r := range rs {
				got = append(got, r.Seq)
			}
			if next == "" || pages > 5 {
				break
			}
			p.Cursor = next
		}
		want := "[7 6 5 4 3 2 1]"
		if asc {
			want = "[1 2 3 4 5 6 7]"
		}
		if fmt.Sprint(got) != want {
			t.Errorf("paged (ascending %v): %v, want %s", asc, got, want)
		}
	}
	// Not base64, "audit:0", and a cursor of the call listing.
	for _, c := range []string{"x", "YXVkaXQ6MA", "MDE5YjAwMDAtMDAwMC03MDAwLTgwMDAtMDAwMDAwMDAwMDAw"} {
		if _, _, err := a.AuditList(ctx, store.AuditListParams{OrgID: org, Cursor: c}); !errors.Is(err, store.ErrInvalidCursor) {
			t.Errorf("cursor %q: %v, want ErrInvalidCursor", c, err)
		}
	}
}

// testAuditConcurrentAppends appends to one chain from many goroutines at
// once: the chain must stay one line, numbered without gaps.
func testAuditConcurrentAppends(t *testing.T, s store.Store) {
	a := auditStore(t, s)
	org := newOrg(t, s).ID
	const workers, rounds = 6, 8
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				recs := []store.AuditRecord{auditRec(org, "getCall", fmt.Sprint(w, i)), auditRec("", "issueToken", "")}
				if _, err := a.AuditAppend(t.Context(), recs); err != nil {
					t.Errorf("AuditAppend: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, o := range []string{org, ""} {
		v, err := audit.Verify(t.Context(), a, o)
		wantNoErr(t, "Verify", err)
		if !v.OK() || v.Records < workers*rounds {
			t.Errorf("chain %q after concurrent appends: %+v (break %+v)", o, v, v.Break)
		}
	}
}

// testAuditTamper edits the database directly, as an intruder with SQL
// access would, and requires Verify to find each change.
func testAuditTamper(t *testing.T, s store.Store) {
	a := auditStore(t, s)
	ctx := t.Context()
	exec := func(query string) {
		t.Helper()
		if _, err := s.DB().ExecContext(ctx, query); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	for _, tc := range []struct {
		name   string
		tamper func(org string)
		seq    int64
		reason string
	}{
		{"intact", func(string) {}, 0, ""},
		{"edited action", func(org string) {
			exec(fmt.Sprintf(`UPDATE audit_events SET action = 'listCalls' WHERE org_id = '%s' AND seq = 3`, org))
		}, 3, audit.BreakEdited},
		{"edited outcome of the last", func(org string) {
			exec(fmt.Sprintf(`UPDATE audit_events SET outcome = 'success' WHERE org_id = '%s' AND seq = 6`, org))
		}, 6, audit.BreakEdited},
		{"edited detail", func(org string) {
			exec(fmt.Sprintf(`UPDATE audit_events SET detail = '{"status":"200"}' WHERE org_id = '%s' AND seq = 2`, org))
		}, 2, audit.BreakEdited},
		{"deleted", func(org string) {
			exec(fmt.Sprintf(`DELETE FROM audit_events WHERE org_id = '%s' AND seq = 4`, org))
		}, 4, audit.BreakMissing},
		{"deleted first", func(org string) {
			exec(fmt.Sprintf(`DELETE FROM audit_events WHERE org_id = '%s' AND seq = 1`, org))
		}, 1, audit.BreakMissing},
		{"deleted last", func(org string) {
			exec(fmt.Sprintf(`DELETE FROM audit_events WHERE org_id = '%s' AND seq = 6`, org))
		}, 6, audit.BreakMissing},
		{"deleted and renumbered", func(org string) {
			exec(fmt.Sprintf(`DELETE FROM audit_events WHERE org_id = '%s' AND seq = 4`, org))
			exec(fmt.Sprintf(`UPDATE audit_events SET seq = 4 WHERE org_id = '%s' AND seq = 5`, org))
			exec(fmt.Sprintf(`UPDATE audit_events SET seq = 5 WHERE org_id = '%s' AND seq = 6`, org))
			exec(fmt.Sprintf(`UPDATE audit_heads SET seq = 5 WHERE org_id = '%s'`, org))
		}, 4, audit.BreakMissing},
		{"swapped", func(org string) {
			exec(fmt.Sprintf(`UPDATE audit_events SET seq = -1 WHERE org_id = '%s' AND seq = 2`, org))
			exec(fmt.Sprintf(`UPDATE audit_events SET seq = 2 WHERE org_id = '%s' AND seq = 5`, org))
			exec(fmt.Sprintf(`UPDATE audit_events SET seq = 5 WHERE org_id = '%s' AND seq = -1`, org))
		}, 2, audit.BreakReordered},
		{"swapped neighbours", func(org string) {
			exec(fmt.Sprintf(`UPDATE audit_events SET seq = -1 WHERE org_id = '%s' AND seq = 3`, org))
			exec(fmt.Sprintf(`UPDATE audit_events SET seq = 3 WHERE org_id = '%s' AND seq = 4`, org))
			exec(fmt.Sprintf(`UPDATE audit_events SET seq = 4 WHERE org_id = '%s' AND seq = -1`, org))
		}, 3, audit.BreakReordered},
		{"appended outside the trail", func(org string) {
			exec(fmt.Sprintf(`INSERT INTO audit_events SELECT org_id, 7, at, actor_type, actor_id, action, target_type,
				target_id, outcome, source_ip, client, detail, hash, hash FROM audit_events WHERE org_id = '%s' AND seq = 6`, org))
		}, 7, audit.BreakEdited},
	} {
		org := newOrg(t, s).ID
		var recs []store.AuditRecord
		for i := range 6 {
			r := auditRec(org, "getCall", fmt.Sprint("c", i))
			r.Outcome = "denied"
			r.Detail = map[string]string{"status": "403"}
			recs = append(recs, r)
		}
		// Two appends, so that the chain spans transactions.
		_, err := a.AuditAppend(ctx, recs[:2])
		wantNoErr(t, "AuditAppend", err)
		_, err = a.AuditAppend(ctx, recs[2:])
		wantNoErr(t, "AuditAppend", err)
		tc.tamper(org)
		v, err := audit.Verify(ctx, a, org)
		wantNoErr(t, tc.name+": Verify", err)
		switch {
		case tc.reason == "" && !v.OK():
			t.Errorf("%s: Verify found %+v", tc.name, *v.Break)
		case tc.reason == "" && (v.Records != 6 || v.HeadHash == ""):
			t.Errorf("%s: Verify = %+v", tc.name, v)
		case tc.reason != "" && v.OK():
			t.Errorf("%s: Verify found nothing: %+v", tc.name, v)
		case tc.reason != "" && (v.Break.Seq != tc.seq || v.Break.Reason != tc.reason || v.Break.Detail == ""):
			t.Errorf("%s: Verify found %+v, want %s at %d", tc.name, *v.Break, tc.reason, tc.seq)
		}
		if strings.Contains(tc.name, "intact") {
			continue
		}
		t.Logf("%s: %+v", tc.name, *v.Break)
	}
}
