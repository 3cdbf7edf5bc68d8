package webui

import (
	"cmp"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/connectors"
	"github.com/callimport/callimport/internal/source/genesys"
	"github.com/callimport/callimport/internal/store"
)

type connForm struct {
	Region, APIBaseURL, LoginBaseURL, ClientID string
	SecretSet                                  bool
	Errors                                     fieldErrors
}

type ruleForm struct {
	Queues, Caps, MinDur, MaxDur, MinMOS, Quota, Sample, Interval, Backfill string
	Inbound, Outbound, Enabled                                              bool
	Errors                                                                  fieldErrors
}

type testResult struct {
	OK                  bool
	OrgName, OrgID, Err string
	Scopes              []string
}

type countRow struct {
	Name          string
	Matched, Kept int
}

type kv struct {
	Key   string
	Value int
}

type previewView struct {
	Candidates, Kept int
	Skipped          []kv
	ByQueue, ByAgent []countRow
}

// genesysRunView is a run of the history with its report decoded.
type genesysRunView struct {
	StartedAt, FinishedAt time.Time
	Candidates            int               `json:"candidates"`
	Selected              int               `json:"selected"`
	Imported              int               `json:"imported"`
	Duplicates            int               `json:"duplicates"`
	Parked                int               `json:"parked"`
	SkippedBy             map[string]int    `json:"skipped_by_rule"`
	Failed                []genesys.Failure `json:"failed"`
	Error                 string
}

// Skipped is the total of candidates the rule did not keep.
func (g genesysRunView) Skipped() int {
	n := 0
	for _, v := range g.SkippedBy {
		n += v
	}
	return n
}

type genesysPageData struct {
	Campaign    call.Campaign
	Notice      *notice
	On          bool
	HasConn     bool
	Conn        connForm
	Test        *testResult
	HasRule     bool
	Rule        ruleForm
	From, To    string
	PreviewErrs fieldErrors
	Preview     *previewView
	PreviewErr  string
	Runs        []genesysRunView
	Status      connectorStatus
}

func genesysPath(campaignID string) string {
	return "/campaigns/" + url.PathEscape(campaignID) + "/settings/genesys"
}

// genesysStore returns the Genesys store when the channel is on.
func (h *handler) genesysStore() store.Genesys {
	if h.cfg.Genesys == nil {
		return nil
	}
	st, _ := h.cfg.Store.(store.Genesys)
	return st
}

// genesysRuns decodes the campaign's last runs.
func genesysRuns(r *http.Request, st store.Genesys, orgID, campaignID string) ([]genesysRunView, error) {
	runs, err := st.GenesysRunList(r.Context(), orgID, campaignID, 20)
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]genesysRunView, 0, len(runs))
	for _, run := range runs {
		var g genesysRunView
		_ = json.Unmarshal([]byte(run.Report), &g)
		g.StartedAt, g.FinishedAt, g.Error = run.StartedAt, run.FinishedAt, run.Error
		out = append(out, g)
	}
	return out, nil
}

// genesysData loads the connection, the rule and the history into the forms.
func (h *handler) genesysData(r *http.Request, v viewer, camp call.Campaign) (genesysPageData, error) {
	now := h.cfg.Now().UTC()
	d := genesysPageData{Campaign: camp, Rule: ruleForm{Inbound: true, Outbound: true, Interval: "15", Enabled: true,
		Backfill: now.AddDate(0, 0, -7).Format(time.DateOnly)},
		From: now.AddDate(0, 0, -7).Format(time.DateOnly), To: now.Format(time.DateOnly)}
	st := h.genesysStore()
	if st == nil {
		return d, nil
	}
	d.On = true
	conn, err := st.GenesysConnectionGet(r.Context(), v.User.OrgID)
	switch {
	case err == nil:
		d.HasConn = true
		d.Conn = connForm{Region: conn.Region, APIBaseURL: conn.APIBaseURL, LoginBaseURL: conn.LoginBaseURL,
			ClientID: conn.ClientID, SecretSet: conn.SecretSealed != ""}
	case !errors.Is(err, store.ErrNotFound):
		return d, unavailable(err)
	}
	sr, err := st.GenesysRuleGet(r.Context(), v.User.OrgID, camp.ID)
	switch {
	case err == nil:
		d.HasRule = true
		var rule genesys.Rule
		_ = json.Unmarshal([]byte(sr.Rule), &rule)
		d.Rule = formOfRule(rule, sr)
	case !errors.Is(err, store.ErrNotFound):
		return d, unavailable(err)
	}
	if d.Runs, err = genesysRuns(r, st, v.User.OrgID, camp.ID); err != nil {
		return d, err
	}
	if d.HasRule {
		d.Status = genesysStatus(sr.CreatedAt, d.Runs, h.cfg.Now())
	}
	return d, nil
}

