package privacy_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/ingest"
	"github.com/callimport/callimport/internal/privacy"
	"github.com/callimport/callimport/internal/store"
)

const day = 24 * time.Hour

// TestRetentionDeletesExactlyCallsPastTheLimit: calls received more than
// their campaign's retention ago go, row and blob; every other call stays,
// whatever its age in a campaign without retention or its organisation.
func TestRetentionDeletesExactlyCallsPastTheLimit(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, st store.Store) {
		e := setup(t, st, 2) // small batches: several transactions per campaign
		orgA, orgB := e.org(t), e.org(t)
		r30 := e.campaign(t, orgA.ID, 30)
		keep := e.campaign(t, orgA.ID, 0)
		r7 := e.campaign(t, orgB.ID, 7)

		var gone, kept []call.Call
		for _, age := range []time.Duration{31 * day, 40 * day, 400 * day, 30*day + time.Minute, 35 * day} {
			gone = append(gone, e.call(t, r30, callSpec{age: age}))
		}
		for _, age := range []time.Duration{0, 29 * day, 30*day - time.Minute} {
			kept = append(kept, e.call(t, r30, callSpec{age: age}))
		}
		kept = append(kept, e.call(t, keep, callSpec{age: 4000 * day}))
		gone = append(gone, e.call(t, r7, callSpec{age: 8 * day}))
		kept = append(kept, e.call(t, r7, callSpec{age: 6 * day}))

		n, err := e.svc.EnforceRetention(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n != len(gone) {
			t.Errorf("deleted %d calls, want %d", n, len(gone))
		}
		for _, c := range gone {
			if e.exists(t, c) {
				t.Errorf("call %s past its campaign's retention still exists", c.ID)
			}
		}
		for _, c := range kept {
			if !e.exists(t, c) {
				t.Errorf("call %s deleted, but within its retention", c.ID)
			}
		}
		e.noIntakes(t)

		// The audit: one event per campaign, ids and counts only.
		got := map[string]string{}
		for _, ev := range e.audit.all() {
			if ev.Action != privacy.ActionRetentionDelete || ev.Actor.Type != audit.ActorSystem {
				t.Errorf("unexpected event %+v", ev)
			}
			got[ev.OrgID+"/"+ev.TargetID] = ev.Detail["count"]
		}
		want := map[string]string{orgA.ID + "/" + r30.ID: "5", orgB.ID + "/" + r7.ID: "1"}
		if len(got) != len(want) || got[orgA.ID+"/"+r30.ID] != "5" || got[orgB.ID+"/"+r7.ID] != "1" {
			t.Errorf("retention events %v, want %v", got, want)
		}

		// Rerun: nothing more to do.
		if n, err := e.svc.EnforceRetention(t.Context()); err != nil || n != 0 {
			t.Errorf("second run: %d, %v; want 0, nil", n, err)
		}
	})
}

// TestRetentionRunIsBounded: one run deletes at most MaxRetentionRun calls;
// the next goes on.
func TestRetentionRunIsBounded(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, st store.Store) {
		e := setup(t, st, 2)
		svc, err := privacy.New(privacy.Config{Store: st, Blobs: e.bucket, BatchSize: 2, MaxRetentionRun: 3})
		if err != nil {
			t.Fatal(err)
		}
		c := e.campaign(t, e.org(t).ID, 1)
		for range 5 {
			e.call(t, c, callSpec{age: 2 * day})
		}
		for i, want := range []int{3, 2, 0} {
			n, err := svc.EnforceRetention(t.Context())
			if err != nil || n != want {
				t.Errorf("run %d: %d, %v; want %d", i+1, n, err, want)
			}
		}
	})
}

// TestEraseCrashLeavesNothingForever: a call erased (row committed away)
// whose blob was not deleted yet — a crash — has its blob removed by the
// orphan cleaner.
func TestEraseCrashLeavesNothingForever(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, st store.Store) {
		e := setup(t, st, 0)
		c := e.call(t, e.campaign(t, e.org(t).ID, 0), callSpec{})
		if _, err := st.(store.Privacy).CallErase(t.Context(), c.OrgID, c.ID); err != nil {
			t.Fatal(err)
		}
		// "Crash": the blob is still there, the row is not.
		if _, err := e.bucket.Attributes(t.Context(), c.BlobKey); err != nil {
			t.Fatalf("blob gone before the cleaner ran: %v", err)
		}
		n, err := ingest.NewOrphanCleaner(st, e.bucket, time.Hour, nil).CleanOrphans(t.Context())
		if err != nil || n != 1 {
			t.Fatalf("CleanOrphans: %d, %v; want 1", n, err)
		}
		if e.exists(t, c) {
			t.Error("call still exists")
		}
		e.noIntakes(t)
	})
}

