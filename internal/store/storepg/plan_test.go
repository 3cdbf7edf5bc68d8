package storepg_test

import (
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/store/storepg"
	"github.com/callimport/callimport/internal/store/storesql"
)

// TestCallListPlan checks that every CallList filter can be answered from
// an index in id order: with sequential scans and sorts priced out, the
// plan has neither.
func TestCallListPlan(t *testing.T) {
	t.Parallel()
	db := storepg.OpenTest(t)
	for _, p := range planCases() {
		query, args, err := db.CallListQuery(p)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		err = db.InTx(t.Context(), func(tx store.Tx) error {
			if _, err := tx.SQLTx().ExecContext(t.Context(), "SET LOCAL enable_seqscan = off"); err != nil {
				return err
			}
			if _, err := tx.SQLTx().ExecContext(t.Context(), "SET LOCAL enable_sort = off"); err != nil {
				return err
			}
			rows, err := tx.SQLTx().QueryContext(t.Context(), "EXPLAIN "+query, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					return err
				}
				plan = append(plan, strings.TrimSpace(line))
			}
			return rows.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(plan, "; ")
		t.Logf("%+v: %s", p, text)
		if strings.Contains(text, "Sort") || strings.Contains(text, "Seq Scan") {
			t.Errorf("CallList %+v: plan %q sorts or scans the table", p, text)
		}
	}
}

func planCases() []store.CallListParams {
	now := time.Now()
	cursor := storesql.EncodeCursor(call.NewID())
	org, camp := "org", "camp"
	return []store.CallListParams{
		{OrgID: org},
		{OrgID: org, Cursor: cursor},
		{OrgID: org, CampaignID: camp},
		{OrgID: org, CampaignID: camp, Cursor: cursor},
		{OrgID: org, Status: call.StatusRejected},
		{OrgID: org, CampaignID: camp, Status: call.StatusImported, Cursor: cursor},
		{OrgID: org, Source: call.SourceSFTP},
		{OrgID: org, AgentEmail: "a@example.com"},
		{OrgID: org, CampaignID: camp, AgentEmail: "a@example.com"},
		{OrgID: org, ExternalID: "x"},
		{OrgID: org, CampaignID: camp, ExternalID: "x"},
		{OrgID: org, CreatedAfter: &now},
		{OrgID: org, CampaignID: camp, CreatedAfter: &now, CreatedBefore: &now},
	}
}
