package httpapi

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/privacy"
	"github.com/callimport/callimport/internal/store"
)

// Erasures is what the erasure routes need; *privacy.Service implements it.
type Erasures interface {
	RequestErasure(ctx context.Context, r privacy.ErasureRequest) (privacy.Erasure, error)
	GetErasure(ctx context.Context, orgID, id string) (privacy.Erasure, error)
	ListErasures(ctx context.Context, orgID string, limit int) ([]privacy.Erasure, error)
	// DeleteCall erases one call at once, crash-safe (DELETE /v1/calls/{id}).
	DeleteCall(ctx context.Context, orgID, id string) error
}

// routesErasures serves the GDPR erasure requests (admin scope).
func (s *Server) routesErasures() {
	admin := store.ScopeAdmin
	s.handle("POST /v1/erasures", s.authed(admin, s.createErasure))
	s.handle("GET /v1/erasures", s.authed(admin, s.listErasures))
	s.handle("GET /v1/erasures/{id}", s.authed(admin, s.getErasure))
}

// erasureInput is the body of POST /v1/erasures.
type erasureInput struct {
	CallID     *string        `json:"call_id"`
	AgentEmail *string        `json:"agent_email"`
	Metadata   *call.MetaPair `json:"metadata"`
	CampaignID *string        `json:"campaign_id"`
}

// erasureJSON is an erasure as the API shows it.
type erasureJSON struct {
	ID              string           `json:"id"`
	Status          string           `json:"status"`
	Kind            string           `json:"kind"`
	CampaignID      *string          `json:"campaign_id"`
	MetadataKey     *string          `json:"metadata_key"`
	CriterionSHA256 string           `json:"criterion_sha256"`
	Receipt         *privacy.Receipt `json:"receipt"`
	Error           *string          `json:"error"`
	CreatedAt       time.Time        `json:"created_at"`
	FinishedAt      *time.Time       `json:"finished_at"`
}

func toErasureJSON(e privacy.Erasure) erasureJSON {
	j := erasureJSON{ID: e.ID, Status: e.Status, Kind: e.Kind, CriterionSHA256: e.CriterionSHA256,
		Receipt: e.Receipt, CreatedAt: e.CreatedAt, FinishedAt: e.FinishedAt}
	if e.CampaignID != "" {
		j.CampaignID = &e.CampaignID
	}
	if e.MetadataKey != "" {
		j.MetadataKey = &e.MetadataKey
	}
	if e.Error != "" {
		j.Error = &e.Error
	}
	return j
}

func (s *Server) erasures() (Erasures, error) {
	if s.cfg.Erasures == nil {
		return nil, call.Errorf(call.CodeUnavailable, "erasure is not available on this server")
	}
	return s.cfg.Erasures, nil
}

func (s *Server) createErasure(w http.ResponseWriter, r *http.Request) {
	es, err := s.erasures()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in erasureInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principal(r)
	req := privacy.ErasureRequest{OrgID: p.OrgID, Metadata: in.Metadata,
		Actor: audit.Actor{Type: actorType(p.Kind), ID: p.ID}, SourceIP: remoteIP(r), Client: truncate(r.UserAgent(), 200)}
	if in.CampaignID != nil {
		req.CampaignID = *in.CampaignID
	}
	if in.CallID != nil {
		req.CallID = *in.CallID
	}
	if in.AgentEmail != nil {
		req.AgentEmail = *in.AgentEmail
	}
	e, err := es.RequestErasure(r.Context(), req)
	if err != nil {
		s.writeError(w, r, storeError(err, "erasure"))
		return
	}
	w.Header().Set("Location", "/v1/erasures/"+e.ID)
	writeJSON(w, http.StatusAccepted, toErasureJSON(e))
}

func (s *Server) getErasure(w http.ResponseWriter, r *http.Request) {
	es, err := s.erasures()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	e, err := es.GetErasure(r.Context(), principal(r).OrgID, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, storeError(err, "erasure"))
		return
	}
	writeJSON(w, http.StatusOK, toErasureJSON(e))
}

func (s *Server) listErasures(w http.ResponseWriter, r *http.Request) {
	es, err := s.erasures()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := es.ListErasures(r.Context(), principal(r).OrgID, 100)
	if err != nil {
		s.writeError(w, r, storeError(err, "erasure"))
		return
	}
	out := struct {
		Data []erasureJSON `json:"data"`
	}{Data: make([]erasureJSON, 0, len(list))}
	for _, e := range list {
		out.Data = append(out.Data, toErasureJSON(e))
	}
	writeJSON(w, http.StatusOK, out)
}

// actorType maps a principal's kind to an audit actor type.
func actorType(kind string) string {
	switch kind {
	case "api_key":
		return audit.ActorAPIKey
	case "oauth":
		return audit.ActorOAuthClient
	case "user":
		return audit.ActorUser
	}
	return kind
}

// remoteIP is the caller's address without its port.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
