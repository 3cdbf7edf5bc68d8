package webui

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// pageSize is the number of calls per page of a campaign.
const pageSize = 50

func (h *handler) campaigns(w http.ResponseWriter, r *http.Request, v viewer) {
	list, err := h.cfg.Store.CampaignList(r.Context(), v.User.OrgID)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	h.render(w, r, http.StatusOK, "campaigns", v.T, &v.User, v.T.T("campaigns"), list)
}

type campaignData struct {
	Campaign call.Campaign
	Calls    []call.Call
	Status   string
	Statuses []string
	Source   string
	Sources  []string
	Agent    string
	Next     string // URL of the next page, "" on the last
	First    string // URL of the first page, "" on it
}

// campaign lists a campaign's calls, newest first, filtered by status and
// paged by the store's cursor.
func (h *handler) campaign(w http.ResponseWriter, r *http.Request, v viewer) {
	camp, err := h.campaignOf(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	q := r.URL.Query()
	p := store.CallListParams{OrgID: v.User.OrgID, CampaignID: camp.ID, Cursor: q.Get("cursor"), Limit: pageSize}
	if s := call.Status(q.Get("status")); s.Valid() {
		p.Status = s
	}
	if s := call.Source(q.Get("source")); s.Valid() {
		p.Source = s
	}
	if a := strings.TrimSpace(q.Get("agent")); a != "" && call.CheckEmail(a) == "" {
		p.AgentEmail = a
	}
	calls, next, err := h.cfg.Store.CallList(r.Context(), p)
	if errors.Is(err, store.ErrInvalidCursor) {
		p.Cursor = ""
		calls, next, err = h.cfg.Store.CallList(r.Context(), p)
	}
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	h.recordWeb(r, v, "web.calls.list", "campaign", camp.ID, map[string]string{"count": strconv.Itoa(len(calls))})
	d := campaignData{Campaign: camp, Calls: calls, Status: string(p.Status), Source: string(p.Source), Agent: p.AgentEmail,
		Statuses: []string{"received", "processing", "imported", "rejected"},
		Sources:  []string{"web", "api", "sftp", "sftp_pull", "genesys"}}
	base := url.Values{}
	for k, v := range map[string]string{"status": string(p.Status), "source": string(p.Source), "agent": p.AgentEmail} {
		if v != "" {
			base.Set(k, v)
		}
	}
	if next != "" {
		nq := url.Values{"cursor": {next}}
		for k, v := range base {
			nq[k] = v
		}
		d.Next = "/campaigns/" + url.PathEscape(camp.ID) + "?" + nq.Encode()
	}
	if p.Cursor != "" {
		d.First = "/campaigns/" + url.PathEscape(camp.ID)
		if len(base) > 0 {
			d.First += "?" + base.Encode()
		}
	}
	h.render(w, r, http.StatusOK, "campaign", v.T, &v.User, camp.Name, d)
}

// campaignOf returns the campaign of the path in the viewer's organisation;
// another organisation's campaign is CodeNotFound, like an unknown one.
func (h *handler) campaignOf(r *http.Request, v viewer) (call.Campaign, error) {
	c, err := h.cfg.Store.CampaignGet(r.Context(), v.User.OrgID, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return call.Campaign{}, &call.Error{Code: call.CodeNotFound, Message: "no such campaign", Err: err}
	}
	if err != nil {
		return call.Campaign{}, &call.Error{Code: call.CodeUnavailable, Message: "storage is unavailable", Err: err}
	}
	return c, nil
}

// callOf returns the call of the path, which must belong to the campaign of
// the path in the viewer's organisation.
func (h *handler) callOf(r *http.Request, v viewer) (call.Call, error) {
	c, err := h.cfg.Store.CallGet(r.Context(), v.User.OrgID, r.PathValue("call"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.CampaignID != r.PathValue("id")) {
		return call.Call{}, &call.Error{Code: call.CodeNotFound, Message: "no such call"}
	}
	if err != nil {
		return call.Call{}, &call.Error{Code: call.CodeUnavailable, Message: "storage is unavailable", Err: err}
	}
	return c, nil
}

// callStatus answers the import page's polling with the call's outcome.
func (h *handler) callStatus(w http.ResponseWriter, r *http.Request, v viewer) {
	c, err := h.callOf(r, v)
	if err != nil {
		status, o := problem(v.T, err)
		writeJSON(w, status, o)
		return
	}
	writeJSON(w, http.StatusOK, outcomeOf(v.T, c, false))
}

// outcomeOf describes where call c stands for the import page.
func outcomeOf(t translator, c call.Call, duplicate bool) outcome {
	o := outcome{CallID: c.ID, Status: c.Status, Reason: t.Reason(c.RejectionReason)}
	if c.Audio != nil {
		o.Duration = c.Audio.DurationSeconds
	}
	switch {
	case duplicate:
		o.Outcome = "duplicate"
	case c.Status == call.StatusImported:
		o.Outcome = "imported"
	case c.Status == call.StatusRejected:
		o.Outcome = "rejected"
	default:
		o.Outcome = "checking"
	}
	return o
}
