package webui

import (
	"net/http"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/store"
)

// Audit actions of the web application.
const (
	actionSignIn  = "web.signin"
	actionSignOut = "web.signout"
)

// auditSignIn records a sign-in attempt: u is the account the e-mail
// names (zero when it names none, which goes to the trail of unknown
// organisations), reason why it failed ("" on success: bad_login, locked).
// The e-mail itself is never recorded.
func (h *handler) auditSignIn(r *http.Request, u store.User, reason string) {
	e := h.auditEvent(r, u.OrgID, u.ID, actionSignIn)
	if reason != "" {
		e.Outcome, e.Detail = audit.OutcomeFailure, map[string]string{"reason": reason}
	}
	h.record(r, e)
}

// auditSignOut records a sign-out of the session's user, if any.
func (h *handler) auditSignOut(r *http.Request) {
	var s session
	if c, err := r.Cookie(sessionCookie); err == nil {
		s, _ = h.seal.open(c.Value, h.cfg.Now())
	}
	h.record(r, h.auditEvent(r, s.OrgID, s.UserID, actionSignOut))
}

// withAuditOrigin returns r naming u as the audit origin of what it causes
// (an import recorded by ingest).
func (h *handler) withAuditOrigin(r *http.Request, u store.User) *http.Request {
	return r.WithContext(audit.WithOrigin(r.Context(), audit.Origin{OrgID: u.OrgID,
		Actor: audit.Actor{Type: audit.ActorUser, ID: u.ID}, SourceIP: audit.RemoteIP(r.RemoteAddr),
		Client: audit.ClientName(r.UserAgent())}))
}

func (h *handler) auditEvent(r *http.Request, orgID, userID, action string) audit.Event {
	actor := audit.Actor{Type: audit.ActorUser, ID: userID}
	if userID == "" {
		actor = audit.Actor{Type: audit.ActorAnonymous}
	}
	return audit.Event{OrgID: orgID, Actor: actor, Action: action, TargetType: "user", TargetID: userID,
		Outcome: audit.OutcomeSuccess, SourceIP: audit.RemoteIP(r.RemoteAddr), Client: audit.ClientName(r.UserAgent())}
}

func (h *handler) record(r *http.Request, e audit.Event) {
	if h.cfg.Audit == nil {
		return
	}
	if err := h.cfg.Audit.Record(r.Context(), e); err != nil {
		h.log.WarnContext(r.Context(), "audit record failed", "error", err)
	}
}

// recordWeb records an action of the signed-in administrator or user on a
// page ("web.<thing>"): the user as actor, the target by type and id, and
// detail with ids and field names only (never e-mails, values or secrets).
func (h *handler) recordWeb(r *http.Request, v viewer, action, targetType, targetID string, detail map[string]string) {
	e := h.auditEvent(r, v.User.OrgID, v.User.ID, action)
	e.TargetType, e.TargetID, e.Detail = targetType, targetID, detail
	h.record(r, e)
}