func formOfRule(rule genesys.Rule, sr store.GenesysRule) ruleForm {
	f := ruleForm{Queues: strings.Join(rule.QueueIDs, "\n"), Enabled: sr.Enabled,
		Inbound:  len(rule.Directions) == 0 || slices.Contains(rule.Directions, "inbound"),
		Outbound: len(rule.Directions) == 0 || slices.Contains(rule.Directions, "outbound"),
		Interval: strconv.Itoa(max(sr.IntervalSeconds/60, 1))}
	num := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	f.MinDur, f.MaxDur = num(int(rule.MinDuration/time.Second)), num(int(rule.MaxDuration/time.Second))
	f.Quota = num(rule.AgentDailyQuota)
	if rule.MinMOS > 0 {
		f.MinMOS = strconv.FormatFloat(rule.MinMOS, 'f', -1, 64)
	}
	if rule.SamplePercent > 0 {
		f.Sample = strconv.FormatFloat(rule.SamplePercent, 'f', -1, 64)
	}
	var caps []string
	for q, n := range rule.QueueDailyCap {
		caps = append(caps, q+"="+strconv.Itoa(n))
	}
	slices.Sort(caps)
	f.Caps = strings.Join(caps, "\n")
	if !rule.BackfillStart.IsZero() {
		f.Backfill = rule.BackfillStart.UTC().Format(time.DateOnly)
	}
	return f
}

func (h *handler) genesysPage(w http.ResponseWriter, r *http.Request, v viewer) {
	camp, err := h.campaignOf(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d, err := h.genesysData(r, v, camp)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d.Notice = noticeOf(r, v.T)
	q := r.URL.Query()
	if q.Has("from") && d.On && d.HasRule {
		h.preview(r, v, camp, &d, q.Get("from"), q.Get("to"))
	}
	status := http.StatusOK
	if len(d.PreviewErrs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	h.renderGenesys(w, r, v, status, d)
}

func (h *handler) renderGenesys(w http.ResponseWriter, r *http.Request, v viewer, status int, d genesysPageData) {
	h.render(w, r, status, "settings_genesys", v.T, &v.User, "Genesys Cloud — "+d.Campaign.Name, d)
}

// parseDay reads a date (YYYY-MM-DD, UTC midnight) or an RFC 3339 time.
func parseDay(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), true
	}
	return time.Time{}, false
}

// preview runs the rule's selection over [from, to) (dates: "to" is the
// end of that day) and fills the page.
func (h *handler) preview(r *http.Request, v viewer, camp call.Campaign, d *genesysPageData, fromS, toS string) {
	d.From, d.To, d.PreviewErrs = fromS, toS, fieldErrors{}
	from, ok := parseDay(fromS)
	if !ok {
		d.PreviewErrs["from"] = v.T.T("e_date")
	}
	to, ok2 := parseDay(toS)
	if !ok2 {
		d.PreviewErrs["to"] = v.T.T("e_date")
	} else if len(strings.TrimSpace(toS)) == len(time.DateOnly) {
		to = to.Add(24 * time.Hour)
	}
	if ok && ok2 && !from.Before(to) {
		d.PreviewErrs["to"] = v.T.T("e_to_before")
	}
	if len(d.PreviewErrs) > 0 {
		return
	}
	pv, err := h.cfg.Genesys.Preview(r.Context(), v.User.OrgID, camp.ID, from, to)
	if err != nil {
		d.PreviewErr = err.Error()
		return
	}
	d.Preview = viewOfPreview(pv)
}

func viewOfPreview(pv genesys.Preview) *previewView {
	out := &previewView{Candidates: pv.Candidates, Kept: pv.Kept}
	for k, n := range pv.Skipped {
		out.Skipped = append(out.Skipped, kv{Key: k, Value: n})
	}
	slices.SortFunc(out.Skipped, func(a, b kv) int { return cmp.Compare(a.Key, b.Key) })
	rows := func(m map[string]genesys.Count) []countRow {
		var rs []countRow
		for k, c := range m {
			rs = append(rs, countRow{Name: k, Matched: c.Matched, Kept: c.Kept})
		}
		slices.SortFunc(rs, func(a, b countRow) int { return cmp.Compare(a.Name, b.Name) })
		return rs
	}
	out.ByQueue, out.ByAgent = rows(pv.ByQueue), rows(pv.ByAgent)
	return out
}

