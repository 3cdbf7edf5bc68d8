package webui

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/source/sftppull"
	"github.com/callimport/callimport/internal/store"
)

var (
	usernameRe    = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)
	fingerprintRe = regexp.MustCompile(`^SHA256:[A-Za-z0-9+/]{43}=?$`)
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
	d := sftpPageData{Campaign: camp, Address: h.cfg.SFTPAddress, RunOn: h.cfg.PullRunner != nil,
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
	if pulls != nil {
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

// sftpAccountCreate creates an account limited to the path's campaign.
func (h *handler) sftpAccountCreate(w http.ResponseWriter, r *http.Request, v viewer) {
	camp, err := h.campaignOf(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	accts, _ := h.sftpStores()
	if accts == nil {
		h.fail(w, r, v, campaignNotFound())
		return
	}
	f := accountForm{Username: strings.ToLower(strings.TrimSpace(r.PostFormValue("username"))),
		AuthorizedKeys: r.PostFormValue("authorized_keys"), Errors: fieldErrors{}}
	pw := r.PostFormValue("password")
	if !usernameRe.MatchString(f.Username) {
		f.Errors["username"] = v.T.T("e_username")
	}
	keys := keyLines(f.AuthorizedKeys)
	for i, l := range keys {
		if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(l)); err != nil {
			f.Errors["authorized_keys"] = v.T.Tf("e_key_line", i+1)
			break
		}
	}
	switch {
	case pw != "" && len(pw) < minSFTPPassword:
		f.Errors["password"] = v.T.Tf("e_password_short", minSFTPPassword)
	case pw == "" && len(keys) == 0:
		f.Errors["password"] = v.T.T("e_password_or_key")
	}
	if len(f.Errors) == 0 {
		hash := ""
		if pw != "" {
			hash = auth.HashPassword(pw)
		}
		_, err = accts.SFTPAccountCreate(r.Context(), store.SFTPAccountCreateParams{OrgID: v.User.OrgID, Username: f.Username,
			PasswordHash: hash, AuthorizedKeys: strings.Join(keys, "\n"), CampaignIDs: []string{camp.ID}})
		switch {
		case errors.Is(err, store.ErrAlreadyExists):
			f.Errors["username"] = v.T.T("e_username_taken")
		case err != nil:
			h.fail(w, r, v, unavailable(err))
			return
		default:
			h.log.InfoContext(r.Context(), "sftp account created", "org_id", v.User.OrgID, "campaign_id", camp.ID, "by", v.User.ID)
			h.recordWeb(r, v, "web.sftp_account.create", "campaign", camp.ID, nil)
			redirectDone(w, r, sftpPath(camp.ID), "done_account_created")
			return
		}
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
	if _, err := accts.SFTPAccountUpdate(r.Context(), store.SFTPAccountUpdateParams{OrgID: v.User.OrgID, ID: a.ID, Disabled: &off}); err != nil {
		h.fail(w, r, v, unavailable(err))
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
	if err := accts.SFTPAccountDelete(r.Context(), v.User.OrgID, a.ID); err != nil {
		h.fail(w, r, v, unavailable(err))
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
// id. A blank password or private key keeps the stored one.
func (h *handler) pullSave(w http.ResponseWriter, r *http.Request, v viewer) {
	camp, err := h.campaignOf(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	_, pulls := h.sftpStores()
	if pulls == nil {
		h.fail(w, r, v, campaignNotFound())
		return
	}
	t := v.T
	fv := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := pullForm{ID: fv("id"), Host: fv("host"), Port: fv("port"), Username: fv("username"), Fingerprint: fv("fingerprint"),
		Folder: fv("folder"), Pattern: fv("pattern"), Recursive: r.PostFormValue("recursive") != "", Interval: fv("interval"),
		MinAge: fv("min_age"), After: fv("after"), MoveFolder: fv("move_folder"), Errors: fieldErrors{}}
	password, key := r.PostFormValue("password"), strings.TrimSpace(r.PostFormValue("private_key"))
	var old store.PullSource
	if f.ID != "" {
		if old, err = h.sourceOf(r, v, pulls, camp.ID, f.ID); err != nil {
			h.fail(w, r, v, err)
			return
		}
		f.PasswordSet, f.KeySet = old.PasswordSealed != "", old.PrivateKeySealed != ""
	}
	if f.Host == "" || strings.ContainsAny(f.Host, " /@") || (strings.Contains(f.Host, ":") && net.ParseIP(f.Host) == nil) {
		f.Errors["host"] = t.T("e_host")
	}
	port := intField(f.Errors, t, "port", f.Port, 22, 1, 65535)
	if f.Username == "" {
		f.Errors["username"] = t.T("e_required")
	}
	if !fingerprintRe.MatchString(f.Fingerprint) {
		f.Errors["fingerprint"] = t.T("e_fingerprint")
	}
	if f.Folder == "" {
		f.Folder = "."
	}
	if _, err := path.Match(f.Pattern, ""); err != nil {
		f.Errors["pattern"] = t.T("e_pattern")
	}
	interval := intField(f.Errors, t, "interval", f.Interval, 15, 1, 7*24*60)
	minAge := intField(f.Errors, t, "min_age", f.MinAge, 60, 0, 7*24*3600)
	after := f.After
	if after == "move" {
		after = "move:" + f.MoveFolder
		if f.MoveFolder == "" {
			f.Errors["move_folder"] = t.T("e_required")
		}
	}
	if _, err := sftppull.ParseAction(after); err != nil && f.Errors["move_folder"] == "" {
		f.Errors["after"] = t.T("e_after")
	}
	if key != "" {
		if _, err := ssh.ParsePrivateKey([]byte(key)); err != nil {
			f.Errors["private_key"] = t.T("e_private_key")
		}
	}
	if (password != "" || key != "") && h.cfg.PullSealer == nil {
		f.Errors["password"] = t.T("e_no_secret_key")
	}
	if password == "" && key == "" && !f.PasswordSet && !f.KeySet {
		f.Errors["password"] = t.T("e_password_or_key")
	}
	if len(f.Errors) == 0 {
		ps, ks, err := sftppull.SealSecrets(h.cfg.PullSealer, v.User.OrgID, password, key)
		if err != nil {
			h.fail(w, r, v, err)
			return
		}
		if ps == "" {
			ps = old.PasswordSealed
		}
		if ks == "" {
			ks = old.PrivateKeySealed
		}
		p, err := pulls.PullSourcePut(r.Context(), store.PullSourcePutParams{ID: f.ID, OrgID: v.User.OrgID, CampaignID: camp.ID,
			Host: f.Host, Port: port, Username: f.Username, PasswordSealed: ps, PrivateKeySealed: ks,
			HostKeyFingerprint: f.Fingerprint, Folder: f.Folder, Pattern: f.Pattern, Recursive: f.Recursive,
			IntervalSeconds: interval * 60, MinAgeSeconds: minAge, AfterAction: after, Enabled: true})
		if err != nil {
			h.fail(w, r, v, unavailable(err))
			return
		}
		h.log.InfoContext(r.Context(), "pull source saved", "org_id", v.User.OrgID, "source", p.ID, "by", v.User.ID)
		h.recordWeb(r, v, "web.pull_source.save", "pull_source", p.ID, map[string]string{"campaign_id": camp.ID})
		redirectDone(w, r, sftpPath(camp.ID), "done_source_saved")
		return
	}
	d, err := h.sftpData(r, v, camp)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d.PullForm = f
	h.renderSFTP(w, r, v, http.StatusUnprocessableEntity, d)
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
	if err := pulls.PullSourceDelete(r.Context(), v.User.OrgID, p.ID); err != nil {
		h.fail(w, r, v, unavailable(err))
		return
	}
	h.recordWeb(r, v, "web.pull_source.delete", "pull_source", p.ID, nil)
	redirectDone(w, r, sftpPath(camp.ID), "done_source_deleted")
}

// pullRun runs a source once, now, and records the run in its history.
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
	if h.cfg.PullRunner == nil {
		h.fail(w, r, v, campaignNotFound())
		return
	}
	if _, err := h.cfg.PullRunner.RunStored(r.Context(), pulls, h.cfg.PullSealer, p); err != nil {
		h.log.WarnContext(r.Context(), "pull run failed", "source", p.ID, "error", err.Error())
	}
	h.recordWeb(r, v, "web.pull_source.run", "pull_source", p.ID, nil)
	redirectDone(w, r, sftpPath(camp.ID), "done_source_ran")
}
