package sftpd_test

import (
	"bytes"
	"os"
	"path"
	"testing"
	"time"

	"github.com/pkg/sftp"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/store"
)

// TestAuditLogins requires an sftp.login record for a login, a refused
// password and an unknown user, and the account as the actor of its imports.
func TestAuditLogins(t *testing.T) {
	t.Parallel()
	h := setup(t, true)
	ctx := t.Context()
	acc, err := h.env.Store.(store.SFTPAccounts).SFTPAccountGetByUsername(ctx, h.user)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := h.dial(t, h.user, "wrong password"); err == nil {
		_ = c.Close()
		t.Fatal("wrong password accepted")
	}
	if c, err := h.dial(t, "nobody", "whatever password"); err == nil {
		_ = c.Close()
		t.Fatal("unknown user accepted")
	}
	c, err := h.dial(t, h.user, h.password)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := sftp.NewClient(c)
	if err != nil {
		t.Fatal(err)
	}
	wav, err := os.ReadFile(fixtures + "/wav/pcm_s16le_8k_mono.wav")
	if err != nil {
		t.Fatal(err)
	}
	f, err := sc.Create(path.Join("/", h.env.A.CampaignID, "audited.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadFrom(bytes.NewReader(wav)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	_ = sc.Close()
	_ = c.Close()

	as := h.env.Store.(store.Audit)
	find := func(org, action, outcome string) []store.AuditRecord {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			if err := h.env.Server.Audit.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			recs, _, err := as.AuditList(ctx, store.AuditListParams{OrgID: org, Action: action, Outcome: outcome})
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) > 0 || time.Now().After(deadline) {
				return recs
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, tc := range []struct {
		name, org, outcome, actorType, actor string
	}{
		{"login", h.env.A.OrgID, audit.OutcomeSuccess, audit.ActorSFTPAccount, acc.ID},
		{"wrong password", h.env.A.OrgID, audit.OutcomeFailure, audit.ActorSFTPAccount, acc.ID},
		{"unknown user", "", audit.OutcomeFailure, audit.ActorAnonymous, ""},
	} {
		recs := find(tc.org, "sftp.login", tc.outcome)
		if len(recs) != 1 || recs[0].ActorType != tc.actorType || recs[0].ActorID != tc.actor ||
			recs[0].SourceIP != "127.0.0.1" || recs[0].Client != "SSH-2.0-Go" {
			t.Errorf("%s: records %+v", tc.name, recs)
		}
	}
	imports := find(h.env.A.OrgID, "call.import", "")
	if len(imports) != 1 || imports[0].ActorType != audit.ActorSFTPAccount || imports[0].ActorID != acc.ID ||
		imports[0].Detail["source"] != "sftp" || imports[0].SourceIP != "127.0.0.1" {
		t.Errorf("import records %+v", imports)
	}
}
