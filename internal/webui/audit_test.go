package webui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/webui"
)

// recorder is a Recorder that keeps events in memory.
type recorder struct {
	mu     sync.Mutex
	events []audit.Event
}

func (r *recorder) Record(_ context.Context, e audit.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	return nil
}

func (r *recorder) take() []audit.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

// TestAuditSignIns requires an event for every sign-in, failed sign-in and
// sign-out, never with the e-mail, and the user as the actor of web imports.
func TestAuditSignIns(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	e := setup(t, func(c *webui.Config) { c.Audit = rec })
	u, err := e.Store.UserGetByEmail(t.Context(), e.EmailA)
	if err != nil {
		t.Fatal(err)
	}
	c := client(t)
	type want struct{ org, actorType, actor, action, outcome, reason string }
	for _, tc := range []struct {
		name string
		do   func()
		want want
	}{
		{"unknown e-mail", func() { e.login(t, c, "nobody@x.example", password) },
			want{"", audit.ActorAnonymous, "", "web.signin", audit.OutcomeFailure, "bad_login"}},
		{"bad password", func() { e.login(t, c, e.EmailA, "wrong password!") },
			want{e.A.OrgID, audit.ActorUser, u.ID, "web.signin", audit.OutcomeFailure, "bad_login"}},
		{"sign in", func() { e.login(t, c, e.EmailA, password) },
			want{e.A.OrgID, audit.ActorUser, u.ID, "web.signin", audit.OutcomeSuccess, ""}},
		{"sign out", func() { e.do(t, c, http.MethodPost, "/logout", "", "application/x-www-form-urlencoded") },
			want{e.A.OrgID, audit.ActorUser, u.ID, "web.signout", audit.OutcomeSuccess, ""}},
	} {
		tc.do()
		evs := rec.take()
		if len(evs) != 1 {
			t.Errorf("%s: %d events: %+v", tc.name, len(evs), evs)
			continue
		}
		ev := evs[0]
		got := want{ev.OrgID, ev.Actor.Type, ev.Actor.ID, ev.Action, ev.Outcome, ev.Detail["reason"]}
		if got != tc.want || ev.SourceIP != "127.0.0.1" || ev.Client == "" {
			t.Errorf("%s: event %+v, want %+v", tc.name, ev, tc.want)
		}
		if b, _ := json.Marshal(ev); strings.Contains(string(b), e.EmailA) || strings.Contains(string(b), "nobody@x.example") {
			t.Errorf("%s: the event holds an e-mail address: %s", tc.name, b)
		}
	}

	// A web import is recorded by ingest (in the server's trail) with the
	// signed-in user as its actor.
	if e.login(t, c, e.EmailA, password) != http.StatusSeeOther {
		t.Fatal("sign in failed")
	}
	wav, err := os.ReadFile("../audio/testdata/wav/pcm_s16le_8k_mono.wav")
	if err != nil {
		t.Fatal(err)
	}
	body, ct := multipartFile(t, "a.wav", wav)
	r := e.do(t, c, http.MethodPost, "/campaigns/"+e.A.CampaignID+"/import", body, ct)
	var o struct {
		CallID string `json:"call_id"`
	}
	if err := json.Unmarshal([]byte(r.Body), &o); err != nil || o.CallID == "" {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	if err := e.Server.Audit.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	recs, _, err := e.Store.(store.Audit).AuditList(t.Context(), store.AuditListParams{OrgID: e.A.OrgID,
		Action: "call.import", TargetID: o.CallID})
	if err != nil || len(recs) != 1 || recs[0].ActorType != audit.ActorUser || recs[0].ActorID != u.ID ||
		recs[0].Detail["source"] != "web" || recs[0].SourceIP != "127.0.0.1" {
		t.Errorf("import records %+v, %v", recs, err)
	}
}
