package webui

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/connectors"
	"github.com/callimport/callimport/internal/store"
)

// minSFTPPassword is the shortest password accepted for an SFTP account.
const minSFTPPassword = 12

type sftpAccountRow struct {
	ID, Username         string
	HasPassword, HasKeys bool
	AllCampaigns         bool
	Disabled             bool
	CreatedAt            string
	KeyCount             int
}

type accountForm struct {
	Username, AuthorizedKeys string
	Errors                   fieldErrors
}

type pullForm struct {
	ID, Host, Port, Username, Fingerprint, Folder, Pattern string
	Recursive                                              bool
	Interval, MinAge, After, MoveFolder                    string
	PasswordSet, KeySet                                    bool
	Errors                                                 fieldErrors
}

type pullSourceView struct {
	Source              store.PullSource
	Runs                []store.PullRun
	Status              connectorStatus
	HasPassword, HasKey bool
}

type sftpPageData struct {
	Campaign    call.Campaign
	Notice      *notice
	Address     string
	Accounts    []sftpAccountRow
	AccountForm accountForm
	PullOn      bool
	RunOn       bool
	Sources     []pullSourceView
	PullForm    pullForm
}

func (h *handler) sftpStores() (store.SFTPAccounts, store.SFTPPull) {
	a, _ := h.cfg.Store.(store.SFTPAccounts)
	p, _ := h.cfg.Store.(store.SFTPPull)
	return a, p
}

// sftpData loads the page's lists; forms are filled by the caller.
func (h *handler) sftpData(r *http.Request, v viewer, camp call.Campaign) (sftpPageData, error) {
	d := sftpPageData{Campaign: camp, Address: h.cfg.SFTPAddress, RunOn: h.runOn(),
		PullForm: pullForm{Port: "22", Folder: ".", Interval: "15", MinAge: "60", After: "delete"}}
	accts, pulls := h.sftpStores()
	if accts != nil {
		list, err := accts.SFTPAccountList(r.Context(), v.User.OrgID)
		if err != nil {
			return d, unavailable(err)
		}
		for _, a := range list {
			if len(a.CampaignIDs) > 0 && !slices.Contains(a.CampaignIDs, camp.ID) {
				continue
			}
			d.Accounts = append(d.Accounts, sftpAccountRow{ID: a.ID, Username: a.Username, HasPassword: a.PasswordHash != "",
				HasKeys: strings.TrimSpace(a.AuthorizedKeys) != "", AllCampaigns: len(a.CampaignIDs) == 0,
				Disabled: a.Disabled, CreatedAt: formatTime(&a.CreatedAt), KeyCount: len(keyLines(a.AuthorizedKeys))})
		}
	}
	if pulls != nil && h.cfg.Manager != nil {
		d.PullOn = true
		list, err := pulls.PullSourceList(r.Context())
		if err != nil {
			return d, unavailable(err)
		}
		for _, p := range list {
			if p.OrgID != v.User.OrgID || p.CampaignID != camp.ID {
				continue
			}
			runs, err := pulls.PullRunList(r.Context(), p.ID, 20)
			if err != nil {
				return d, unavailable(err)
			}
			d.Sources = append(d.Sources, pullSourceView{Source: p, Runs: runs, Status: pullStatus(p, runs, h.cfg.Now()),
				HasPassword: p.PasswordSealed != "", HasKey: p.PrivateKeySealed != ""})
		}
	}
	return d, nil
}

func unavailable(err error) error {
	return &call.Error{Code: call.CodeUnavailable, Message: "storage is unavailable", Err: err}
}