// genesysConnSave stores the organisation's connection. A blank secret
// keeps the stored one.
func (h *handler) genesysConnSave(w http.ResponseWriter, r *http.Request, v viewer) {
	camp, err := h.campaignOf(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	st := h.genesysStore()
	if st == nil {
		h.fail(w, r, v, campaignNotFound())
		return
	}
	d, err := h.genesysData(r, v, camp)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	fv := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := connForm{Region: fv("region"), APIBaseURL: fv("api_base_url"), LoginBaseURL: fv("login_base_url"),
		ClientID: fv("client_id"), SecretSet: d.Conn.SecretSet, Errors: fieldErrors{}}
	secret := fv("client_secret")
	if h.cfg.Manager == nil {
		h.fail(w, r, v, campaignNotFound())
		return
	}
	// The Manager checks and seals as the API does; a blank secret keeps
	// the stored one.
	in := connectors.GenesysConnectionInput{Region: f.Region, APIBaseURL: f.APIBaseURL, LoginBaseURL: f.LoginBaseURL, ClientID: f.ClientID}
	if secret != "" {
		in.ClientSecret = &secret
	}
	if _, err := h.cfg.Manager.PutGenesysConnection(r.Context(), v.User.OrgID, in); err != nil {
		ce, ok := errors.AsType[*call.Error](err)
		if !ok || ce.Code != call.CodeInvalid {
			h.fail(w, r, v, err)
			return
		}
		connFieldErrors(f.Errors, v.T, f, ce)
		d.Conn = f
		h.renderGenesys(w, r, v, http.StatusUnprocessableEntity, d)
		return
	}
	h.log.InfoContext(r.Context(), "genesys connection saved", "org_id", v.User.OrgID, "by", v.User.ID)
	h.recordWeb(r, v, "web.genesys_connection.save", "org", v.User.OrgID, map[string]string{"secret_changed": strconv.FormatBool(secret != "")})
	redirectDone(w, r, genesysPath(camp.ID), "done_conn_saved")
}

// connFieldErrors puts the Manager's refusal of a connection on the
// form's fields, in the viewer's language.
func connFieldErrors(errs fieldErrors, t translator, f connForm, ce *call.Error) {
	region := "region"
	if f.APIBaseURL != "" {
		region = "api_base_url"
	}
	if len(ce.Fields) == 0 { // the region or URLs were refused
		errs[region] = t.T("e_region_or_url")
	}
	for _, fe := range ce.Fields {
		switch fe.Field {
		case "region":
			errs[region] = t.T("e_region_or_url")
		case "client_id":
			errs["client_id"] = t.T("e_required")
		case "client_secret":
			if strings.Contains(fe.Reason, "decrypted") {
				errs["client_secret"] = t.T("e_secret_unreadable")
			} else {
				errs["client_secret"] = t.T("e_required")
			}
		default:
			errs[region] = fe.Field + ": " + fe.Reason
		}
	}
}

// genesysTest obtains a token with the stored connection and shows the
// Genesys organisation and scopes it sees.
func (h *handler) genesysTest(w http.ResponseWriter, r *http.Request, v viewer) {
	camp, err := h.campaignOf(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	if h.genesysStore() == nil {
		h.fail(w, r, v, campaignNotFound())
		return
	}
	d, err := h.genesysData(r, v, camp)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	o, err := h.cfg.Genesys.TestConnection(r.Context(), v.User.OrgID)
	if err != nil {
		d.Test = &testResult{Err: err.Error()}
	} else {
		d.Test = &testResult{OK: true, OrgName: o.Name, OrgID: o.ID, Scopes: o.Scopes}
	}
	h.renderGenesys(w, r, v, http.StatusOK, d)
}

// parseRule reads the rule form; errors are per field.
func parseRule(r *http.Request, t translator, campaignID string) (ruleForm, genesys.RuleSettings) {
	fv := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := ruleForm{Queues: fv("queues"), Caps: fv("caps"), MinDur: fv("min_duration"), MaxDur: fv("max_duration"),
		MinMOS: fv("min_mos"), Quota: fv("quota"), Sample: fv("sample"), Interval: fv("interval"), Backfill: fv("backfill"),
		Inbound: r.PostFormValue("inbound") != "", Outbound: r.PostFormValue("outbound") != "",
		Enabled: r.PostFormValue("enabled") != "", Errors: fieldErrors{}}
	rule := genesys.Rule{CampaignID: campaignID, QueueIDs: strings.Fields(strings.ReplaceAll(f.Queues, ",", " "))}
	switch {
	case f.Inbound && !f.Outbound:
		rule.Directions = []string{"inbound"}
	case f.Outbound && !f.Inbound:
		rule.Directions = []string{"outbound"}
	case !f.Inbound && !f.Outbound:
		f.Errors["directions"] = t.T("e_directions")
	}
	const day = 24 * 3600
	rule.MinDuration = time.Duration(intField(f.Errors, t, "min_duration", f.MinDur, 0, 0, day)) * time.Second
	rule.MaxDuration = time.Duration(intField(f.Errors, t, "max_duration", f.MaxDur, 0, 0, day)) * time.Second
	if rule.MaxDuration > 0 && rule.MinDuration > rule.MaxDuration && f.Errors["max_duration"] == "" {
		f.Errors["max_duration"] = t.T("e_max_below_min")
	}
	rule.MinMOS = floatField(f.Errors, t, "min_mos", f.MinMOS, 0, 5)
	rule.AgentDailyQuota = intField(f.Errors, t, "quota", f.Quota, 0, 0, 100000)
	rule.SamplePercent = floatField(f.Errors, t, "sample", f.Sample, 0, 100)
	for _, item := range strings.Fields(strings.ReplaceAll(f.Caps, ",", " ")) {
		q, n, ok := strings.Cut(item, "=")
		c, err := strconv.Atoi(n)
		if !ok || q == "" || err != nil || c < 1 {
			f.Errors["caps"] = t.Tf("e_caps", item)
			break
		}
		if rule.QueueDailyCap == nil {
			rule.QueueDailyCap = map[string]int{}
		}
		rule.QueueDailyCap[q] = c
	}
	interval := intField(f.Errors, t, "interval", f.Interval, 15, 1, 7*24*60)
	if bf, ok := parseDay(f.Backfill); ok {
		rule.BackfillStart = bf
	} else {
		f.Errors["backfill"] = t.T("e_date")
	}
	return f, genesys.RuleSettings{Rule: rule, Interval: time.Duration(interval) * time.Minute, Enabled: f.Enabled}
}

// genesysRuleSave stores the campaign's export rule; its progress is kept.
func (h *handler) genesysRuleSave(w http.ResponseWriter, r *http.Request, v viewer) {
	camp, err := h.campaignOf(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	if h.genesysStore() == nil {
		h.fail(w, r, v, campaignNotFound())
		return
	}
	f, rs := parseRule(r, v.T, camp.ID)
	if len(f.Errors) > 0 {
		d, err := h.genesysData(r, v, camp)
		if err != nil {
			h.fail(w, r, v, err)
			return
		}
		d.Rule = f
		h.renderGenesys(w, r, v, http.StatusUnprocessableEntity, d)
		return
	}
	if h.cfg.Manager == nil {
		h.fail(w, r, v, campaignNotFound())
		return
	}
	in := connectors.GenesysRuleInput{QueueIDs: rs.Rule.QueueIDs, Directions: rs.Rule.Directions,
		MinDurationSeconds: int(rs.Rule.MinDuration / time.Second), MaxDurationSeconds: int(rs.Rule.MaxDuration / time.Second),
		MinMOS: rs.Rule.MinMOS, AgentDailyQuota: rs.Rule.AgentDailyQuota, SamplePercent: rs.Rule.SamplePercent,
		BackfillStart: rs.Rule.BackfillStart, IntervalSeconds: int(rs.Interval / time.Second), Enabled: rs.Enabled}
	for _, q := range slices.Sorted(maps.Keys(rs.Rule.QueueDailyCap)) {
		in.QueueDailyCap = append(in.QueueDailyCap, connectors.QueueCap{QueueID: q, Cap: rs.Rule.QueueDailyCap[q]})
	}
	if _, err := h.cfg.Manager.PutGenesysRule(r.Context(), v.User.OrgID, camp.ID, in); err != nil {
		h.fail(w, r, v, err)
		return
	}
	h.log.InfoContext(r.Context(), "genesys rule saved", "org_id", v.User.OrgID, "campaign_id", camp.ID, "by", v.User.ID)
	h.recordWeb(r, v, "web.genesys_rule.save", "campaign", camp.ID, nil)
	redirectDone(w, r, genesysPath(camp.ID), "done_rule_saved")
}

// genesysRun makes the campaign's rule due at once; the connectors'
// scheduler runs it (serve's --genesys-tick, a minute by default) and the
// history shows the outcome.
func (h *handler) genesysRun(w http.ResponseWriter, r *http.Request, v viewer) {
	camp, err := h.campaignOf(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	st := h.genesysStore()
	if st == nil {
		h.fail(w, r, v, campaignNotFound())
		return
	}
	if _, err := st.GenesysRuleGet(r.Context(), v.User.OrgID, camp.ID); err != nil {
		h.fail(w, r, v, campaignNotFound())
		return
	}
	// Due at once: the connectors' scheduler runs it in the background,
	// under its database lease (one run at a time across processes).
	if h.cfg.Manager == nil {
		h.fail(w, r, v, campaignNotFound())
		return
	}
	if err := h.cfg.Manager.RunGenesysRuleNow(r.Context(), v.User.OrgID, camp.ID); err != nil {
		h.fail(w, r, v, unavailable(err))
		return
	}
	h.recordWeb(r, v, "web.genesys_rule.run", "campaign", camp.ID, nil)
	redirectDone(w, r, genesysPath(camp.ID), "done_rule_ran")
}
