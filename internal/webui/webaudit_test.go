package webui_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/store"
)

// TestWebActionsAudited: every page read of calls or audio and every
// settings change made on the pages leaves an event in the trail (store
// AuditList) with the user as actor and the right target, and no event
// holds an e-mail address or a secret.
func TestWebActionsAudited(t *testing.T) {
	t.Parallel()
	e := setupAdmin(t)
	a := e.signedIn(t, e.AdminA)
	admin, err := e.Store.UserGetByEmail(t.Context(), e.AdminA)
	if err != nil {
		t.Fatal(err)
	}
	member, err := e.Store.UserGetByEmail(t.Context(), e.EmailA)
	if err != nil {
		t.Fatal(err)
	}
	callID := e.importCall(t, a, "audited.wav", "agent.audit@a.example.com")
	camp := "/campaigns/" + e.A.CampaignID
	var secrets []string
	newest := func(list func() []string) string { l := list(); return l[len(l)-1] }
	keyIDs := func() []string {
		ks, _ := e.Store.APIKeyList(t.Context(), e.A.OrgID)
		var out []string
		for _, k := range ks {
			out = append(out, k.ID)
		}
		return out
	}
	clientIDs := func() []string {
		cs, _ := e.Store.OAuthClientList(t.Context(), e.A.OrgID)
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	secretOf := func(r result) {
		if m := strings.SplitN(r.Body, `id="new-secret" readonly value="`, 2); len(m) == 2 {
			secrets = append(secrets, strings.SplitN(m[1], `"`, 2)[0])
		}
	}
	clk := &clock{t: time.Now()}
	var recovery []string
	for _, tc := range []struct {
		action, targetType string
		do                 func() string // returns the target id
	}{
		{"web.calls.list", "campaign", func() string { e.do(t, a, http.MethodGet, camp, "", ""); return e.A.CampaignID }},
		{"web.call.audio", "call", func() string { e.do(t, a, http.MethodGet, camp+"/calls/"+callID+"/audio", "", ""); return callID }},
		{"web.api_key.create", "api_key", func() string {
			secretOf(e.form(t, a, "/settings/keys", url.Values{"name": {"k"}, "scope": {"calls:read"}}))
			return newest(keyIDs)
		}},
		{"web.api_key.revoke", "api_key", func() string {
			id := newest(keyIDs)
			e.form(t, a, "/settings/keys/"+id+"/revoke", nil)
			return id
		}},
		{"web.oauth_client.create", "oauth_client", func() string {
			secretOf(e.form(t, a, "/settings/clients", url.Values{"name": {"c"}, "scope": {"calls:read"}}))
			return newest(clientIDs)
		}},
		{"web.oauth_client.revoke", "oauth_client", func() string {
			id := newest(clientIDs)
			e.form(t, a, "/settings/clients/"+id+"/revoke", nil)
			return id
		}},
		{"web.user.invite", "user", func() string {
			e.form(t, a, "/settings/users", url.Values{"email": {"new.user@a.example.com"}, "role": {"member"}})
			u, _ := e.Store.UserGetByEmail(t.Context(), "new.user@a.example.com")
			return u.ID
		}},
		{"web.user.role", "user", func() string {
			e.form(t, a, "/settings/users/"+member.ID, url.Values{"role": {"admin"}})
			return member.ID
		}},
		{"web.user.disable", "user", func() string {
			e.form(t, a, "/settings/users/"+member.ID, url.Values{"disabled": {"true"}})
			return member.ID
		}},
		{"web.campaign.update", "campaign", func() string {
			e.form(t, a, camp+"/settings", url.Values{"name": {"Audited"}, "retention_days": {"7"}})
			return e.A.CampaignID
		}},
		{"web.sftp_account.create", "sftp_account", func() string {
			e.form(t, a, camp+"/settings/sftp/accounts", url.Values{"username": {"audited"}, "password": {"a long enough password"}})
			acct, _ := e.Store.(store.SFTPAccounts).SFTPAccountGetByUsername(t.Context(), "audited")
			return acct.ID
		}},
		{"web.totp.enrol", "user", func() string { _, recovery = e.enrol(t, a, clk); return admin.ID }},
		{"web.totp.org_require", "org", func() string {
			e.form(t, a, "/settings/security", url.Values{"require": {"on"}})
			return e.A.OrgID
		}},
		{"web.totp.reset", "user", func() string {
			ts := e.Store.(store.TOTP)
			if err := ts.TOTPBegin(t.Context(), e.A.OrgID, member.ID, "sealed"); err != nil {
				t.Fatal(err)
			}
			if err := ts.TOTPConfirm(t.Context(), e.A.OrgID, member.ID, 1, nil); err != nil {
				t.Fatal(err)
			}
			e.form(t, a, "/settings/users/"+member.ID, url.Values{"reset_two_step": {"true"}})
			if st, err := ts.TwoFactorStatus(t.Context(), e.A.OrgID, member.ID); err != nil || st.Enrolled {
				t.Errorf("after the reset: %+v %v", st, err)
			}
			return member.ID
		}},
		{"web.totp.disable", "user", func() string {
			e.form(t, a, "/settings/security", url.Values{})
			e.form(t, a, "/account/security/disable", url.Values{"code": {recovery[0]}})
			return admin.ID
		}},
	} {
		target := tc.do()
		e.flush(t)
		recs, _, err := e.Store.(store.Audit).AuditList(t.Context(), store.AuditListParams{OrgID: e.A.OrgID,
			Action: tc.action, TargetID: target})
		if err != nil || len(recs) == 0 {
			t.Errorf("%s: no event for target %q (%v)", tc.action, target, err)
			continue
		}
		r := recs[0]
		if r.ActorType != audit.ActorUser || r.ActorID != admin.ID || r.TargetType != tc.targetType || r.Outcome != audit.OutcomeSuccess {
			t.Errorf("%s: event %+v", tc.action, r)
		}
	}
	// No web event holds an e-mail or a secret.
	recs, _, err := e.Store.(store.Audit).AuditList(t.Context(), store.AuditListParams{OrgID: e.A.OrgID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		b, _ := json.Marshal(r)
		if strings.Contains(string(b), "@") {
			t.Errorf("event holds an e-mail: %s", b)
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(string(b), s) {
				t.Errorf("event holds a secret: %s", b)
			}
		}
	}
	if len(secrets) != 2 {
		t.Errorf("%d secrets seen, want 2", len(secrets))
	}
}
