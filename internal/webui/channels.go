package webui

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/connectors"
	"github.com/callimport/callimport/internal/source/genesys"
	"github.com/callimport/callimport/internal/store"
)

// Channels are the optional parts of the channel settings pages (SFTP,
// Genesys Cloud) and the activity view. A nil field turns its part off and
// the page says so; the pages themselves are always mounted.
type Channels struct {
	// Genesys is the Genesys Cloud channel; nil means the channel is off.
	Genesys *genesys.Service
	// Manager is the connectors' management service of the REST API: the
	// pages create, change and delete SFTP accounts and pull sources and
	// save the Genesys connection and rule through it (same validation
	// and sealing), and "Run now" makes a source or rule due for its
	// scheduler (runs happen in the background under its lease). nil turns
	// pull sources off and answers those changes 404; a Manager without a
	// pull runner hides the sources' "Run now". callimport serve always
	// sets it.
	Manager *connectors.Manager
	// SFTPAddress is the hosted SFTP server's address as customers reach it
	// (host:port); "" means the hosted server is off.
	SFTPAddress string
}

// channelPages are the templates of the channel pages.
var channelPages = []string{"settings_sftp", "settings_genesys", "activity"}

// quietAfter is how long without an imported call makes a connector "quiet".
const quietAfter = 24 * time.Hour

// routesChannels mounts the SFTP and Genesys settings pages and the
// activity view (administrators only).
func (h *handler) routesChannels(mux *http.ServeMux) {
	const sftp, gen = "/campaigns/{id}/settings/sftp", "/campaigns/{id}/settings/genesys"
	mux.HandleFunc("GET "+sftp, h.adminPage(h.sftpPage))
	mux.HandleFunc("POST "+sftp+"/accounts", h.adminPage(h.sftpAccountCreate))
	mux.HandleFunc("POST "+sftp+"/accounts/{acc}/disable", h.adminPage(h.sftpAccountDisable))
	mux.HandleFunc("POST "+sftp+"/accounts/{acc}/delete", h.adminPage(h.sftpAccountDelete))
	mux.HandleFunc("POST "+sftp+"/pull", h.adminPage(h.pullSave))
	mux.HandleFunc("POST "+sftp+"/pull/{src}/delete", h.adminPage(h.pullDelete))
	mux.HandleFunc("POST "+sftp+"/pull/{src}/run", h.adminPage(h.pullRun))
	mux.HandleFunc("GET "+gen, h.adminPage(h.genesysPage))
	mux.HandleFunc("POST "+gen+"/connection", h.adminPage(h.genesysConnSave))
	mux.HandleFunc("POST "+gen+"/test", h.adminPage(h.genesysTest))
	mux.HandleFunc("POST "+gen+"/rule", h.adminPage(h.genesysRuleSave))
	mux.HandleFunc("POST "+gen+"/run", h.adminPage(h.genesysRun))
	mux.HandleFunc("GET /activity", h.adminPage(h.activityPage))
	mux.HandleFunc("GET /activity/feed", h.adminPage(h.activityFeed))
}

// adminPage wraps the handler of every administrators' page (settings,
// channels, activity, audit, erasure): signed-out visitors go to /login,
// members get the 403 page (logged), and bodies are capped at 256 KiB.
func (h *handler) adminPage(fn func(http.ResponseWriter, *http.Request, viewer)) http.HandlerFunc {
	return h.page(func(w http.ResponseWriter, r *http.Request, v viewer) {
		if v.User.Role != store.RoleAdmin {
			h.log.InfoContext(r.Context(), "admin page refused to a member", "user_id", v.User.ID, "path", r.URL.Path)
			h.render(w, r, http.StatusForbidden, "forbidden", v.T, &v.User, v.T.T("forbidden"), nil)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
		fn(w, r, v)
	})
}

// fieldErrors maps a form field to its message in the viewer's language.
type fieldErrors map[string]string

// notice is the message shown at the top of a page after an action.
type notice struct {
	OK   bool
	Text string
}

// noticeOf reads the ?done= key of a redirect after a successful action.
func noticeOf(r *http.Request, t translator) *notice {
	k := r.URL.Query().Get("done")
	if k == "" || !strings.HasPrefix(k, "done_") {
		return nil
	}
	if _, ok := t.msgs[k]; !ok {
		return nil
	}
	return &notice{OK: true, Text: t.T(k)}
}

// redirectDone sends the browser back to path with a success notice.
func redirectDone(w http.ResponseWriter, r *http.Request, path, key string) {
	http.Redirect(w, r, path+"?done="+key, http.StatusSeeOther)
}

// intField parses a whole number in [lo, hi]; "" gives def.
func intField(errs fieldErrors, t translator, name, v string, def, lo, hi int) int {
	v = strings.TrimSpace(v)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		errs[name] = t.Tf("e_range", lo, hi)
		return def
	}
	return n
}

// floatField parses a number in [lo, hi]; "" gives 0.
func floatField(errs fieldErrors, t translator, name, v string, lo, hi float64) float64 {
	v = strings.TrimSpace(strings.ReplaceAll(v, ",", "."))
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < lo || f > hi {
		errs[name] = t.Tf("e_range", lo, hi)
		return 0
	}
	return f
}

// lastImport is the time of the newest run that imported calls, nil if none.
type connectorStatus struct {
	LastRun     *time.Time
	LastSuccess *time.Time
	LastImport  *time.Time
	LastError   string
	Failing     bool
	Quiet       bool
}

// quiet reports whether nothing arrived for quietAfter: since the last
// import, or since the connector was created when it never imported.
func quiet(lastImport *time.Time, created, now time.Time) bool {
	ref := created
	if lastImport != nil {
		ref = *lastImport
	}
	return !ref.IsZero() && now.Sub(ref) > quietAfter
}

// pullStatus summarises a pull source's runs (newest first).
func pullStatus(p store.PullSource, runs []store.PullRun, now time.Time) connectorStatus {
	var s connectorStatus
	for i := range runs {
		r := &runs[i]
		if s.LastRun == nil {
			s.LastRun = &r.FinishedAt
			s.LastError = r.Errors
			s.Failing = strings.HasPrefix(r.Errors, "run failed: ")
		}
		if s.LastSuccess == nil && !strings.HasPrefix(r.Errors, "run failed: ") {
			s.LastSuccess = &r.FinishedAt
		}
		if s.LastImport == nil && r.Imported > 0 {
			s.LastImport = &r.FinishedAt
		}
	}
	s.Quiet = quiet(s.LastImport, p.CreatedAt, now)
	return s
}

// genesysStatus summarises a rule's decoded runs (newest first).
func genesysStatus(created time.Time, runs []genesysRunView, now time.Time) connectorStatus {
	var s connectorStatus
	for i := range runs {
		r := &runs[i]
		if s.LastRun == nil {
			s.LastRun = &r.FinishedAt
			s.LastError = r.Error
			s.Failing = r.Error != ""
		}
		if s.LastSuccess == nil && r.Error == "" {
			s.LastSuccess = &r.FinishedAt
		}
		if s.LastImport == nil && r.Imported > 0 {
			s.LastImport = &r.FinishedAt
		}
	}
	s.Quiet = quiet(s.LastImport, created, now)
	return s
}

// campaignNotFound is the error of an object that is not in the path's campaign.
func campaignNotFound() error {
	return &call.Error{Code: call.CodeNotFound, Message: "not found"}
}
