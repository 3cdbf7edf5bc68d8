package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/auth"
)

// Every request of the API is recorded in the audit trail, authenticated or
// not, with its action: the operationId of its route in the OpenAPI
// document. Nothing of the query string or the body is recorded (they may
// hold personal data): only ids, the outcome and the status.

// Actions of requests that have no operation of their own.
const (
	// actionUpload is every request of the resumable upload protocol.
	actionUpload = "uploadCall"
	// actionUnknownRoute is a request that no route matches.
	actionUnknownRoute = "unknownRoute"
)

// auditor records one audit event per request.
type auditor struct {
	rec audit.Recorder
	// ops maps "METHOD /path" of the document to the operation's id.
	ops map[string]string
}

func newAuditor(rec audit.Recorder) *auditor {
	if rec == nil {
		rec = audit.Discard{}
	}
	return &auditor{rec: rec, ops: operationIDs(openAPIDoc)}
}

// operationIDs returns "METHOD /path" → operationId for every operation of doc.
func operationIDs(doc []byte) map[string]string {
	var d struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	out := map[string]string{}
	if err := json.Unmarshal(doc, &d); err != nil {
		return out
	}
	for path, item := range d.Paths {
		for method, raw := range item {
			var op struct {
				OperationID string `json:"operationId"`
			}
			if json.Unmarshal(raw, &op) == nil && op.OperationID != "" {
				out[strings.ToUpper(method)+" "+path] = op.OperationID
			}
		}
	}
	return out
}

// auditRoute is what the audit needs of a route pattern.
type auditRoute struct {
	path string
	// param is the last path wildcard, naming the target; "" when none.
	param string
	// targetType is the resource, from the segment before param (or the
	// collection's segment): "call", "campaign", "api_key", ...
	targetType string
	// parent is set on a sub-resource's collection
	// (/v1/campaigns/{id}/pull-sources): the detail key ("campaign_id")
	// under which param, naming the parent and not the target, is kept.
	parent string
	upload bool
}

// subResources are resources addressed under their parent's id (a
// campaign's pull sources, its Genesys export rule). The requests of a
// collection target the resource they create (Location), their parent's
// id goes to the detail; a singleton (one per parent) is named by its
// parent's id.
var subResources = map[string]struct {
	typ       string
	singleton bool
}{
	"pull-sources": {typ: "pull_source"},
	"genesys-rule": {typ: "genesys_rule", singleton: true},
}

// prefixedTypes are collections whose resources are named after their
// first segment: /v1/genesys/connection is a "genesys_connection",
// /v1/genesys/rules lists "genesys_rule"s.
var prefixedTypes = map[string]bool{"genesys": true}

func parseAuditRoute(pattern string) auditRoute {
	path := pattern
	if i := strings.Index(pattern, " /"); i >= 0 {
		path = pattern[i+1:]
	}
	rt := auditRoute{path: path, upload: strings.HasPrefix(path, "/v1/uploads")}
	if rt.upload {
		rt.targetType = "upload"
		return rt
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i := len(segs) - 1; i > 0; i-- {
		if p, ok := strings.CutPrefix(segs[i], "{"); ok {
			rt.param = strings.TrimSuffix(strings.TrimSuffix(p, "}"), "...")
			rt.targetType = singular(segs[i-1])
			if sub, ok := subResources[segs[min(i+1, len(segs)-1)]]; ok {
				if !sub.singleton {
					rt.parent = rt.targetType + "_id"
				}
				rt.targetType = sub.typ
			}
			return rt
		}
	}
	switch {
	case len(segs) >= 3 && segs[0] == "v1" && prefixedTypes[segs[1]]:
		rt.targetType = segs[1] + "_" + singular(segs[2])
	case len(segs) >= 2 && segs[0] == "v1":
		rt.targetType = singular(segs[1])
	case len(segs) >= 2 && segs[0] == "calls":
		rt.targetType = "call"
	}
	return rt
}

// singular turns a collection segment ("api-keys") into a resource name
// ("api_key"); segments with a dot (documents) name none.
func singular(seg string) string {
	if strings.Contains(seg, ".") {
		return ""
	}
	return strings.ReplaceAll(strings.TrimSuffix(seg, "s"), "-", "_")
}

// action returns the operationId of method on the route.
func (a *auditor) action(rt auditRoute, method string) string {
	if rt.upload {
		return actionUpload
	}
	if id, ok := a.ops[method+" "+rt.path]; ok {
		return id
	}
	if method == http.MethodHead {
		if id, ok := a.ops["GET "+rt.path]; ok {
			return id
		}
	}
	return method + " " + rt.path
}

// auditNote is filled while a request runs: who it authenticated as, and
// a target the handler names (a created resource).
type auditNote struct {
	orgID    string
	actor    audit.Actor
	known    bool
	targetID string
}

type auditKey struct{}

func noteOf(r *http.Request) *auditNote {
	n, _ := r.Context().Value(auditKey{}).(*auditNote)
	return n
}

// withPrincipal returns r carrying p: for the handlers, for the audit
// event of the request, and as the audit origin of what it causes (an
// import recorded by ingest).
func withPrincipal(r *http.Request, p auth.Principal) *http.Request {
	actor := actorOf(p)
	if n := noteOf(r); n != nil {
		n.orgID, n.actor, n.known = p.OrgID, actor, true
	}
	ctx := context.WithValue(r.Context(), keyPrincipal, p)
	ctx = audit.WithOrigin(ctx, audit.Origin{OrgID: p.OrgID, Actor: actor, SourceIP: audit.RemoteIP(r.RemoteAddr),
		Client: audit.ClientName(r.UserAgent())})
	return r.WithContext(ctx)
}

// auditActor names the caller of a request that authenticates itself (the
// token endpoint).
func auditActor(r *http.Request, orgID string, actor audit.Actor) {
	if n := noteOf(r); n != nil {
		n.orgID, n.actor, n.known = orgID, actor, true
	}
}

// auditTarget names the resource a request created, when its answer has
// no Location header.
func auditTarget(r *http.Request, id string) {
	if n := noteOf(r); n != nil {
		n.targetID = id
	}
}

func actorOf(p auth.Principal) audit.Actor {
	switch p.Kind {
	case "api_key":
		return audit.Actor{Type: audit.ActorAPIKey, ID: p.ID}
	case "oauth":
		return audit.Actor{Type: audit.ActorOAuthClient, ID: p.ID}
	case "user":
		return audit.Actor{Type: audit.ActorUser, ID: p.ID}
	}
	return audit.Actor{Type: p.Kind, ID: p.ID}
}

// outcomeOf maps a status to an outcome: refusals of an authenticated
// caller by scope are denied, other errors failures.
func outcomeOf(status int) string {
	switch {
	case status < 400:
		return audit.OutcomeSuccess
	case status == http.StatusForbidden:
		return audit.OutcomeDenied
	}
	return audit.OutcomeFailure
}

// audited records the audit event of every request of pattern's route
// once its handler returns. It sits inside observe, whose status recorder
// w is.
func (s *Server) audited(pattern string, h http.Handler) http.Handler {
	rt := parseAuditRoute(pattern)
	unknown := pattern == ""
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		note := &auditNote{}
		r = r.WithContext(context.WithValue(r.Context(), auditKey{}, note))
		sr, _ := w.(*statusRecorder)
		defer func() {
			status := http.StatusOK
			if sr != nil {
				status = sr.status
			}
			v := recover()
			if v != nil {
				status = http.StatusInternalServerError
			}
			s.recordRequest(r, w, rt, unknown, note, status)
			if v != nil {
				panic(v)
			}
		}()
		h.ServeHTTP(w, r)
	})
}

