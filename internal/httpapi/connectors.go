package httpapi

import (
	"net/http"
	"strconv"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/connectors"
	"github.com/callimport/callimport/internal/store"
)

// routesConnectors registers the management of the import channels: the
// hosted SFTP server's accounts, SFTP pull sources, and the Genesys Cloud
// connection and export rules (internal/connectors does the work).
func (s *Server) routesConnectors() {
	read, admin := store.ScopeCallsRead, store.ScopeAdmin

	s.handle("POST /v1/sftp-accounts", s.authed(admin, s.createSFTPAccount))
	s.handle("GET /v1/sftp-accounts", s.authed(admin, s.listSFTPAccounts))
	s.handle("GET /v1/sftp-accounts/{id}", s.authed(admin, s.getSFTPAccount))
	s.handle("PATCH /v1/sftp-accounts/{id}", s.authed(admin, s.updateSFTPAccount))
	s.handle("DELETE /v1/sftp-accounts/{id}", s.authed(admin, s.deleteSFTPAccount))

	s.handle("POST /v1/campaigns/{id}/pull-sources", s.authed(admin, s.createPullSource))
	s.handle("GET /v1/campaigns/{id}/pull-sources", s.authed(read, s.listCampaignPullSources))
	s.handle("GET /v1/pull-sources", s.authed(read, s.listPullSources))
	s.handle("GET /v1/pull-sources/{id}", s.authed(read, s.getPullSource))
	s.handle("PATCH /v1/pull-sources/{id}", s.authed(admin, s.updatePullSource))
	s.handle("DELETE /v1/pull-sources/{id}", s.authed(admin, s.deletePullSource))
	s.handle("POST /v1/pull-sources/{id}/run", s.authed(admin, s.runPullSource))
	s.handle("GET /v1/pull-sources/{id}/runs", s.authed(read, s.listPullRuns))

	s.handle("PUT /v1/genesys/connection", s.authed(admin, s.putGenesysConnection))
	s.handle("GET /v1/genesys/connection", s.authed(admin, s.getGenesysConnection))
	s.handle("DELETE /v1/genesys/connection", s.authed(admin, s.deleteGenesysConnection))
	s.handle("POST /v1/genesys/connection/test", s.authed(admin, s.testGenesysConnection))
	s.handle("GET /v1/genesys/rules", s.authed(read, s.listGenesysRules))
	s.handle("PUT /v1/campaigns/{id}/genesys-rule", s.authed(admin, s.putGenesysRule))
	s.handle("GET /v1/campaigns/{id}/genesys-rule", s.authed(read, s.getGenesysRule))
	s.handle("DELETE /v1/campaigns/{id}/genesys-rule", s.authed(admin, s.deleteGenesysRule))
	s.handle("GET /v1/campaigns/{id}/genesys-rule/runs", s.authed(read, s.listGenesysRuns))
	s.handle("POST /v1/campaigns/{id}/genesys-rule/preview", s.authed(admin, s.previewGenesysRule))
}

// connectors returns the manager, or answers 503 when the server has none.
func (s *Server) connectors(w http.ResponseWriter, r *http.Request) (*connectors.Manager, bool) {
	if s.cfg.Connectors == nil {
		s.writeError(w, r, call.Errorf(call.CodeUnavailable, "the import channels are not configured on this server"))
		return nil, false
	}
	return s.cfg.Connectors, true
}

// listOf answers {"data": items}.
func listOf[T any](w http.ResponseWriter, items []T) {
	if items == nil {
		items = []T{}
	}
	writeJSON(w, http.StatusOK, struct {
		Data []T `json:"data"`
	}{items})
}

// runsLimit reads ?limit= (1 to 100, default 20).
func runsLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 20, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100 {
		return 0, &call.Error{Code: call.CodeInvalid, Message: "invalid limit",
			Fields: []call.FieldError{{Field: "limit", Reason: "must be from 1 to 100"}}}
	}
	return n, nil
}

