package webui

import (
	"errors"
	"net/http"
	"strings"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/privacy"
)

// adminPageNames are the templates of the audit, erasure and campaign
// settings pages.
var adminPageNames = []string{"settings_audit", "settings_privacy", "settings_erasure", "campaign_settings"}

// privacyData is what the erasure request page shows. The searched value
// is never shown back, not even after a refused request.
type privacyData struct {
	Enabled   bool
	Campaigns []call.Campaign
	// Names are the campaigns' names by id.
	Names    map[string]string
	Erasures []privacy.Erasure
	Errors   fieldErrors
	Error    string
}

func (h *handler) privacyPage(w http.ResponseWriter, r *http.Request, v viewer) {
	h.renderPrivacy(w, r, v, http.StatusOK, privacyData{})
}

func (h *handler) renderPrivacy(w http.ResponseWriter, r *http.Request, v viewer, status int, d privacyData) {
	d.Enabled = h.cfg.Privacy != nil
	if d.Errors == nil {
		d.Errors = fieldErrors{}
	}
	if d.Enabled {
		var err error
		if d.Campaigns, err = h.cfg.Store.CampaignList(r.Context(), v.User.OrgID); err == nil {
			d.Erasures, err = h.cfg.Privacy.ListErasures(r.Context(), v.User.OrgID, 100)
		}
		if err != nil {
			h.fail(w, r, v, err)
			return
		}
		d.Names = make(map[string]string, len(d.Campaigns))
		for _, c := range d.Campaigns {
			d.Names[c.ID] = c.Name
		}
	}
	h.render(w, r, status, "settings_privacy", v.T, &v.User, v.T.T("privacy_title"), d)
}

// privacyRequest asks for an erasure of the calls of exactly one of a
// call id, an agent e-mail or a metadata pair (in one campaign or all),
// then shows the erasure (its receipt once done).
func (h *handler) privacyRequest(w http.ResponseWriter, r *http.Request, v viewer) {
	if h.cfg.Privacy == nil {
		h.notFound(w, r)
		return
	}
	if r.ParseForm() != nil {
		h.renderPrivacy(w, r, v, http.StatusBadRequest, privacyData{Error: v.T.T("e_other")})
		return
	}
	f := r.PostForm
	req := privacy.ErasureRequest{OrgID: v.User.OrgID, CampaignID: f.Get("campaign_id"),
		CallID: strings.TrimSpace(f.Get("call_id")), AgentEmail: strings.TrimSpace(f.Get("agent_email")),
		Actor: audit.Actor{Type: audit.ActorUser, ID: v.User.ID}, SourceIP: audit.RemoteIP(r.RemoteAddr),
		Client: audit.ClientName(r.UserAgent())}
	key, value := strings.TrimSpace(f.Get("meta_key")), f.Get("meta_value")
	if key != "" || value != "" {
		req.Metadata = &call.MetaPair{Key: key, Value: value}
	}
	errs := fieldErrors{}
	set := 0
	for _, on := range []bool{req.CallID != "", req.AgentEmail != "", req.Metadata != nil} {
		if on {
			set++
		}
	}
	if set != 1 {
		errs["criterion"] = v.T.T("er_one")
	}
	if f.Get("confirm") != "yes" {
		errs["confirm"] = v.T.T("er_confirm_needed")
	}
	if len(errs) > 0 {
		h.renderPrivacy(w, r, v, http.StatusUnprocessableEntity, privacyData{Errors: errs})
		return
	}
	e, err := h.cfg.Privacy.RequestErasure(r.Context(), req)
	if err != nil {
		if ce, ok := errors.AsType[*call.Error](err); ok && ce.Code == call.CodeInvalid {
			for _, fe := range ce.Fields {
				name := strings.SplitN(fe.Field, ".", 2)[0]
				if name == "call_id" {
					name = "criterion"
				}
				errs[name] = v.T.T("er_bad_" + name)
			}
			h.renderPrivacy(w, r, v, http.StatusUnprocessableEntity, privacyData{Errors: errs})
			return
		}
		if call.ErrorCode(err) == call.CodeNotFound {
			errs["criterion"] = v.T.T("er_not_found")
			h.renderPrivacy(w, r, v, http.StatusUnprocessableEntity, privacyData{Errors: errs})
			return
		}
		h.fail(w, r, v, err)
		return
	}
	h.log.InfoContext(r.Context(), "erasure requested on the web", "user_id", v.User.ID, "erasure_id", e.ID)
	redirectDone(w, r, "/settings/privacy/"+e.ID, "done_erasure")
}

// erasureData is what an erasure's page shows.
type erasureData struct {
	Erasure privacy.Erasure
	Notice  *notice
}

// erasurePage shows one erasure of the organisation with its receipt.
func (h *handler) erasurePage(w http.ResponseWriter, r *http.Request, v viewer) {
	if h.cfg.Privacy == nil {
		h.notFound(w, r)
		return
	}
	e, err := h.cfg.Privacy.GetErasure(r.Context(), v.User.OrgID, r.PathValue("erasure"))
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	h.render(w, r, http.StatusOK, "settings_erasure", v.T, &v.User, v.T.T("erasure_title"),
		erasureData{Erasure: e, Notice: noticeOf(r, v.T)})
}
