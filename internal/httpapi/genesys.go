package httpapi

import (
	"net/http"
	"time"

	"github.com/callimport/callimport/internal/connectors"
)

func (s *Server) putGenesysConnection(w http.ResponseWriter, r *http.Request) {
	m, ok := s.connectors(w, r)
	if !ok {
		return
	}
	var in connectors.GenesysConnectionInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := m.PutGenesysConnection(r.Context(), principal(r).OrgID, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) getGenesysConnection(w http.ResponseWriter, r *http.Request) {
	if m, ok := s.connectors(w, r); ok {
		c, err := m.GetGenesysConnection(r.Context(), principal(r).OrgID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, c)
	}
}

func (s *Server) deleteGenesysConnection(w http.ResponseWriter, r *http.Request) {
	if m, ok := s.connectors(w, r); ok {
		if err := m.DeleteGenesysConnection(r.Context(), principal(r).OrgID); err != nil {
			s.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) testGenesysConnection(w http.ResponseWriter, r *http.Request) {
	if m, ok := s.connectors(w, r); ok {
		t, err := m.TestGenesysConnection(r.Context(), principal(r).OrgID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, t)
	}
}

func (s *Server) listGenesysRules(w http.ResponseWriter, r *http.Request) {
	if m, ok := s.connectors(w, r); ok {
		rules, err := m.ListGenesysRules(r.Context(), principal(r).OrgID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		listOf(w, rules)
	}
}

func (s *Server) putGenesysRule(w http.ResponseWriter, r *http.Request) {
	m, ok := s.connectors(w, r)
	if !ok {
		return
	}
	org, camp := principal(r).OrgID, r.PathValue("id")
	if err := m.Campaign(r.Context(), org, camp); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in connectors.GenesysRuleInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	rule, err := m.PutGenesysRule(r.Context(), org, camp, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rule)
}

func (s *Server) getGenesysRule(w http.ResponseWriter, r *http.Request) {
	if m, ok := s.connectors(w, r); ok {
		rule, err := m.GetGenesysRule(r.Context(), principal(r).OrgID, r.PathValue("id"))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, rule)
	}
}

func (s *Server) deleteGenesysRule(w http.ResponseWriter, r *http.Request) {
	if m, ok := s.connectors(w, r); ok {
		if err := m.DeleteGenesysRule(r.Context(), principal(r).OrgID, r.PathValue("id")); err != nil {
			s.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) listGenesysRuns(w http.ResponseWriter, r *http.Request) {
	if m, ok := s.connectors(w, r); ok {
		limit, err := runsLimit(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		runs, err := m.GenesysRuns(r.Context(), principal(r).OrgID, r.PathValue("id"), limit)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		listOf(w, runs)
	}
}

// previewInput is the period of a preview.
type previewInput struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

func (s *Server) previewGenesysRule(w http.ResponseWriter, r *http.Request) {
	m, ok := s.connectors(w, r)
	if !ok {
		return
	}
	org, camp := principal(r).OrgID, r.PathValue("id")
	if _, err := m.GetGenesysRule(r.Context(), org, camp); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in previewInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	pv, err := m.PreviewGenesysRule(r.Context(), org, camp, in.From, in.To)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pv)
}
