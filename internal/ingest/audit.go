package ingest

import (
	"context"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/call"
)

// ActionImport is the audit action of a committed recording.
const ActionImport = "call.import"

// audit records the import of c (a new call, or the existing one of a
// duplicate) for the caller the channel put in ctx (audit.WithOrigin); a
// channel that names none (pulls, Genesys) imports as the system. It only
// queues the event: the intake does not wait for the trail.
func (s *Service) audit(ctx context.Context, c call.Call, source call.Source, duplicate bool) {
	if s.cfg.Audit == nil {
		return
	}
	e := audit.Event{OrgID: c.OrgID, Actor: audit.Actor{Type: audit.ActorSystem}, Action: ActionImport,
		TargetType: "call", TargetID: c.ID, Outcome: audit.OutcomeSuccess,
		Detail: map[string]string{"source": string(source), "campaign_id": c.CampaignID}}
	if o, ok := audit.OriginFrom(ctx); ok && o.OrgID == c.OrgID {
		e.Actor, e.SourceIP, e.Client = o.Actor, o.SourceIP, o.Client
	}
	if duplicate {
		e.Detail["duplicate"] = "true"
	}
	if err := s.cfg.Audit.Record(ctx, e); err != nil {
		s.log.WarnContext(ctx, "audit record failed", "call_id", c.ID, "error", err)
	}
}
