package app

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/store/storepg"
)

// TestAuditCLI runs `audit verify` and `audit export` on a trail, then on
// the same trail edited straight in the database, on both stores.
func TestAuditCLI(t *testing.T) {
	t.Parallel()
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			t.Parallel()
			testAuditCLI(t, pg)
		})
	}
}

func testAuditCLI(t *testing.T, pg bool) {
	ctx := t.Context()
	args := []string{"--data-dir", t.TempDir()}
	if pg {
		args = append(args, "--database", storepg.TestURL(t))
	}
	cfg := config.Storage{DataDir: args[1]}
	if pg {
		cfg.Database = args[3]
	}
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	org, err := st.OrgCreate(ctx, store.OrgCreateParams{Name: "Acme Audit"})
	if err != nil {
		t.Fatal(err)
	}
	tr := audit.NewTrail(ctx, audit.Config{Store: st.(store.Audit)})
	for i := range 4 {
		e := audit.Event{OrgID: org.ID, Actor: audit.Actor{Type: audit.ActorAPIKey, ID: "k"}, Action: "getCall",
			TargetType: "call", TargetID: fmt.Sprint("c", i), Outcome: audit.OutcomeSuccess}
		if err := tr.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.Record(ctx, audit.Event{Actor: audit.Actor{Type: audit.ActorAnonymous}, Action: "web.signin",
		Outcome: audit.OutcomeFailure}); err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(ctx); err != nil {
		t.Fatal(err)
	}
	run := func(extra ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(ctx, append(append([]string{"audit"}, extra...), args...), IO{Stdout: &out, Stderr: &errOut,
			Getenv: func(string) string { return "" }})
		return code, out.String(), errOut.String()
	}

	code, out, errOut := run("verify")
	if code != 0 || !strings.Contains(out, "ok") || !strings.Contains(out, "Acme Audit") || !strings.Contains(out, "4 records") ||
		!strings.Contains(out, "(unknown organisations)") {
		t.Fatalf("verify: %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run("export", "--org", "Acme Audit")
	var lines []audit.Entry
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var e audit.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("export line %q: %v", sc.Text(), err)
		}
		lines = append(lines, e)
	}
	if code != 0 || len(lines) != 4 || lines[0].Seq != 1 || lines[3].TargetID != "c3" || lines[1].PrevHash != lines[0].Hash {
		t.Fatalf("export: %d %+v", code, lines)
	}
	if code, out, _ = run("export", "--org", "-"); code != 0 || strings.Count(out, "\n") != 1 || !strings.Contains(out, `"web.signin"`) {
		t.Fatalf("export of unknown organisations: %d %s", code, out)
	}
	if code, _, errOut = run("export"); code != 2 || !strings.Contains(errOut, "--org") {
		t.Fatalf("export without --org: %d %s", code, errOut)
	}

	if _, err := st.DB().ExecContext(ctx, fmt.Sprintf(`UPDATE audit_events SET target_id = 'c9' WHERE org_id = '%s' AND seq = 2`, org.ID)); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run("verify")
	if code != 1 || !strings.Contains(out, "BROKEN") || !strings.Contains(out, "record 2: edited") ||
		!strings.Contains(errOut, "audit chain broken: 1 of 2 chains") {
		t.Fatalf("verify after an edit: %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run("verify", "--org", org.ID, "--json")
	var vs []verifyOut
	if err := json.Unmarshal([]byte(out), &vs); err != nil || code != 1 || len(vs) != 1 || vs[0].OK ||
		vs[0].OrgName != "Acme Audit" || vs[0].Break.Seq != 2 || vs[0].Break.Reason != audit.BreakEdited {
		t.Fatalf("verify --json: %d %v %s", code, err, out)
	}
	if code, _, _ = run("verify", "--org", "-"); code != 0 {
		t.Fatalf("verify of the intact chain of unknown organisations: %d", code)
	}
	if code, _, errOut = run("verify", "--org", "nobody"); code != 2 {
		t.Fatalf("verify of an unknown organisation: %d %s", code, errOut)
	}

	// Admin commands that change something are recorded, as the system.
	var out2, errOut2 bytes.Buffer
	if code := Main(ctx, append([]string{"admin", "campaign", "create", "--org", "Acme Audit", "--name", "Recorded", "--json"}, args...),
		IO{Stdout: &out2, Stderr: &errOut2, Getenv: func(string) string { return "" }}); code != 0 {
		t.Fatalf("admin campaign create: %d %s", code, errOut2.String())
	}
	var camp struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(out2.Bytes(), &camp); err != nil {
		t.Fatal(err)
	}
	recs, _, err := st.(store.Audit).AuditList(ctx, store.AuditListParams{OrgID: org.ID, Action: "admin.campaign.create"})
	if err != nil || len(recs) != 1 || recs[0].TargetID != camp.ID || recs[0].TargetType != "campaign" ||
		recs[0].ActorType != audit.ActorSystem || recs[0].Seq != 5 {
		t.Errorf("admin records %+v, %v", recs, err)
	}
}