// recordRequest hands the request's event to the recorder.
func (s *Server) recordRequest(r *http.Request, w http.ResponseWriter, rt auditRoute, unknown bool, note *auditNote, status int) {
	e := audit.Event{
		OrgID: note.orgID, Actor: note.actor, Action: s.aud.action(rt, r.Method), TargetType: rt.targetType,
		Outcome: outcomeOf(status), SourceIP: audit.RemoteIP(r.RemoteAddr), Client: audit.ClientName(r.UserAgent()),
		Detail: map[string]string{"status": strconv.Itoa(status), "request_id": requestID(r.Context())},
	}
	if unknown {
		e.Action, e.TargetType = actionUnknownRoute, ""
	}
	if !note.known {
		e.OrgID, e.Actor = "", audit.Actor{Type: audit.ActorAnonymous}
		if c := credentialKind(r); c != "" {
			e.Detail["credential"] = c
		}
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusNotFound:
		// The id of a refused request may be another organisation's (or
		// nothing, or any text): the trail keeps only ids of its own.
	case rt.parent != "":
		e.Detail[rt.parent] = r.PathValue(rt.param)
		e.TargetID = note.targetID
	case note.targetID != "":
		e.TargetID = note.targetID
	case rt.param != "":
		e.TargetID = r.PathValue(rt.param)
	case rt.upload:
		if id := strings.TrimPrefix(r.URL.Path, "/v1/uploads/"); id != r.URL.Path && !strings.Contains(id, "/") {
			e.TargetID = id
		}
	}
	if loc := w.Header().Get("Location"); e.TargetID == "" && loc != "" && status < 300 {
		if i := strings.LastIndexByte(loc, '/'); i >= 0 && rt.upload == strings.Contains(loc, "/uploads/") {
			e.TargetID = loc[i+1:]
		}
	}
	if len(e.TargetID) > 200 {
		e.TargetID = e.TargetID[:200]
	}
	if err := s.aud.rec.Record(r.Context(), e); err != nil {
		s.log.WarnContext(r.Context(), "audit record failed", "request_id", requestID(r.Context()), "error", err)
	}
}

// credentialKind names the credential an unauthenticated request offered
// ("" when none).
func credentialKind(r *http.Request) string {
	authz := r.Header.Get("Authorization")
	switch {
	case r.Header.Get("X-Api-Key") != "":
		return "api_key"
	case len(authz) > 7 && strings.EqualFold(authz[:7], "Bearer "):
		return "bearer"
	case len(authz) > 6 && strings.EqualFold(authz[:6], "Basic "):
		return "basic"
	case r.URL.Path == "/oauth/token" && r.PostForm.Get("client_id") != "":
		return "client_secret"
	case authz != "":
		return "other"
	}
	return ""
}
