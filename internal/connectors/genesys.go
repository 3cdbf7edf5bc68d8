package connectors

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/sealing"
	"github.com/callimport/callimport/internal/source/genesys"
	"github.com/callimport/callimport/internal/store"
)

// GenesysConnection is an organisation's connection as shown to
// administrators: the client secret is write-only.
type GenesysConnection struct {
	Region       string    `json:"region"`
	APIBaseURL   string    `json:"api_base_url"`
	LoginBaseURL string    `json:"login_base_url"`
	ClientID     string    `json:"client_id"`
	HasSecret    bool      `json:"has_client_secret"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	// LastImportAt is the latest import of any of the organisation's rules;
	// Quiet is true when any enabled rule is quiet.
	LastImportAt *time.Time `json:"last_import_at"`
	Quiet        bool       `json:"quiet"`
}

// GenesysConnectionInput replaces the connection. ClientSecret may be left
// out to keep the stored one.
type GenesysConnectionInput struct {
	Region       string  `json:"region"`
	APIBaseURL   string  `json:"api_base_url"`
	LoginBaseURL string  `json:"login_base_url"`
	ClientID     string  `json:"client_id"`
	ClientSecret *string `json:"client_secret"`
}

// GenesysTest is what a connection test saw.
type GenesysTest struct {
	OrganizationID   string   `json:"organization_id"`
	OrganizationName string   `json:"organization_name"`
	Scopes           []string `json:"scopes"`
	Users            int      `json:"users"`
	Queues           int      `json:"queues"`
}

// GenesysRule is a campaign's export rule with its schedule and health.
type GenesysRule struct {
	CampaignID string `json:"campaign_id"`
	GenesysRuleInput
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Watermark: every conversation that ended before it was dealt with
	// (nil before the first run).
	Watermark *time.Time `json:"watermark"`
	Health
}

// GenesysRuleInput is an export rule as administrators write it.
type GenesysRuleInput struct {
	QueueIDs           []string   `json:"queue_ids"`
	QueueDailyCap      []QueueCap `json:"queue_daily_cap"`
	Directions         []string   `json:"directions"`
	MinDurationSeconds int        `json:"min_duration_seconds"`
	MaxDurationSeconds int        `json:"max_duration_seconds"`
	MinMOS             float64    `json:"min_mos"`
	AgentDailyQuota    int        `json:"agent_daily_quota"`
	SamplePercent      float64    `json:"sample_percent"`
	BackfillStart      time.Time  `json:"backfill_start"`
	IntervalSeconds    int        `json:"interval_seconds"`
	Enabled            bool       `json:"enabled"`
}

// QueueCap caps the conversations kept per UTC day from one queue.
type QueueCap struct {
	QueueID string `json:"queue_id"`
	Cap     int    `json:"cap"`
}

// ReasonCount counts conversations a rule did not keep, for one reason.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// GenesysFailure is a conversation that could not be imported, for good.
type GenesysFailure struct {
	ConversationID string `json:"conversation_id"`
	Reason         string `json:"reason"`
}

// GenesysRun is one run in a rule's history, and why it stopped (Error,
// "" when it completed).
type GenesysRun struct {
	ID         string           `json:"id"`
	StartedAt  time.Time        `json:"started_at"`
	FinishedAt time.Time        `json:"finished_at"`
	From       time.Time        `json:"from"`
	To         time.Time        `json:"to"`
	Candidates int              `json:"candidates"`
	Selected   int              `json:"selected"`
	Imported   int              `json:"imported"`
	Duplicates int              `json:"duplicates"`
	Skipped    []ReasonCount    `json:"skipped"`
	Parked     int              `json:"parked"`
	Failed     []GenesysFailure `json:"failed"`
	Watermark  time.Time        `json:"watermark"`
	Error      string           `json:"error"`
}

// GenesysCount is how many conversations of a queue or agent matched the
// rule's filters and how many it keeps (after sampling and quotas).
type GenesysCount struct {
	Name    string `json:"name"`
	Matched int    `json:"matched"`
	Kept    int    `json:"kept"`
}

// GenesysPreview is what a rule would select over a period.
type GenesysPreview struct {
	From       time.Time      `json:"from"`
	To         time.Time      `json:"to"`
	Candidates int            `json:"candidates"`
	Kept       int            `json:"kept"`
	Skipped    []ReasonCount  `json:"skipped"`
	ByQueue    []GenesysCount `json:"by_queue"`
	ByAgent    []GenesysCount `json:"by_agent"`
}

func reasons(m map[string]int) []ReasonCount {
	out := []ReasonCount{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, ReasonCount{Reason: k, Count: m[k]})
	}
	return out
}

func counts(m map[string]genesys.Count) []GenesysCount {
	out := []GenesysCount{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, GenesysCount{Name: k, Matched: m[k].Matched, Kept: m[k].Kept})
	}
	return out
}

func (m *Manager) genesysOn() error {
	if m.gen == nil {
		return &call.Error{Code: call.CodeUnavailable, Message: "the Genesys channel is off on this server"}
	}
	return nil
}

// genesysError maps the channel's errors for the API.
func genesysError(err error) error {
	var ce *call.Error
	var ae *genesys.APIError
	switch {
	case err == nil, errors.As(err, &ce):
		return err
	case errors.Is(err, store.ErrNotFound):
		return &call.Error{Code: call.CodeNotFound, Message: "no Genesys connection or rule", Err: err}
	case errors.Is(err, sealing.ErrUnseal):
		return &call.Error{Code: call.CodeConflict, Message: "the stored client secret cannot be decrypted with this server's key (" +
			err.Error() + "): enter it again, or configure the key it was sealed under", Err: err}
	case errors.Is(err, genesys.ErrCredentials):
		return &call.Error{Code: call.CodeInvalid, Message: "Genesys Cloud refused the client id or secret", Err: err,
			Fields: []call.FieldError{field("client_secret", "refused by Genesys Cloud")}}
	case errors.As(err, &ae):
		return &call.Error{Code: call.CodeUnavailable, Message: "Genesys Cloud answered " + ae.Error(), Err: err}
	case strings.HasPrefix(err.Error(), "genesys: "):
		return &call.Error{Code: call.CodeInvalid, Message: err.Error(), Err: err}
	}
	return &call.Error{Code: call.CodeUnavailable, Message: "Genesys Cloud could not be reached: " + err.Error(), Err: err}
}

// PutGenesysConnection checks and stores the organisation's connection.
func (m *Manager) PutGenesysConnection(ctx context.Context, orgID string, in GenesysConnectionInput) (GenesysConnection, error) {
	if err := m.genesysOn(); err != nil {
		return GenesysConnection{}, err
	}
	var fields []call.FieldError
	if strings.TrimSpace(in.ClientID) == "" {
		fields = append(fields, field("client_id", "is required"))
	}
	if in.Region == "" && in.APIBaseURL == "" {
		fields = append(fields, field("region", "a region (e.g. mypurecloud.ie) or api_base_url is required"))
	}
	secret := ""
	if in.ClientSecret != nil {
		secret = *in.ClientSecret
	} else if cur, err := m.st.GenesysConnectionGet(ctx, orgID); err == nil {
		if secret, err = m.kr.Open(orgID, cur.SecretSealed); err != nil {
			fields = append(fields, field("client_secret", "the stored secret cannot be decrypted with this server's key: enter it again"))
		}
	}
	if secret == "" {
		fields = append(fields, field("client_secret", "is required"))
	}
	if len(fields) > 0 {
		return GenesysConnection{}, invalid("invalid Genesys connection", fields...)
	}
	err := m.gen.PutConnection(ctx, orgID, genesys.Connection{Region: strings.TrimSpace(in.Region),
		APIBaseURL: strings.TrimSpace(in.APIBaseURL), LoginBaseURL: strings.TrimSpace(in.LoginBaseURL),
		ClientID: strings.TrimSpace(in.ClientID), ClientSecret: secret})
	if err != nil {
		return GenesysConnection{}, genesysError(err)
	}
	return m.GetGenesysConnection(ctx, orgID)
}

// GetGenesysConnection returns the organisation's connection with the
// health of its rules.
func (m *Manager) GetGenesysConnection(ctx context.Context, orgID string) (GenesysConnection, error) {
	c, err := m.st.GenesysConnectionGet(ctx, orgID)
	if err != nil {
		return GenesysConnection{}, notFound("Genesys connection", err)
	}
	out := GenesysConnection{Region: c.Region, APIBaseURL: c.APIBaseURL, LoginBaseURL: c.LoginBaseURL, ClientID: c.ClientID,
		HasSecret: c.SecretSealed != "", CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
	rules, err := m.ListGenesysRules(ctx, orgID)
	if err != nil {
		return GenesysConnection{}, err
	}
	for _, r := range rules {
		if r.LastImportAt != nil && (out.LastImportAt == nil || r.LastImportAt.After(*out.LastImportAt)) {
			out.LastImportAt = r.LastImportAt
		}
		out.Quiet = out.Quiet || r.Quiet
	}
	return out, nil
}

// DeleteGenesysConnection removes the organisation's connection (its rules
// stay, and fail until a connection is entered again).
func (m *Manager) DeleteGenesysConnection(ctx context.Context, orgID string) error {
	if _, err := m.st.GenesysConnectionGet(ctx, orgID); err != nil {
		return notFound("Genesys connection", err)
	}
	if err := m.st.GenesysConnectionDelete(ctx, orgID); err != nil {
		return unavailable(err)
	}
	return nil
}

// TestGenesysConnection obtains a token with the stored connection and
// reports what it can see.
func (m *Manager) TestGenesysConnection(ctx context.Context, orgID string) (GenesysTest, error) {
	if err := m.genesysOn(); err != nil {
		return GenesysTest{}, err
	}
	if _, err := m.st.GenesysConnectionGet(ctx, orgID); err != nil {
		return GenesysTest{}, notFound("Genesys connection", err)
	}
	c, err := m.gen.Client(ctx, orgID)
	if err != nil {
		return GenesysTest{}, genesysError(err)
	}
	o, err := c.TestConnection(ctx)
	if err != nil {
		return GenesysTest{}, genesysError(err)
	}
	out := GenesysTest{OrganizationID: o.ID, OrganizationName: o.Name, Scopes: o.Scopes}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	if out.Users, err = c.Count(ctx, "/api/v2/users"); err != nil {
		return GenesysTest{}, genesysError(err)
	}
	if out.Queues, err = c.Count(ctx, "/api/v2/routing/queues"); err != nil {
		return GenesysTest{}, genesysError(err)
	}
	return out, nil
}

func checkRule(in GenesysRuleInput) error {
	var fields []call.FieldError
	for _, d := range in.Directions {
		if d != "inbound" && d != "outbound" {
			fields = append(fields, field("directions", "items must be inbound or outbound"))
		}
	}
	if in.MinDurationSeconds < 0 || in.MaxDurationSeconds < 0 || (in.MaxDurationSeconds > 0 && in.MinDurationSeconds > in.MaxDurationSeconds) {
		fields = append(fields, field("max_duration_seconds", "durations must be positive, the maximum not below the minimum"))
	}
	if in.MinMOS < 0 || in.MinMOS > 5 {
		fields = append(fields, field("min_mos", "must be from 0 to 5"))
	}
	if in.AgentDailyQuota < 0 {
		fields = append(fields, field("agent_daily_quota", "must not be negative"))
	}
	for _, v := range in.QueueDailyCap {
		if v.Cap < 0 || v.QueueID == "" {
			fields = append(fields, field("queue_daily_cap", "items need a queue_id and a cap not below 0"))
		}
	}
	if in.SamplePercent < 0 || in.SamplePercent > 100 {
		fields = append(fields, field("sample_percent", "must be from 0 to 100"))
	}
	if in.BackfillStart.IsZero() {
		fields = append(fields, field("backfill_start", "is required: where the first run starts"))
	}
	if in.IntervalSeconds != 0 && (in.IntervalSeconds < 60 || in.IntervalSeconds > 7*24*3600) {
		fields = append(fields, field("interval_seconds", "must be from 60 to 604800 (0: 15 minutes)"))
	}
	if len(fields) > 0 {
		return invalid("invalid Genesys export rule", fields...)
	}
	return nil
}

// PutGenesysRule creates or replaces the campaign's rule (its progress is kept).
func (m *Manager) PutGenesysRule(ctx context.Context, orgID, campaignID string, in GenesysRuleInput) (GenesysRule, error) {
	if err := m.campaign(ctx, orgID, campaignID); err != nil {
		return GenesysRule{}, err
	}
	if err := m.genesysOn(); err != nil {
		return GenesysRule{}, err
	}
	if err := checkRule(in); err != nil {
		return GenesysRule{}, err
	}
	var caps map[string]int
	for _, c := range in.QueueDailyCap {
		if caps == nil {
			caps = map[string]int{}
		}
		caps[c.QueueID] = c.Cap
	}
	rule := genesys.Rule{CampaignID: campaignID, QueueIDs: in.QueueIDs, QueueDailyCap: caps,
		Directions: in.Directions, MinDuration: time.Duration(in.MinDurationSeconds) * time.Second,
		MaxDuration: time.Duration(in.MaxDurationSeconds) * time.Second, MinMOS: in.MinMOS,
		AgentDailyQuota: in.AgentDailyQuota, SamplePercent: in.SamplePercent, BackfillStart: in.BackfillStart.UTC()}
	if err := m.gen.PutRule(ctx, orgID, genesys.RuleSettings{Rule: rule,
		Interval: time.Duration(in.IntervalSeconds) * time.Second, Enabled: in.Enabled}); err != nil {
		return GenesysRule{}, notFound("campaign", err)
	}
	return m.GetGenesysRule(ctx, orgID, campaignID)
}

func (m *Manager) toRule(r store.GenesysRule, sc store.Schedule) (GenesysRule, error) {
	var rule genesys.Rule
	if err := json.Unmarshal([]byte(r.Rule), &rule); err != nil {
		return GenesysRule{}, unavailable(err)
	}
	out := GenesysRule{CampaignID: r.CampaignID, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Health: m.health(sc, r.Enabled, r.CreatedAt), GenesysRuleInput: GenesysRuleInput{
			QueueIDs: rule.QueueIDs, QueueDailyCap: []QueueCap{}, Directions: rule.Directions,
			MinDurationSeconds: int(rule.MinDuration / time.Second), MaxDurationSeconds: int(rule.MaxDuration / time.Second),
			MinMOS: rule.MinMOS, AgentDailyQuota: rule.AgentDailyQuota, SamplePercent: rule.SamplePercent,
			BackfillStart: rule.BackfillStart.UTC(), IntervalSeconds: r.IntervalSeconds, Enabled: r.Enabled}}
	if out.QueueIDs == nil {
		out.QueueIDs = []string{}
	}
	if out.Directions == nil {
		out.Directions = []string{}
	}
	for _, q := range slices.Sorted(maps.Keys(rule.QueueDailyCap)) {
		out.QueueDailyCap = append(out.QueueDailyCap, QueueCap{QueueID: q, Cap: rule.QueueDailyCap[q]})
	}
	if r.Progress != "" {
		var p genesys.Progress
		if json.Unmarshal([]byte(r.Progress), &p) == nil && !p.Watermark.IsZero() {
			w := p.Watermark.UTC()
			out.Watermark = &w
		}
	}
	return out, nil
}

// GetGenesysRule returns the campaign's rule with its health.
func (m *Manager) GetGenesysRule(ctx context.Context, orgID, campaignID string) (GenesysRule, error) {
	r, err := m.st.GenesysRuleGet(ctx, orgID, campaignID)
	if err != nil {
		return GenesysRule{}, notFound("Genesys export rule", err)
	}
	sc, err := m.schedule(ctx, orgID, store.ScheduleGenesys, campaignID)
	if err != nil {
		return GenesysRule{}, err
	}
	return m.toRule(r, sc)
}

// ListGenesysRules returns the organisation's rules by campaign.
func (m *Manager) ListGenesysRules(ctx context.Context, orgID string) ([]GenesysRule, error) {
	rules, err := m.st.GenesysRuleListByOrg(ctx, orgID)
	if err != nil {
		return nil, unavailable(err)
	}
	scs, err := m.schedules(ctx, orgID, store.ScheduleGenesys)
	if err != nil {
		return nil, err
	}
	out := make([]GenesysRule, 0, len(rules))
	for _, r := range rules {
		gr, err := m.toRule(r, scs[r.CampaignID])
		if err != nil {
			return nil, err
		}
		out = append(out, gr)
	}
	return out, nil
}

// DeleteGenesysRule removes the campaign's rule and its schedule (its run
// history stays).
func (m *Manager) DeleteGenesysRule(ctx context.Context, orgID, campaignID string) error {
	if _, err := m.st.GenesysRuleGet(ctx, orgID, campaignID); err != nil {
		return notFound("Genesys export rule", err)
	}
	if err := m.st.GenesysRuleDelete(ctx, orgID, campaignID); err != nil {
		return unavailable(err)
	}
	if err := m.st.ScheduleDelete(ctx, store.ScheduleGenesys, campaignID); err != nil {
		return unavailable(err)
	}
	return nil
}

// GenesysRuns returns the campaign's last runs, newest first.
func (m *Manager) GenesysRuns(ctx context.Context, orgID, campaignID string, limit int) ([]GenesysRun, error) {
	if err := m.campaign(ctx, orgID, campaignID); err != nil {
		return nil, err
	}
	runs, err := m.st.GenesysRunList(ctx, orgID, campaignID, limit)
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]GenesysRun, 0, len(runs))
	for _, r := range runs {
		var doc struct {
			From, To, Watermark                                time.Time
			Candidates, Selected, Imported, Duplicates, Parked int
			Skipped                                            map[string]int `json:"skipped_by_rule"`
			Failed                                             []genesys.Failure
		}
		_ = json.Unmarshal([]byte(r.Report), &doc) // an unreadable report shows as zeros
		run := GenesysRun{ID: r.ID, StartedAt: r.StartedAt.UTC(), FinishedAt: r.FinishedAt.UTC(), From: doc.From.UTC(),
			To: doc.To.UTC(), Candidates: doc.Candidates, Selected: doc.Selected, Imported: doc.Imported,
			Duplicates: doc.Duplicates, Skipped: reasons(doc.Skipped), Parked: doc.Parked, Failed: []GenesysFailure{},
			Watermark: doc.Watermark.UTC(), Error: r.Error}
		for _, f := range doc.Failed {
			run.Failed = append(run.Failed, GenesysFailure{ConversationID: f.ConversationID, Reason: f.Reason})
		}
		out = append(out, run)
	}
	return out, nil
}

// PreviewGenesysRule counts what the campaign's rule would select over
// (from, to], downloading nothing.
func (m *Manager) PreviewGenesysRule(ctx context.Context, orgID, campaignID string, from, to time.Time) (GenesysPreview, error) {
	if _, err := m.st.GenesysRuleGet(ctx, orgID, campaignID); err != nil {
		return GenesysPreview{}, notFound("Genesys export rule", err)
	}
	if err := m.genesysOn(); err != nil {
		return GenesysPreview{}, err
	}
	if !from.Before(to) || to.Sub(from) > 366*24*time.Hour {
		return GenesysPreview{}, invalid("invalid preview period", field("to", "must be after from, at most 366 days later"))
	}
	pv, err := m.gen.Preview(ctx, orgID, campaignID, from, to)
	if err != nil {
		return GenesysPreview{}, genesysError(err)
	}
	return GenesysPreview{From: pv.From.UTC(), To: pv.To.UTC(), Candidates: pv.Candidates, Kept: pv.Kept,
		Skipped: reasons(pv.Skipped), ByQueue: counts(pv.ByQueue), ByAgent: counts(pv.ByAgent)}, nil
}

// RunGenesysRuleNow makes the campaign's rule due at once and wakes this
// process's scheduler; the run happens in the background, under the
// rule's lease (at most one at a time across processes).
func (m *Manager) RunGenesysRuleNow(ctx context.Context, orgID, campaignID string) error {
	if err := m.genesysOn(); err != nil {
		return err
	}
	if _, err := m.st.GenesysRuleGet(ctx, orgID, campaignID); err != nil {
		return notFound("Genesys export rule", err)
	}
	if err := m.st.ScheduleRunNow(ctx, store.ScheduleGenesys, campaignID, orgID, m.now()); err != nil {
		return unavailable(err)
	}
	select {
	case m.gkick <- struct{}{}:
	default:
	}
	return nil
}
