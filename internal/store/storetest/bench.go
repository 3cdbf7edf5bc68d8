package storetest

import (
	"testing"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// BenchmarkCallCreate measures CallCreate, one call per transaction as
// ingest commits them, and reports rows/s.
func BenchmarkCallCreate(b *testing.B, s store.Store) {
	ctx := b.Context()
	org, err := s.OrgCreate(ctx, store.OrgCreateParams{Name: "bench " + randHex(4)})
	if err != nil {
		b.Fatal(err)
	}
	camp, err := s.CampaignCreate(ctx, store.CampaignCreateParams{OrgID: org.ID, Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	f := fixture{org: org, campaign: camp}
	meta := []call.MetaPair{{Key: "queue", Value: "support"}, {Key: "direction", Value: "inbound"}}
	b.ResetTimer()
	for b.Loop() {
		p := f.callParams()
		p.Metadata = meta
		if _, err := s.CallCreate(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCallList seeds n calls in one campaign and measures reading a
// page of 50: the first, one after n/2 calls, and first pages filtered by
// an agent (1 call in 100), a common source (1 in 10) and a rare source (the
// 5 oldest calls: the worst case, a walk through the whole campaign).
func BenchmarkCallList(b *testing.B, s store.Store, n int) {
	ctx := b.Context()
	org, err := s.OrgCreate(ctx, store.OrgCreateParams{Name: "bench " + randHex(4)})
	if err != nil {
		b.Fatal(err)
	}
	camp, err := s.CampaignCreate(ctx, store.CampaignCreateParams{OrgID: org.ID, Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	f := fixture{org: org, campaign: camp}
	meta := []call.MetaPair{{Key: "queue", Value: "support"}}
	const batch = 1000
	for i := 0; i < n; i += batch {
		err := s.InTx(ctx, func(tx store.Tx) error {
			for j := i; j < min(i+batch, n); j++ {
				p := f.callParams()
				p.Metadata = meta
				switch {
				case j < 5:
					p.Source = call.SourceGenesys
				case j%10 == 0:
					p.Source = call.SourceWeb
				}
				if j%100 == 0 {
					p.AgentEmail = "agent@example.com"
				}
				if _, err := tx.CallCreate(ctx, p); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	base := store.CallListParams{OrgID: org.ID, CampaignID: camp.ID, Limit: 50}
	deep := base
	for range n / 2 / store.MaxCallListLimit {
		p := deep
		p.Limit = store.MaxCallListLimit
		if _, deep.Cursor, err = s.CallList(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	agent, web, rare := base, base, base
	agent.AgentEmail = "agent@example.com"
	web.Source = call.SourceWeb
	rare.Source = call.SourceGenesys
	for _, bc := range []struct {
		name string
		p    store.CallListParams
		want int
	}{{"first", base, 50}, {"deep", deep, 50}, {"agent", agent, 50}, {"source", web, 50}, {"rare_source", rare, 5}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				calls, _, err := s.CallList(ctx, bc.p)
				if err != nil {
					b.Fatal(err)
				}
				if len(calls) != min(bc.want, n) {
					b.Fatalf("%d calls, want %d", len(calls), bc.want)
				}
			}
		})
	}
}
