package storesqlite_test

import (
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/store/storesql"
	"github.com/callimport/callimport/internal/store/storesqlite"
)

// TestCallListPlan checks that every CallList filter is answered from an
// index in id order: no full scan and no sort, whatever the table's size.
func TestCallListPlan(t *testing.T) {
	t.Parallel()
	db := storesqlite.OpenTest(t)
	for _, p := range planCases() {
		query, args, err := db.CallListQuery(p)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.DB().QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		_ = rows.Close()
		text := strings.Join(plan, "; ")
		t.Logf("%+v: %s", p, text)
		if strings.Contains(text, "TEMP B-TREE") || !strings.Contains(text, "SEARCH calls USING") {
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
