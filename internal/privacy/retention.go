package privacy

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/callimport/callimport/internal/audit"
)

// EnforceRetention deletes, audio and metadata, every call received (its
// CreatedAt, not its conversation time) more than its campaign's
// RetentionDays days before now, in transactions of Config.BatchSize calls
// and at most Config.MaxRetentionRun calls per run (the next run goes on).
// Campaigns whose RetentionDays is 0 keep their calls. It records one
// retention.delete audit event per campaign that lost calls and returns how
// many calls it deleted. It is safe to run again after any failure.
func (s *Service) EnforceRetention(ctx context.Context) (int, error) {
	camps, err := s.priv.CampaignListRetained(ctx)
	if err != nil {
		return 0, fmt.Errorf("enforce retention: %w", err)
	}
	now := s.cfg.Now()
	total := 0
	for _, c := range camps {
		if total >= s.cfg.MaxRetentionRun {
			break
		}
		cutoff := now.Add(-time.Duration(c.RetentionDays) * 24 * time.Hour)
		n, err := s.retainCampaign(ctx, c.OrgID, c.ID, cutoff, s.cfg.MaxRetentionRun-total)
		total += n
		if n > 0 {
			s.log.InfoContext(ctx, "retention deleted calls", slog.String("org_id", c.OrgID),
				slog.String("campaign_id", c.ID), slog.Int("deleted", n), slog.Int("retention_days", c.RetentionDays))
			s.record(ctx, audit.Event{OrgID: c.OrgID, Actor: audit.Actor{Type: audit.ActorSystem},
				Action: ActionRetentionDelete, TargetType: "campaign", TargetID: c.ID, Outcome: audit.OutcomeSuccess,
				Detail: map[string]string{"count": strconv.Itoa(n), "retention_days": strconv.Itoa(c.RetentionDays)}})
		}
		if err != nil {
			return total, fmt.Errorf("enforce retention of campaign %s: %w", c.ID, err)
		}
	}
	return total, nil
}

// retainCampaign deletes up to limit calls of the campaign received before
// cutoff.
func (s *Service) retainCampaign(ctx context.Context, orgID, campaignID string, cutoff time.Time, limit int) (int, error) {
	n := 0
	for n < limit {
		batch := min(s.cfg.BatchSize, limit-n)
		calls, err := s.priv.CallListCreatedBefore(ctx, orgID, campaignID, cutoff, batch)
		if err != nil {
			return n, err
		}
		if len(calls) == 0 {
			return n, nil
		}
		refs := make([]callRef, len(calls))
		for i, c := range calls {
			refs[i] = callRef{orgID: orgID, id: c.ID}
		}
		erased, err := s.eraseBatch(ctx, refs, nil)
		n += len(erased)
		if err != nil {
			return n, err
		}
		if len(calls) < batch || len(erased) == 0 {
			return n, nil
		}
	}
	return n, nil
}
