// Package audit is the access audit trail of callimport: who did what to
// which call or setting, from where, with what outcome. Channels and pages
// describe what happened as an Event and hand it to a Recorder; the trail
// itself (append-only, hash-chained per organisation) is kept by the
// recorder the application wires in.
//
// Events never carry personal data: no e-mail addresses, metadata values,
// file names or secrets, only ids, action names and outcomes.
package audit

import (
	"context"
	"time"
)

// Actor types.
const (
	ActorUser        = "user"
	ActorAPIKey      = "api_key"
	ActorOAuthClient = "oauth_client"
	ActorSFTPAccount = "sftp_account"
	ActorSystem      = "system"
	// ActorAnonymous is a caller that has not authenticated (failed sign-ins).
	ActorAnonymous = "anonymous"
)

// Outcomes.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	// OutcomeDenied is an authenticated caller refused by scope or role.
	OutcomeDenied = "denied"
)

// Actor is who acted.
type Actor struct {
	// Type is one of the Actor* constants.
	Type string
	// ID is the user, key, client or account id; "" for anonymous and system.
	ID string
}

// Event is one record of the trail.
type Event struct {
	// OrgID is the organisation the event belongs to; "" when unknown (a
	// failed sign-in for an unknown e-mail), kept in a global chain.
	OrgID string
	Actor Actor
	// Action names what was done: the API's operationId for API requests
	// (createCall, getCallAudio, ...), or a dotted name elsewhere
	// (web.signin, sftp.login, call.import, retention.delete, ...).
	Action string
	// TargetType and TargetID name what it was done to ("call", id).
	TargetType string
	TargetID   string
	// Outcome is one of the Outcome* constants.
	Outcome string
	// SourceIP is the caller's address, without port; "" for system events.
	SourceIP string
	// Client is the user agent or SSH client version, truncated.
	Client string
	// Detail holds extra non-personal facts (status code, counts, channel).
	Detail map[string]string
	// At defaults to the time of recording.
	At time.Time
}

// Recorder keeps events. Record must not block for long; implementations
// say whether a failure to record fails the caller.
type Recorder interface {
	Record(ctx context.Context, e Event) error
}

// Discard is a Recorder that keeps nothing (tests and tools that do not
// audit).
type Discard struct{}

// Record implements Recorder.
func (Discard) Record(context.Context, Event) error { return nil }
