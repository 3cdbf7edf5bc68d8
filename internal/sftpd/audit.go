package sftpd

import (
	"context"
	"errors"

	"golang.org/x/crypto/ssh"

	"github.com/callimport/callimport/internal/audit"
)

// actionLogin is the audit action of an SFTP login, successful or not.
const actionLogin = "sftp.login"

// auditLogin records a successful login and returns ctx carrying the
// account as the audit origin of its imports.
func (s *Server) auditLogin(ctx context.Context, ip string, sc *ssh.ServerConn) context.Context {
	o := audit.Origin{OrgID: sc.Permissions.Extensions[extOrg],
		Actor:    audit.Actor{Type: audit.ActorSFTPAccount, ID: sc.Permissions.Extensions[extAccount]},
		SourceIP: ip, Client: audit.ClientName(string(sc.ClientVersion()))}
	s.record(ctx, audit.Event{OrgID: o.OrgID, Actor: o.Actor, Action: actionLogin, TargetType: "sftp_account",
		TargetID: o.Actor.ID, Outcome: audit.OutcomeSuccess, SourceIP: ip, Client: o.Client})
	return audit.WithOrigin(ctx, o)
}

// auditLoginFailed records a connection whose authentication failed: md is
// its last attempt (nil when it made none, which is not recorded). The
// account the username names, when it exists, is the actor, in its
// organisation's trail; otherwise the attempt goes to the trail of unknown
// organisations. The username itself is never recorded.
func (s *Server) auditLoginFailed(ctx context.Context, ip string, md ssh.ConnMetadata, err error) {
	if _, ok := errors.AsType[*ssh.ServerAuthError](err); !ok || md == nil {
		return
	}
	e := audit.Event{Actor: audit.Actor{Type: audit.ActorAnonymous}, Action: actionLogin, Outcome: audit.OutcomeFailure,
		SourceIP: ip, Client: audit.ClientName(string(md.ClientVersion()))}
	if a, aerr := s.cfg.Store.SFTPAccountGetByUsername(ctx, md.User()); aerr == nil {
		e.OrgID, e.Actor = a.OrgID, audit.Actor{Type: audit.ActorSFTPAccount, ID: a.ID}
		e.TargetType, e.TargetID = "sftp_account", a.ID
	}
	s.record(ctx, e)
}

func (s *Server) record(ctx context.Context, e audit.Event) {
	if s.cfg.Audit == nil {
		return
	}
	if err := s.cfg.Audit.Record(ctx, e); err != nil {
		s.log.WarnContext(ctx, "audit record failed", "error", err.Error())
	}
}