// TestErasureByEmailAndMetadata: every matching call of the organisation
// goes, row and blob, and nothing else; the receipt lists them; nothing
// kept names the e-mail or value.
func TestErasureByEmailAndMetadata(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, st store.Store) {
		e := setup(t, st, 2)
		orgA, orgB := e.org(t), e.org(t)
		a1, a2 := e.campaign(t, orgA.ID, 0), e.campaign(t, orgA.ID, 0)
		b1 := e.campaign(t, orgB.ID, 0)
		const email, phone = "Jeanne.Martin@example.com", "+33 6 12 34 56 78"
		phoneMeta := func(k, v string) []call.MetaPair {
			return []call.MetaPair{{Key: "queue", Value: "x"}, {Key: k, Value: v}}
		}

		byEmail := []call.Call{
			e.call(t, a1, callSpec{email: email}),
			e.call(t, a1, callSpec{email: strings.ToLower(email)}),
			e.call(t, a2, callSpec{email: strings.ToUpper(email)}),
		}
		byPhone := []call.Call{
			e.call(t, a1, callSpec{meta: phoneMeta("phone", phone)}),
			e.call(t, a2, callSpec{meta: phoneMeta("phone", phone), email: "other@example.com"}),
			e.call(t, a2, callSpec{meta: []call.MetaPair{{Key: "phone", Value: phone}}}),
		}
		others := []call.Call{
			e.call(t, a1, callSpec{email: "jeanne.martin@example.org"}),
			e.call(t, a1, callSpec{email: "xjeanne.martin@example.com"}),
			e.call(t, a1, callSpec{meta: phoneMeta("phone", phone+" ")}),
			e.call(t, a1, callSpec{meta: phoneMeta("caller", phone)}), // other key
			e.call(t, a1, callSpec{meta: phoneMeta("phone", "+33 6 12 34 56 79")}),
			e.call(t, a2, callSpec{}),
			e.call(t, b1, callSpec{email: email}), // organisation B
			e.call(t, b1, callSpec{meta: phoneMeta("phone", phone)}),
		}
		for i := range 3 { // more than a batch
			byEmail = append(byEmail, e.call(t, a2, callSpec{email: email, meta: phoneMeta("n", string(rune('a'+i)))}))
		}

		run := func(r privacy.ErasureRequest, want []call.Call) {
			t.Helper()
			r.OrgID, r.Actor = orgA.ID, audit.Actor{Type: audit.ActorAPIKey, ID: "k1"}
			er, err := e.svc.RequestErasure(t.Context(), r)
			if err != nil {
				t.Fatal(err)
			}
			if er.Status != store.ErasurePending || er.Receipt != nil {
				t.Errorf("new erasure %+v", er)
			}
			if err := e.svc.RunErasure(t.Context(), er.ID); err != nil {
				t.Fatal(err)
			}
			if err := e.svc.RunErasure(t.Context(), er.ID); err != nil { // a repeated job is harmless
				t.Fatal(err)
			}
			got, err := e.svc.GetErasure(t.Context(), orgA.ID, er.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != store.ErasureDone || got.Receipt == nil || got.Receipt.ErasedCount != len(want) {
				t.Fatalf("erasure %+v, want done with %d calls", got, len(want))
			}
			var ids, wantIDs []string
			for _, c := range got.Receipt.Calls {
				ids = append(ids, c.ID)
			}
			for _, c := range want {
				wantIDs = append(wantIDs, c.ID)
				i := slices.IndexFunc(got.Receipt.Calls, func(x privacy.ErasedCall) bool { return x.ID == c.ID })
				if i >= 0 && (got.Receipt.Calls[i].SHA256 != c.SHA256 || got.Receipt.Calls[i].CampaignID != c.CampaignID) {
					t.Errorf("receipt entry %+v, call %+v", got.Receipt.Calls[i], c)
				}
			}
			slices.Sort(ids)
			slices.Sort(wantIDs)
			if !slices.Equal(ids, wantIDs) {
				t.Errorf("receipt lists %v, want %v", ids, wantIDs)
			}
			for _, c := range want {
				if e.exists(t, c) {
					t.Errorf("matching call %s still exists", c.ID)
				}
			}
			raw, err := st.(store.Privacy).ErasureGet(t.Context(), orgA.ID, er.ID)
			if err != nil {
				t.Fatal(err)
			}
			if raw.Criterion != "" {
				t.Errorf("criterion kept after the erasure: %q", raw.Criterion)
			}
		}
		run(privacy.ErasureRequest{AgentEmail: "  " + strings.ToUpper(email[:5]) + email[5:] + " "}, byEmail)
		run(privacy.ErasureRequest{Metadata: &call.MetaPair{Key: "phone", Value: phone}}, byPhone)
		for _, c := range others {
			if !e.exists(t, c) {
				t.Errorf("call %s (email %q, metadata %v) erased but did not match", c.ID, c.AgentEmail, c.Metadata)
			}
		}
		e.noIntakes(t)

		// The hash lets the holder of the value find the receipt.
		list, err := e.svc.ListErasures(t.Context(), orgA.ID, 0)
		if err != nil || len(list) != 2 {
			t.Fatalf("ListErasures: %d, %v", len(list), err)
		}
		if list[1].CriterionSHA256 != privacy.CriterionSHA256(store.ErasureByAgentEmail, email) ||
			list[0].CriterionSHA256 != privacy.CriterionSHA256(store.ErasureByMetadata, phone) {
			t.Errorf("criterion hashes %s, %s", list[1].CriterionSHA256, list[0].CriterionSHA256)
		}
		if l, _ := e.svc.ListErasures(t.Context(), orgB.ID, 0); len(l) != 0 {
			t.Errorf("organisation B sees %d erasures of A", len(l))
		}

		// The audit: request and done for each, ids and counts, never the value.
		var actions []string
		for _, ev := range e.audit.all() {
			actions = append(actions, ev.Action)
			b, _ := json.Marshal(ev)
			for _, secret := range []string{email, strings.ToLower(email), phone} {
				if strings.Contains(string(b), secret) {
					t.Errorf("audit event holds %q: %s", secret, b)
				}
			}
		}
		wantActions := []string{privacy.ActionErasureRequest, privacy.ActionErasureDone, privacy.ActionErasureRequest, privacy.ActionErasureDone}
		if !slices.Equal(actions, wantActions) {
			t.Errorf("audit actions %v, want %v", actions, wantActions)
		}
	})
}

