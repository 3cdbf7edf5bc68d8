package connectors

import (
	"context"
	"fmt"
	"strconv"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/source/genesys"
	"github.com/callimport/callimport/internal/source/sftppull"
	"github.com/callimport/callimport/internal/store"
)

// Audit actions of the scheduled runs.
const (
	// ActionPullRun is one run of a pull source (target pull_source).
	ActionPullRun = "pull.run"
	// ActionGenesysRun is one run of a campaign's export rule (target
	// genesys_rule, named by the campaign's id).
	ActionGenesysRun = "genesys.run"
)

// A run is a failure when it stopped on an error or left an item behind
// (a file or conversation that failed and waits for the next run).

// recordPullRun tells the audit trail and the metrics of a scheduled pull
// run: ids and counts only, never a host, path or file name.
func (m *Manager) recordPullRun(ctx context.Context, p store.PullSource, rep sftppull.Report, err error) {
	failed := err != nil || len(rep.Errors) > 0
	m.recordRun(ctx, store.ScheduleSFTPPull, failed, audit.Event{OrgID: p.OrgID, Action: ActionPullRun,
		TargetType: "pull_source", TargetID: p.ID, Detail: map[string]string{"campaign_id": p.CampaignID,
			"seen": itoa(rep.Seen), "imported": itoa(rep.Imported), "duplicates": itoa(rep.Duplicates),
			"rejected": itoa(rep.Rejected), "skipped": itoa(rep.Skipped), "errors": itoa(len(rep.Errors)),
			"stopped": strconv.FormatBool(err != nil)}})
}

// recordGenesysRun tells the audit trail and the metrics of a scheduled
// run of the campaign's export rule (ids and counts only).
func (m *Manager) recordGenesysRun(ctx context.Context, orgID, campaignID string, rep genesys.Report, err error) {
	stopped := err != nil || rep.Interrupted != nil
	m.recordRun(ctx, store.ScheduleGenesys, stopped || len(rep.Failed) > 0, audit.Event{OrgID: orgID,
		Action: ActionGenesysRun, TargetType: "genesys_rule", TargetID: campaignID, Detail: map[string]string{
			"candidates": itoa(rep.Candidates), "selected": itoa(rep.Selected), "imported": itoa(rep.Imported),
			"duplicates": itoa(rep.Duplicates), "parked": itoa(rep.Parked), "failed": itoa(len(rep.Failed)),
			"stopped": strconv.FormatBool(stopped)}})
}

// recordRun records e as a system event of the connector's run.
func (m *Manager) recordRun(ctx context.Context, connector string, failed bool, e audit.Event) {
	e.Actor, e.Outcome = audit.Actor{Type: audit.ActorSystem}, audit.OutcomeSuccess
	if failed {
		e.Outcome = audit.OutcomeFailure
	}
	if m.observe != nil {
		m.observe(connector, !failed)
	}
	if err := m.audit.Record(context.WithoutCancel(ctx), e); err != nil {
		m.log.WarnContext(ctx, "audit record failed", "action", e.Action, "error", err.Error())
	}
}

// QuietFeeds counts the quiet feeds (see Health) of every organisation by
// connector: store.ScheduleSFTPPull and store.ScheduleGenesys, both always
// present. Only enabled feeds can be quiet.
func (m *Manager) QuietFeeds(ctx context.Context) (map[string]int, error) {
	out := map[string]int{store.ScheduleSFTPPull: 0, store.ScheduleGenesys: 0}
	srcs, err := m.st.PullSourceList(ctx)
	if err != nil {
		return nil, fmt.Errorf("quiet feeds: %w", err)
	}
	rules, err := m.st.GenesysRuleList(ctx)
	if err != nil {
		return nil, fmt.Errorf("quiet feeds: %w", err)
	}
	scheds := map[string]map[string]store.Schedule{} // kind/org → key → schedule
	for _, p := range srcs {
		sc, err := m.orgSchedule(ctx, scheds, store.ScheduleSFTPPull, p.OrgID, p.ID)
		if err != nil {
			return nil, err
		}
		if m.health(sc, p.Enabled, p.CreatedAt).Quiet {
			out[store.ScheduleSFTPPull]++
		}
	}
	for _, r := range rules {
		sc, err := m.orgSchedule(ctx, scheds, store.ScheduleGenesys, r.OrgID, r.CampaignID)
		if err != nil {
			return nil, err
		}
		if m.health(sc, r.Enabled, r.CreatedAt).Quiet {
			out[store.ScheduleGenesys]++
		}
	}
	return out, nil
}

// orgSchedule returns the schedule of an organisation's item, reading the
// organisation's schedules of kind once into cache.
func (m *Manager) orgSchedule(ctx context.Context, cache map[string]map[string]store.Schedule, kind, orgID, key string) (store.Schedule, error) {
	scs, ok := cache[kind+"/"+orgID]
	if !ok {
		var err error
		if scs, err = m.schedules(ctx, orgID, kind); err != nil {
			return store.Schedule{}, fmt.Errorf("quiet feeds: %w", err)
		}
		cache[kind+"/"+orgID] = scs
	}
	return scs[key], nil
}
