package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/store"
)

const auditUsage = `Usage: callimport audit <verb> [flags]

  verify [--org ORG] [--json]                   check the audit chains (every one without --org)
  export --org ORG [--since T] [--until T]      write an organisation's audit events as JSON lines

ORG is an organisation id or name, or "-" for the chain of sign-in failures
of no known organisation. T is Unix seconds or an RFC 3339 time. verify
exits with status 1 when a chain is broken, naming the organisation, the
first bad record and why (edited, missing or reordered). Storage flags
(--data-dir, --database, --blob-url) are those of serve; the commands work
while serve runs.
`

// unknownOrg is the --org value of the chain of unknown organisations.
const unknownOrg = "-"

// errChainBroken is returned by `audit verify` when a chain is broken.
var errChainBroken = errors.New("audit chain broken")

// runAudit runs `callimport audit ...`.
func runAudit(ctx context.Context, args []string, io IO) error {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "export") {
		fmt.Fprint(io.Stderr, auditUsage)
		return fmt.Errorf("%w: audit needs a verb (verify or export)", ErrUsage)
	}
	verb := args[0]
	fs := flag.NewFlagSet("audit "+verb, flag.ContinueOnError)
	fs.SetOutput(io.Stderr)
	var storage config.Storage
	f := &config.Flags{FS: fs, Getenv: io.Getenv}
	config.BindStorage(f, &storage)
	org := fs.String("org", "", `organisation id or name ("-": unknown organisations)`)
	asJSON := fs.Bool("json", false, "print JSON (verify)")
	since := fs.String("since", "", "only events at or after this time (export)")
	until := fs.String("until", "", "only events before this time (export)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageErr(err)
	}
	if err := f.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if err := storage.Resolve(); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	var p store.AuditListParams
	for _, tf := range []struct {
		name, v string
		dst     **time.Time
	}{{"since", *since, &p.Since}, {"until", *until, &p.Until}} {
		if tf.v != "" {
			t, reason := call.ParseTimestamp(tf.v, time.Now().Add(100*365*24*time.Hour))
			if reason != "" {
				return fmt.Errorf("%w: --%s %s", ErrUsage, tf.name, reason)
			}
			*tf.dst = &t
		}
	}
	if verb == "export" && *org == "" {
		return fmt.Errorf("%w: --org is required", ErrUsage)
	}
	st, err := openStore(ctx, storage)
	if err != nil {
		return err
	}
	defer st.Close()
	as, ok := st.(store.Audit)
	if !ok {
		return fmt.Errorf("audit: store %T has no audit trail", st)
	}
	var orgID *string
	if *org != "" {
		id := ""
		if *org != unknownOrg {
			o, err := findOrg(ctx, st, *org)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrUsage, err)
			}
			id = o.ID
		}
		orgID = &id
	}
	if verb == "export" {
		p.OrgID = *orgID
		return auditExport(ctx, as, p, io.Stdout)
	}
	return auditVerify(ctx, st, as, orgID, *asJSON, io.Stdout)
}

// verifyOut is one chain's verification as `audit verify --json` prints it.
type verifyOut struct {
	audit.Verification
	OrgName string `json:"org_name"`
	OK      bool   `json:"ok"`
}

// auditVerify verifies orgID's chain, or every chain when orgID is nil,
// and prints one line (or JSON object) per chain.
func auditVerify(ctx context.Context, st store.Store, as store.Audit, orgID *string, asJSON bool, w io.Writer) error {
	var vs []audit.Verification
	if orgID != nil {
		v, err := audit.Verify(ctx, as, *orgID)
		if err != nil {
			return err
		}
		vs = append(vs, v)
	} else {
		var err error
		if vs, err = audit.VerifyAll(ctx, as); err != nil {
			return err
		}
	}
	out := make([]verifyOut, 0, len(vs))
	broken := 0
	for _, v := range vs {
		name := "(unknown organisations)"
		if v.OrgID != "" {
			name = "(deleted organisation)"
			if o, err := st.OrgGet(ctx, v.OrgID); err == nil {
				name = o.Name
			}
		}
		out = append(out, verifyOut{Verification: v, OrgName: name, OK: v.OK()})
		if !v.OK() {
			broken++
		}
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return fmt.Errorf("print: %w", err)
		}
	} else {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		if len(out) == 0 {
			fmt.Fprintln(tw, "no audit records")
		}
		for _, v := range out {
			if v.OK {
				fmt.Fprintf(tw, "ok\t%s\t%s\t%d records\thead %s\n", v.OrgName, v.OrgID, v.Records, v.HeadHash)
			} else {
				fmt.Fprintf(tw, "BROKEN\t%s\t%s\trecord %d: %s: %s\n", v.OrgName, v.OrgID, v.Break.Seq, v.Break.Reason, v.Break.Detail)
			}
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("print: %w", err)
		}
	}
	if broken > 0 {
		return fmt.Errorf("%w: %d of %d chains", errChainBroken, broken, len(out))
	}
	return nil
}

// auditExport writes every event matching p, oldest first, one JSON
// object a line.
func auditExport(ctx context.Context, as store.Audit, p store.AuditListParams, w io.Writer) error {
	p.Ascending, p.Limit = true, store.MaxAuditListLimit
	enc := json.NewEncoder(w)
	for {
		recs, next, err := as.AuditList(ctx, p)
		if err != nil {
			return fmt.Errorf("export audit events: %w", err)
		}
		for _, r := range recs {
			if err := enc.Encode(audit.EntryOf(r)); err != nil {
				return fmt.Errorf("export audit events: %w", err)
			}
		}
		if next == "" {
			return nil
		}
		p.Cursor = next
	}
}

// adminTargets names the audit target type of each admin object.
var adminTargets = map[string]string{"org": "org", "user": "user", "campaign": "campaign", "apikey": "api_key",
	"oauth-client": "oauth_client", "sftp-user": "sftp_account"}

// recordAdmin records a successful admin command that changed something
// (create) in the trail of the organisation it changed, with the system
// (an operator at the console) as its actor; listings and failures
// changed nothing and are not recorded. The change is already made (a
// secret may only be printed now), so a failure to record is reported on
// stderr rather than failing the command.
func recordAdmin(ctx context.Context, st store.Store, obj, verb string, out any, cmdErr error, stderr io.Writer) {
	as, ok := st.(store.Audit)
	if cmdErr != nil || verb != "create" || !ok {
		return
	}
	var ids struct {
		ID    string `json:"id"`
		OrgID string `json:"org_id"`
	}
	if b, err := json.Marshal(out); err == nil {
		_ = json.Unmarshal(b, &ids)
	}
	org := ids.OrgID
	if obj == "org" {
		org = ids.ID
	}
	r := store.AuditRecord{OrgID: org, ActorType: audit.ActorSystem, Action: "admin." + obj + "." + verb,
		TargetType: adminTargets[obj], TargetID: ids.ID, Outcome: audit.OutcomeSuccess, Client: "callimport admin"}
	if _, err := as.AuditAppend(ctx, []store.AuditRecord{r}); err != nil {
		fmt.Fprintln(stderr, "callimport: warning: the change is made but not recorded in the audit trail:", err)
	}
}
