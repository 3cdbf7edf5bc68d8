package audit_test

import (
	"fmt"
	"testing"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/store/storesqlite"
)

// BenchmarkTrail records b.N events through a Trail on SQLite (the queue
// drained in batches) and waits for them to be written: ns/op is the cost
// of one event, end to end. Compare with BenchmarkAppendEach, one event per
// transaction, to see what batching buys:
//
//	go test -run '^$' -bench 'Trail|AppendEach' ./internal/audit/
func BenchmarkTrail(b *testing.B) {
	st := storesqlite.OpenTest(b)
	tr := audit.NewTrail(b.Context(), audit.Config{Store: st})
	e := event("org", "getCall", "call")
	e.Detail = map[string]string{"status": "200", "request_id": "0123456789abcdef"}
	b.ReportAllocs()
	for b.Loop() {
		if err := tr.Record(b.Context(), e); err != nil {
			b.Fatal(err)
		}
	}
	if err := tr.Close(b.Context()); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAppendEach appends b.N events one transaction each.
func BenchmarkAppendEach(b *testing.B) {
	st := storesqlite.OpenTest(b)
	i := 0
	for b.Loop() {
		i++
		r := store.AuditRecord{OrgID: "org", ActorType: "api_key", ActorID: "k1", Action: "getCall",
			TargetType: "call", TargetID: fmt.Sprint(i), Outcome: "success",
			Detail: map[string]string{"status": "200", "request_id": "0123456789abcdef"}}
		if _, err := st.AuditAppend(b.Context(), []store.AuditRecord{r}); err != nil {
			b.Fatal(err)
		}
	}
}