// TestErasureOfOneCall and its isolation: another organisation's call is
// not found; a campaign restriction is honoured.
func TestErasureOfOneCall(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, st store.Store) {
		e := setup(t, st, 0)
		orgA, orgB := e.org(t), e.org(t)
		a1, a2 := e.campaign(t, orgA.ID, 0), e.campaign(t, orgA.ID, 0)
		c := e.call(t, a1, callSpec{})
		for _, r := range []privacy.ErasureRequest{
			{OrgID: orgB.ID, CallID: c.ID},
			{OrgID: orgA.ID, CallID: c.ID, CampaignID: a2.ID},
			{OrgID: orgA.ID, CallID: "nope"},
		} {
			if _, err := e.svc.RequestErasure(t.Context(), r); call.ErrorCode(err) != call.CodeNotFound {
				t.Errorf("RequestErasure(%+v): %v, want not found", r, err)
			}
		}
		for _, r := range []privacy.ErasureRequest{
			{OrgID: orgA.ID},
			{OrgID: orgA.ID, CallID: c.ID, AgentEmail: "a@example.com"},
			{OrgID: orgA.ID, AgentEmail: "not an e-mail"},
			{OrgID: orgA.ID, Metadata: &call.MetaPair{Key: "bad key", Value: "v"}},
			{OrgID: orgA.ID, Metadata: &call.MetaPair{Key: "phone"}},
		} {
			if _, err := e.svc.RequestErasure(t.Context(), r); call.ErrorCode(err) != call.CodeInvalid {
				t.Errorf("RequestErasure(%+v): %v, want invalid", r, err)
			}
		}
		er, err := e.svc.RequestErasure(t.Context(), privacy.ErasureRequest{OrgID: orgA.ID, CallID: c.ID, CampaignID: a1.ID})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.RunErasure(t.Context(), er.ID); err != nil {
			t.Fatal(err)
		}
		if e.exists(t, c) {
			t.Error("call still exists")
		}
		if _, err := e.svc.GetErasure(t.Context(), orgB.ID, er.ID); call.ErrorCode(err) != call.CodeNotFound {
			t.Errorf("B reads A's erasure: %v", err)
		}
		if err := e.svc.FailErasure(t.Context(), er.ID, nil); err != nil { // after done: nothing
			t.Fatal(err)
		}
		got, err := e.svc.GetErasure(t.Context(), orgA.ID, er.ID)
		if err != nil || got.Status != store.ErasureDone || got.Receipt.ErasedCount != 1 || got.Receipt.Calls[0].ID != c.ID {
			t.Errorf("erasure %+v, %v; want done with the call", got, err)
		}
	})
}

// TestDeleteCall: one call at once, row and blob, only the organisation's.
func TestDeleteCall(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, st store.Store) {
		e := setup(t, st, 0)
		orgA, orgB := e.org(t), e.org(t)
		c := e.call(t, e.campaign(t, orgA.ID, 0), callSpec{})
		keep := e.call(t, e.campaign(t, orgA.ID, 0), callSpec{})
		if err := e.svc.DeleteCall(t.Context(), orgB.ID, c.ID); call.ErrorCode(err) != call.CodeNotFound {
			t.Errorf("B deletes A's call: %v", err)
		}
		if err := e.svc.DeleteCall(t.Context(), orgA.ID, c.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DeleteCall(t.Context(), orgA.ID, c.ID); call.ErrorCode(err) != call.CodeNotFound {
			t.Errorf("second delete: %v", err)
		}
		if e.exists(t, c) || !e.exists(t, keep) {
			t.Error("wrong calls deleted")
		}
		e.noIntakes(t)
	})
}
