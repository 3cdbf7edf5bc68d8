package webui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// campaignForm is the campaign settings form as typed.
type campaignForm struct {
	Name, Description, RetentionDays string
	RequireMetadata                  bool
}

// campaignSettingsData is what the campaign settings page shows.
type campaignSettingsData struct {
	Campaign call.Campaign
	Form     campaignForm
	Errors   fieldErrors
	Notice   *notice
}

func (h *handler) campaignSettingsPage(w http.ResponseWriter, r *http.Request, v viewer) {
	c, err := h.campaignOf(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	f := campaignForm{Name: c.Name, Description: c.Description, RetentionDays: strconv.Itoa(c.RetentionDays),
		RequireMetadata: c.RequireMetadata}
	h.render(w, r, http.StatusOK, "campaign_settings", v.T, &v.User, c.Name,
		campaignSettingsData{Campaign: c, Form: f, Errors: fieldErrors{}, Notice: noticeOf(r, v.T)})
}

// campaignSettingsSave changes the campaign's name, description, retention
// and metadata requirement, validated as PATCH /v1/campaigns/{id} does:
// a name of 1 to 200 characters (trimmed), a description of at most 2000,
// a retention from 0 (keep forever) to 36500 days.
func (h *handler) campaignSettingsSave(w http.ResponseWriter, r *http.Request, v viewer) {
	c, err := h.campaignOf(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	if r.ParseForm() != nil {
		h.fail(w, r, v, &call.Error{Code: call.CodeMalformed, Message: "unreadable form"})
		return
	}
	f := campaignForm{Name: strings.TrimSpace(r.PostForm.Get("name")), Description: r.PostForm.Get("description"),
		RetentionDays: strings.TrimSpace(r.PostForm.Get("retention_days")), RequireMetadata: r.PostForm.Get("require_metadata") == "on"}
	errs := fieldErrors{}
	if f.Name == "" || utf8.RuneCountInString(f.Name) > 200 || !utf8.ValidString(f.Name) {
		errs["name"] = v.T.T("cs_bad_name")
	}
	if utf8.RuneCountInString(f.Description) > 2000 || !utf8.ValidString(f.Description) {
		errs["description"] = v.T.T("cs_bad_description")
	}
	days := intField(errs, v.T, "retention_days", f.RetentionDays, 0, 0, 36500)
	if len(errs) > 0 {
		h.render(w, r, http.StatusUnprocessableEntity, "campaign_settings", v.T, &v.User, c.Name,
			campaignSettingsData{Campaign: c, Form: f, Errors: errs})
		return
	}
	var changed []string
	for _, ch := range []struct {
		name string
		diff bool
	}{{"name", f.Name != c.Name}, {"description", f.Description != c.Description},
		{"retention_days", days != c.RetentionDays}, {"require_metadata", f.RequireMetadata != c.RequireMetadata}} {
		if ch.diff {
			changed = append(changed, ch.name)
		}
	}
	if _, err := h.cfg.Store.CampaignUpdate(r.Context(), store.CampaignUpdateParams{OrgID: v.User.OrgID, ID: c.ID,
		Name: &f.Name, Description: &f.Description, RetentionDays: &days, RequireMetadata: &f.RequireMetadata}); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			errs["name"] = v.T.T("cs_name_taken")
			h.render(w, r, http.StatusConflict, "campaign_settings", v.T, &v.User, c.Name,
				campaignSettingsData{Campaign: c, Form: f, Errors: errs})
			return
		}
		h.fail(w, r, v, err)
		return
	}
	h.recordWeb(r, v, "web.campaign.update", "campaign", c.ID, map[string]string{"fields": strings.Join(changed, ",")})
	redirectDone(w, r, "/campaigns/"+c.ID+"/settings", "done_campaign")
}
