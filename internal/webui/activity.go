package webui

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// activityCalls is how many of the newest calls the activity view shows.
const activityCalls = 30

type activityCall struct {
	call.Call
	CampaignName string
}

type connectorRow struct {
	Kind         string // "sftp_pull" or "genesys"
	CampaignID   string
	CampaignName string
	Name         string
	Status       connectorStatus
}

type activityData struct {
	Calls      []activityCall
	Connectors []connectorRow
	// Newest is the id of the newest call, for the script to notice arrivals.
	Newest string
}

// activityData loads the organisation's newest calls and its connectors'
// status; no state is kept between requests.
func (h *handler) loadActivity(r *http.Request, v viewer) (activityData, error) {
	var d activityData
	camps, err := h.cfg.Store.CampaignList(r.Context(), v.User.OrgID)
	if err != nil {
		return d, unavailable(err)
	}
	names := make(map[string]string, len(camps))
	for _, c := range camps {
		names[c.ID] = c.Name
	}
	calls, _, err := h.cfg.Store.CallList(r.Context(), store.CallListParams{OrgID: v.User.OrgID, Limit: activityCalls})
	if err != nil {
		return d, unavailable(err)
	}
	for _, c := range calls {
		d.Calls = append(d.Calls, activityCall{Call: c, CampaignName: names[c.CampaignID]})
	}
	if len(calls) > 0 {
		d.Newest = calls[0].ID
	}
	now := h.cfg.Now()
	if _, pulls := h.sftpStores(); pulls != nil {
		srcs, err := pulls.PullSourceList(r.Context())
		if err != nil {
			return d, unavailable(err)
		}
		for _, p := range srcs {
			if p.OrgID != v.User.OrgID {
				continue
			}
			runs, err := pulls.PullRunList(r.Context(), p.ID, 20)
			if err != nil {
				return d, unavailable(err)
			}
			d.Connectors = append(d.Connectors, connectorRow{Kind: "sftp_pull", CampaignID: p.CampaignID,
				CampaignName: names[p.CampaignID], Name: p.Username + "@" + p.Host + ":" + p.Folder, Status: pullStatus(p, runs, now)})
		}
	}
	if st := h.genesysStore(); st != nil {
		rules, err := st.GenesysRuleList(r.Context())
		if err != nil {
			return d, unavailable(err)
		}
		for _, rule := range rules {
			if rule.OrgID != v.User.OrgID {
				continue
			}
			runs, err := genesysRuns(r, st, rule.OrgID, rule.CampaignID)
			if err != nil {
				return d, err
			}
			d.Connectors = append(d.Connectors, connectorRow{Kind: "genesys", CampaignID: rule.CampaignID,
				CampaignName: names[rule.CampaignID], Status: genesysStatus(rule.CreatedAt, runs, now)})
		}
	}
	return d, nil
}

func (h *handler) activityPage(w http.ResponseWriter, r *http.Request, v viewer) {
	d, err := h.loadActivity(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	h.render(w, r, http.StatusOK, "activity", v.T, &v.User, v.T.T("activity"), d)
}

// activityFeed answers the page's polling: {"newest": id, "html": the live
// part of the page}, rendered in the viewer's language.
func (h *handler) activityFeed(w http.ResponseWriter, r *http.Request, v viewer) {
	d, err := h.loadActivity(r, v)
	if err != nil {
		status, o := problem(v.T, err)
		writeJSON(w, status, o)
		return
	}
	var buf bytes.Buffer
	if err := h.pages["activity"].ExecuteTemplate(&buf, "live", pageData{T: v.T, User: &v.User, Path: "/activity", Data: d}); err != nil {
		h.log.ErrorContext(r.Context(), "render activity failed", "error", err)
		writeJSON(w, http.StatusInternalServerError, outcome{Outcome: "failed", Reason: v.T.T("e_other")})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]string{"newest": d.Newest, "html": buf.String()})
}
