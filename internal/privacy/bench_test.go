package privacy_test

import (
	"fmt"
	"testing"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/store/storepg"
	"github.com/callimport/callimport/internal/store/storesqlite"
)

// BenchmarkErasureLookup measures how erasure finds its calls in an
// organisation of 20,000 calls with 3 metadata pairs each: by agent e-mail
// (an index on lower(agent_email)) and by metadata value (a scan of the
// organisation's calls, reading their JSON). It reports the metadata
// lookup's time as a multiple of the e-mail lookup's ("x_email").
//
//	go test -run '^$' -bench ErasureLookup ./internal/privacy/
func BenchmarkErasureLookup(b *testing.B) {
	for _, be := range []struct {
		name string
		open func(testing.TB) store.Store
	}{
		{"sqlite", func(t testing.TB) store.Store { return storesqlite.OpenTest(t) }},
		{"postgres", func(t testing.TB) store.Store { return storepg.OpenTest(t) }},
	} {
		b.Run(be.name, func(b *testing.B) {
			st := be.open(b)
			const n = 20000
			org, err := st.OrgCreate(b.Context(), store.OrgCreateParams{Name: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			camp, err := st.CampaignCreate(b.Context(), store.CampaignCreateParams{OrgID: org.ID, Name: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < n; i += 1000 {
				err := st.InTx(b.Context(), func(tx store.Tx) error {
					for j := i; j < i+1000; j++ {
						id := call.NewID()
						if _, err := tx.CallCreate(b.Context(), store.CallCreateParams{ID: id, OrgID: org.ID, CampaignID: camp.ID,
							Source: call.SourceAPI, SHA256: fmt.Sprintf("%064d", j), BlobKey: "calls/x/" + id,
							AgentEmail: fmt.Sprintf("agent%d@example.com", j%500),
							Metadata: []call.MetaPair{{Key: "queue", Value: "support"}, {Key: "phone", Value: fmt.Sprintf("+3361%07d", j)},
								{Key: "direction", Value: "inbound"}}}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			p := st.(store.Privacy)
			var email, meta float64
			b.Run("agent_email", func(b *testing.B) {
				for b.Loop() {
					cs, err := p.CallListByAgentEmail(b.Context(), org.ID, "", "AGENT7@example.com", 100)
					if err != nil || len(cs) != n/500 {
						b.Fatalf("%d calls, %v", len(cs), err)
					}
				}
				email = float64(b.Elapsed()) / float64(b.N)
			})
			b.Run("metadata", func(b *testing.B) {
				for b.Loop() {
					cs, err := p.CallListByMetadata(b.Context(), org.ID, "", "phone", "+33610012345", "", 100)
					if err != nil || len(cs) != 1 {
						b.Fatalf("%d calls, %v", len(cs), err)
					}
				}
				meta = float64(b.Elapsed()) / float64(b.N)
				if email > 0 {
					b.ReportMetric(meta/email, "x_email")
				}
			})
		})
	}
}