func (s *Server) createSFTPAccount(w http.ResponseWriter, r *http.Request) {
	m, ok := s.connectors(w, r)
	if !ok {
		return
	}
	var in connectors.AccountInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := m.CreateAccount(r.Context(), principal(r).OrgID, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/sftp-accounts/"+a.ID)
	writeJSON(w, http.StatusCreated, a)
}

func (s *Server) listSFTPAccounts(w http.ResponseWriter, r *http.Request) {
	if m, ok := s.connectors(w, r); ok {
		as, err := m.ListAccounts(r.Context(), principal(r).OrgID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		listOf(w, as)
	}
}

func (s *Server) getSFTPAccount(w http.ResponseWriter, r *http.Request) {
	if m, ok := s.connectors(w, r); ok {
		a, err := m.GetAccount(r.Context(), principal(r).OrgID, r.PathValue("id"))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, a)
	}
}

func (s *Server) updateSFTPAccount(w http.ResponseWriter, r *http.Request) {
	m, ok := s.connectors(w, r)
	if !ok {
		return
	}
	org, id := principal(r).OrgID, r.PathValue("id")
	if _, err := m.GetAccount(r.Context(), org, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in connectors.AccountInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := m.UpdateAccount(r.Context(), org, id, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) deleteSFTPAccount(w http.ResponseWriter, r *http.Request) {
	if m, ok := s.connectors(w, r); ok {
		if err := m.DeleteAccount(r.Context(), principal(r).OrgID, r.PathValue("id")); err != nil {
			s.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) createPullSource(w http.ResponseWriter, r *http.Request) {
	m, ok := s.connectors(w, r)
	if !ok {
		return
	}
	org, camp := principal(r).OrgID, r.PathValue("id")
	if err := m.Campaign(r.Context(), org, camp); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in connectors.PullSourceInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	src, err := m.CreatePullSource(r.Context(), org, camp, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/pull-sources/"+src.ID)
	writeJSON(w, http.StatusCreated, src)
}

func (s *Server) listCampaignPullSources(w http.ResponseWriter, r *http.Request) {
	if m, ok := s.connectors(w, r); ok {
		srcs, err := m.ListPullSources(r.Context(), principal(r).OrgID, r.PathValue("id"))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		listOf(w, srcs)
	}
}

func (s *Server) listPullSources(w http.ResponseWriter, r *http.Request) {
	if m, ok := s.connectors(w, r); ok {
		srcs, err := m.ListPullSources(r.Context(), principal(r).OrgID, "")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		listOf(w, srcs)
	}
}

func (s *Server) getPullSource(w http.ResponseWriter, r *http.Request) {
	if m, ok := s.connectors(w, r); ok {
		src, err := m.GetPullSource(r.Context(), principal(r).OrgID, r.PathValue("id"))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, src)
	}
}

func (s *Server) updatePullSource(w http.ResponseWriter, r *http.Request) {
	m, ok := s.connectors(w, r)
	if !ok {
		return
	}
	org, id := principal(r).OrgID, r.PathValue("id")
	if _, err := m.GetPullSource(r.Context(), org, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in connectors.PullSourceInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	src, err := m.UpdatePullSource(r.Context(), org, id, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, src)
}

func (s *Server) deletePullSource(w http.ResponseWriter, r *http.Request) {
	if m, ok := s.connectors(w, r); ok {
		if err := m.DeletePullSource(r.Context(), principal(r).OrgID, r.PathValue("id")); err != nil {
			s.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) runPullSource(w http.ResponseWriter, r *http.Request) {
	if m, ok := s.connectors(w, r); ok {
		org, id := principal(r).OrgID, r.PathValue("id")
		if err := m.RunPullSourceNow(r.Context(), org, id); err != nil {
			s.writeError(w, r, err)
			return
		}
		src, err := m.GetPullSource(r.Context(), org, id)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		w.Header().Set("Location", "/v1/pull-sources/"+id+"/runs")
		writeJSON(w, http.StatusAccepted, src)
	}
}

func (s *Server) listPullRuns(w http.ResponseWriter, r *http.Request) {
	if m, ok := s.connectors(w, r); ok {
		limit, err := runsLimit(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		runs, err := m.PullRuns(r.Context(), principal(r).OrgID, r.PathValue("id"), limit)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		listOf(w, runs)
	}
}