func (h *handler) sftpPage(w http.ResponseWriter, r *http.Request, v viewer) {
	camp, err := h.campaignOf(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d, err := h.sftpData(r, v, camp)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d.Notice = noticeOf(r, v.T)
	if id := r.URL.Query().Get("edit"); id != "" {
		for _, s := range d.Sources {
			if s.Source.ID == id {
				d.PullForm = formOfSource(s.Source)
			}
		}
	}
	h.renderSFTP(w, r, v, http.StatusOK, d)
}

func (h *handler) renderSFTP(w http.ResponseWriter, r *http.Request, v viewer, status int, d sftpPageData) {
	h.render(w, r, status, "settings_sftp", v.T, &v.User, "SFTP — "+d.Campaign.Name, d)
}

func sftpPath(campaignID string) string {
	return "/campaigns/" + url.PathEscape(campaignID) + "/settings/sftp"
}

// keyLines returns the non-empty, non-comment lines of an authorized_keys text.
func keyLines(s string) []string {
	var out []string
	for l := range strings.Lines(s) {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// sftpAccountCreate creates an account limited to the path's campaign
// through the connectors' Manager (the API's validation); its field
// errors are shown in the viewer's language.
func (h *handler) sftpAccountCreate(w http.ResponseWriter, r *http.Request, v viewer) {
	camp, err := h.campaignOf(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	if h.cfg.Manager == nil {
		h.fail(w, r, v, campaignNotFound())
		return
	}
	f := accountForm{Username: strings.ToLower(strings.TrimSpace(r.PostFormValue("username"))),
		AuthorizedKeys: r.PostFormValue("authorized_keys"), Errors: fieldErrors{}}
	pw := r.PostFormValue("password")
	keys := keyLines(f.AuthorizedKeys)
	in := connectors.AccountInput{Username: &f.Username, PublicKeys: &keys, CampaignIDs: &[]string{camp.ID}}
	if pw != "" {
		in.Password = &pw
	}
	a, err := h.cfg.Manager.CreateAccount(r.Context(), v.User.OrgID, in)
	if err == nil {
		h.log.InfoContext(r.Context(), "sftp account created", "org_id", v.User.OrgID, "campaign_id", camp.ID, "by", v.User.ID)
		h.recordWeb(r, v, "web.sftp_account.create", "sftp_account", a.ID, map[string]string{"campaign_id": camp.ID})
		redirectDone(w, r, sftpPath(camp.ID), "done_account_created")
		return
	}
	ce, ok := errors.AsType[*call.Error](err)
	switch {
	case ok && ce.Code == call.CodeConflict:
		f.Errors["username"] = v.T.T("e_username_taken")
	case ok && ce.Code == call.CodeInvalid:
		for _, fe := range ce.Fields {
			switch fe.Field {
			case "username":
				f.Errors["username"] = v.T.T("e_username")
			case "public_keys":
				var i int
				if _, serr := fmt.Sscanf(fe.Reason, "item %d", &i); serr == nil && f.Errors["authorized_keys"] == "" {
					f.Errors["authorized_keys"] = v.T.Tf("e_key_line", i+1)
				}
			case "password":
				if pw != "" {
					f.Errors["password"] = v.T.Tf("e_password_short", minSFTPPassword)
				} else {
					f.Errors["password"] = v.T.T("e_password_or_key")
				}
			default:
				f.Errors["username"] = fe.Field + ": " + fe.Reason
			}
		}
	default:
		h.fail(w, r, v, err)
		return
	}
	d, err := h.sftpData(r, v, camp)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d.AccountForm = f
	h.renderSFTP(w, r, v, http.StatusUnprocessableEntity, d)
}

// accountOf returns the path's account, which must be in the viewer's
// organisation and allowed into the path's campaign.
func (h *handler) accountOf(r *http.Request, v viewer, accts store.SFTPAccounts, campaignID string) (store.SFTPAccount, error) {
	if accts == nil {
		return store.SFTPAccount{}, campaignNotFound()
	}
	a, err := accts.SFTPAccountGet(r.Context(), v.User.OrgID, r.PathValue("acc"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && len(a.CampaignIDs) > 0 && !slices.Contains(a.CampaignIDs, campaignID)) {
		return store.SFTPAccount{}, campaignNotFound()
	}
	if err != nil {
		return store.SFTPAccount{}, unavailable(err)
	}
	return a, nil
}

// sftpAccountDisable disables (disabled=1) or enables (disabled=0) an account.
func (h *handler) sftpAccountDisable(w http.ResponseWriter, r *http.Request, v viewer) {
	camp, err := h.campaignOf(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	accts, _ := h.sftpStores()
	a, err := h.accountOf(r, v, accts, camp.ID)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	off := r.PostFormValue("disabled") != "0"
	if h.cfg.Manager == nil {
		h.fail(w, r, v, campaignNotFound())
		return
	}
	if _, err := h.cfg.Manager.UpdateAccount(r.Context(), v.User.OrgID, a.ID, connectors.AccountInput{Disabled: &off}); err != nil {
		h.fail(w, r, v, err)
		return
	}
	key := "done_account_enabled"
	if off {
		key = "done_account_disabled"
	}
	h.recordWeb(r, v, "web.sftp_account.disable", "sftp_account", a.ID, map[string]string{"disabled": strconv.FormatBool(off)})
	redirectDone(w, r, sftpPath(camp.ID), key)
}

func (h *handler) sftpAccountDelete(w http.ResponseWriter, r *http.Request, v viewer) {
	camp, err := h.campaignOf(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	accts, _ := h.sftpStores()
	a, err := h.accountOf(r, v, accts, camp.ID)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	if h.cfg.Manager == nil {
		h.fail(w, r, v, campaignNotFound())
		return
	}
	if err := h.cfg.Manager.DeleteAccount(r.Context(), v.User.OrgID, a.ID); err != nil {
		h.fail(w, r, v, err)
		return
	}
	h.recordWeb(r, v, "web.sftp_account.delete", "sftp_account", a.ID, nil)
	redirectDone(w, r, sftpPath(camp.ID), "done_account_deleted")
}

// sourceOf returns the path's pull source, which must belong to the
// viewer's organisation and the path's campaign.
func (h *handler) sourceOf(r *http.Request, v viewer, pulls store.SFTPPull, campaignID, id string) (store.PullSource, error) {
	if pulls == nil {
		return store.PullSource{}, campaignNotFound()
	}
	p, err := pulls.PullSourceGet(r.Context(), v.User.OrgID, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && p.CampaignID != campaignID) {
		return store.PullSource{}, campaignNotFound()
	}
	if err != nil {
		return store.PullSource{}, unavailable(err)
	}
	return p, nil
}

func formOfSource(p store.PullSource) pullForm {
	f := pullForm{ID: p.ID, Host: p.Host, Port: strconv.Itoa(p.Port), Username: p.Username, Fingerprint: p.HostKeyFingerprint,
		Folder: p.Folder, Pattern: p.Pattern, Recursive: p.Recursive, Interval: strconv.Itoa(max(p.IntervalSeconds/60, 1)),
		MinAge: strconv.Itoa(p.MinAgeSeconds), After: p.AfterAction, PasswordSet: p.PasswordSealed != "", KeySet: p.PrivateKeySealed != ""}
	if folder, ok := strings.CutPrefix(p.AfterAction, "move:"); ok {
		f.After, f.MoveFolder = "move", folder
	}
	return f
}

// pullSave creates a pull source or replaces the one named by the form's
// id through the connectors' Manager (the API's validation and sealing);
// its field errors are shown in the viewer's language. A blank password
// or private key keeps the stored one.
func (h *handler) pullSave(w http.ResponseWriter, r *http.Request, v viewer) {
	camp, err := h.campaignOf(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	_, pulls := h.sftpStores()
	if pulls == nil || h.cfg.Manager == nil {
		h.fail(w, r, v, campaignNotFound())
		return
	}
	t := v.T
	fv := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := pullForm{ID: fv("id"), Host: fv("host"), Port: fv("port"), Username: fv("username"), Fingerprint: fv("fingerprint"),
		Folder: fv("folder"), Pattern: fv("pattern"), Recursive: r.PostFormValue("recursive") != "", Interval: fv("interval"),
		MinAge: fv("min_age"), After: fv("after"), MoveFolder: fv("move_folder"), Errors: fieldErrors{}}
	password, key := r.PostFormValue("password"), strings.TrimSpace(r.PostFormValue("private_key"))
	if f.ID != "" {
		old, err := h.sourceOf(r, v, pulls, camp.ID, f.ID)
		if err != nil {
			h.fail(w, r, v, err)
			return
		}
		f.PasswordSet, f.KeySet = old.PasswordSealed != "", old.PrivateKeySealed != ""
	}
	if f.Folder == "" {
		f.Folder = "."
	}
	// Numbers are parsed here; their bounds are the Manager's.
	port := intField(f.Errors, t, "port", f.Port, 22, math.MinInt32, math.MaxInt32)
	interval := intField(f.Errors, t, "interval", f.Interval, 15, math.MinInt32/60, math.MaxInt32/60)
	minAge := intField(f.Errors, t, "min_age", f.MinAge, 60, math.MinInt32, math.MaxInt32)
	after := f.After
	if after == "move" {
		after = "move:" + f.MoveFolder
		if f.MoveFolder == "" {
			f.Errors["move_folder"] = t.T("e_required")
		}
	}
	if len(f.Errors) == 0 {
		intervalS, on := interval*60, true
		in := connectors.PullSourceInput{Host: &f.Host, Port: &port, Username: &f.Username, HostKeyFingerprint: &f.Fingerprint,
			Folder: &f.Folder, Pattern: &f.Pattern, Recursive: &f.Recursive, IntervalSeconds: &intervalS,
			MinAgeSeconds: &minAge, AfterAction: &after, Enabled: &on}
		if password != "" {
			in.Password = &password
		}
		if key != "" {
			in.PrivateKey = &key
		}
		var p connectors.PullSource
		if f.ID == "" {
			p, err = h.cfg.Manager.CreatePullSource(r.Context(), v.User.OrgID, camp.ID, in)
		} else {
			p, err = h.cfg.Manager.UpdatePullSource(r.Context(), v.User.OrgID, f.ID, in)
		}
		if err == nil {
			h.log.InfoContext(r.Context(), "pull source saved", "org_id", v.User.OrgID, "source", p.ID, "by", v.User.ID)
			h.recordWeb(r, v, "web.pull_source.save", "pull_source", p.ID, map[string]string{"campaign_id": camp.ID})
			redirectDone(w, r, sftpPath(camp.ID), "done_source_saved")
			return
		}
		ce, ok := errors.AsType[*call.Error](err)
		if !ok || ce.Code != call.CodeInvalid {
			h.fail(w, r, v, err)
			return
		}
		pullFieldErrors(f.Errors, t, ce.Fields)
	}
	d, err := h.sftpData(r, v, camp)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d.PullForm = f
	h.renderSFTP(w, r, v, http.StatusUnprocessableEntity, d)
}

// pullFieldErrors puts the Manager's field errors of a pull source on the
// form's fields, in the viewer's language.
func pullFieldErrors(errs fieldErrors, t translator, fields []call.FieldError) {
	for _, fe := range fields {
		switch fe.Field {
		case "host":
			errs["host"] = t.T("e_host")
		case "port":
			errs["port"] = t.Tf("e_range", 1, 65535)
		case "username":
			errs["username"] = t.T("e_required")
		case "host_key_fingerprint":
			errs["fingerprint"] = t.T("e_fingerprint")
		case "pattern":
			errs["pattern"] = t.T("e_pattern")
		case "interval_seconds":
			errs["interval"] = t.Tf("e_range", 1, 7*24*60)
		case "min_age_seconds":
			errs["min_age"] = t.Tf("e_range", 0, 7*24*3600)
		case "after_action":
			errs["after"] = t.T("e_after")
		case "private_key":
			errs["private_key"] = t.T("e_private_key")
		case "password":
			errs["password"] = t.T("e_password_or_key")
		default:
			errs["host"] = fe.Field + ": " + fe.Reason
		}
	}
}

func (h *handler) pullDelete(w http.ResponseWriter, r *http.Request, v viewer) {
	camp, err := h.campaignOf(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	_, pulls := h.sftpStores()
	p, err := h.sourceOf(r, v, pulls, camp.ID, r.PathValue("src"))
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	if h.cfg.Manager == nil {
		h.fail(w, r, v, campaignNotFound())
		return
	}
	// The Manager removes its schedule too.
	if err := h.cfg.Manager.DeletePullSource(r.Context(), v.User.OrgID, p.ID); err != nil {
		h.fail(w, r, v, err)
		return
	}
	h.recordWeb(r, v, "web.pull_source.delete", "pull_source", p.ID, nil)
	redirectDone(w, r, sftpPath(camp.ID), "done_source_deleted")
}

// pullRun makes a source due at once through the Manager (RunPullSourceNow):
// the scheduler runs it in the background under its database lease (one
// run at a time across processes) and the history shows the outcome.
func (h *handler) pullRun(w http.ResponseWriter, r *http.Request, v viewer) {
	camp, err := h.campaignOf(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	_, pulls := h.sftpStores()
	p, err := h.sourceOf(r, v, pulls, camp.ID, r.PathValue("src"))
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	if !h.runOn() {
		h.fail(w, r, v, campaignNotFound())
		return
	}
	if err := h.cfg.Manager.RunPullSourceNow(r.Context(), v.User.OrgID, p.ID); err != nil {
		h.fail(w, r, v, err)
		return
	}
	h.recordWeb(r, v, "web.pull_source.run", "pull_source", p.ID, nil)
	redirectDone(w, r, sftpPath(camp.ID), "done_source_ran")
}

// runOn reports whether pull sources can be run from the page.
func (h *handler) runOn() bool { return h.cfg.Manager != nil && h.cfg.Manager.Pull() != nil }
