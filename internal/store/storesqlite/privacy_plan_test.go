package storesqlite

import (
	"strings"
	"testing"
	"time"
)

// TestPrivacyPlans checks that retention and erasure by agent e-mail walk an
// index without sorting (erasure by metadata scans the organisation's calls
// by design).
func TestPrivacyPlans(t *testing.T) {
	t.Parallel()
	db := OpenTest(t)
	pq := newPrivacyQueries()
	for _, tc := range []struct {
		name, query string
		args        []any
		index       string
	}{
		{"CallListCreatedBefore", pq.CallListCreatedBefore, []any{"o", "c", "01a2", time.Now().Format(time.RFC3339), 10}, "calls_org_campaign_id"},
		{"CallListByAgentEmail", pq.CallListByAgentEmail, []any{"o", "", "", "a@example.com", 10}, "calls_org_agent_lower"},
		{"CallListByAgentEmail in a campaign", pq.CallListByAgentEmail, []any{"o", "c", "c", "a@example.com", 10}, "calls_org_agent_lower"},
	} {
		plan := explain(t, db, tc.query, tc.args...)
		text := strings.Join(plan, "; ")
		if strings.Contains(text, "TEMP B-TREE") || !strings.Contains(text, "USING INDEX "+tc.index) &&
			!strings.Contains(text, "USING COVERING INDEX "+tc.index) {
			t.Errorf("%s: plan %q, want a search of %s without sorting", tc.name, text, tc.index)
		}
	}
}

// explain returns the query plan of query, one detail per step.
func explain(t *testing.T, db *DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.DB().QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
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
	return plan
}
