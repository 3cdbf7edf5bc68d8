package sftpd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/store"
)

// Permission extensions naming the account a connection logged in as.
const (
	extAccount = "callimport-account-id"
	extOrg     = "callimport-org-id"
)

// connReadBuffer is read from the socket at once: the SSH transport reads
// through a 4 KiB buffer, which costs several system calls per 32 KiB data
// packet without this one.
const connReadBuffer = 128 << 10

// bufConn is a connection whose reads go through a large buffer.
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c bufConn) Read(b []byte) (int, error) { return c.r.Read(b) } //nolint:wrapcheck // a net.Conn's errors

// errLogin is what a client learns of a refused login.
var errLogin = errors.New("login refused")

// handleConn runs one client connection: refused at once if its address is
// banned, else the SSH handshake, then its sessions until it closes or ctx
// ends.
func (s *Server) handleConn(ctx context.Context, nc net.Conn) {
	ip := remoteIP(nc.RemoteAddr())
	log := s.log.With("remote_ip", ip)
	if s.bans.Banned(ip) {
		log.Warn("sftp connection from banned address refused")
		_ = nc.Close()
		return
	}
	cfg := *s.ssh
	var attempt ssh.ConnMetadata // the last login attempt, for the audit
	cfg.PasswordCallback = func(md ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
		attempt = md
		return s.checkPassword(ctx, log, md, pw)
	}
	cfg.PublicKeyCallback = func(md ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
		attempt = md
		return s.checkKey(ctx, md, key)
	}
	_ = nc.SetDeadline(time.Now().Add(time.Minute))
	sc, chans, reqs, err := ssh.NewServerConn(bufConn{Conn: nc, r: bufio.NewReaderSize(nc, connReadBuffer)}, &cfg)
	if err != nil {
		log.Debug("sftp handshake failed", "err", err.Error())
		s.auditLoginFailed(ctx, ip, attempt, err)
		_ = nc.Close()
		return
	}
	_ = nc.SetDeadline(time.Time{})
	stop := context.AfterFunc(ctx, func() { _ = sc.Close() })
	defer stop()
	defer func() { _ = sc.Close() }()
	go ssh.DiscardRequests(reqs)
	log = log.With("account_id", sc.Permissions.Extensions[extAccount])
	log.Info("sftp login")
	ctx = s.auditLogin(ctx, ip, sc)
	var sessions sync.WaitGroup
	defer sessions.Wait()
	for nch := range chans {
		if nch.ChannelType() != "session" {
			_ = nch.Reject(ssh.UnknownChannelType, "only sessions are served")
			continue
		}
		ch, creqs, err := nch.Accept()
		if err != nil {
			log.Warn("accept sftp session", "err", err.Error())
			continue
		}
		sessions.Go(func() { s.session(ctx, log, sc.Permissions, ch, creqs) })
	}
}

// session answers a session channel's requests: the sftp subsystem is
// served, everything else (shells, commands, ptys) refused.
func (s *Server) session(ctx context.Context, log *slog.Logger, perms *ssh.Permissions, ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer func() { _ = ch.Close() }()
	if s.cfg.Sessions != nil {
		s.cfg.Sessions(1)
		defer s.cfg.Sessions(-1)
	}
	for req := range reqs {
		ok := req.Type == "subsystem" && len(req.Payload) >= 4 && bytes.Equal(req.Payload[4:], []byte("sftp"))
		if req.WantReply {
			_ = req.Reply(ok, nil)
		}
		if !ok {
			continue
		}
		go ssh.DiscardRequests(reqs)
		fsys, err := s.newFS(ctx, log, perms.Extensions[extOrg], perms.Extensions[extAccount])
		if err != nil {
			log.Error("open sftp session", "err", err.Error())
			return
		}
		srv := sftp.NewRequestServer(ch, fsys.handlers())
		if err := srv.Serve(); err != nil && !errors.Is(err, net.ErrClosed) {
			log.Debug("sftp session ended", "err", err.Error())
		}
		_ = srv.Close()
		_ = fsys.Close()
		return
	}
}

// checkPassword logs in with the account's password; a failure counts
// towards the address's ban.
func (s *Server) checkPassword(ctx context.Context, log *slog.Logger, md ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
	ip := remoteIP(md.RemoteAddr())
	if s.bans.Banned(ip) {
		return nil, errLogin
	}
	a, err := s.account(ctx, md.User())
	if err == nil && a.PasswordHash != "" && auth.CheckPassword(a.PasswordHash, string(pw)) {
		return permissions(a), nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, errDisabled) {
		log.Error("sftp login lookup", "err", err.Error())
		return nil, errLogin
	}
	if s.bans.Fail(ip) {
		log.Warn("sftp address banned after failed logins", "for", s.cfg.BanDuration.String())
	} else {
		log.Info("sftp password refused") // not the user name: it may be personal, or a mistyped password
	}
	return nil, errLogin
}

// checkKey logs in with one of the account's authorised keys. Refused keys
// do not count towards a ban: clients offer each key they have in turn.
func (s *Server) checkKey(ctx context.Context, md ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	if s.bans.Banned(remoteIP(md.RemoteAddr())) {
		return nil, errLogin
	}
	a, err := s.account(ctx, md.User())
	if err != nil {
		return nil, errLogin
	}
	want := key.Marshal()
	rest := []byte(a.AuthorizedKeys)
	for len(rest) > 0 {
		k, _, _, next, err := ssh.ParseAuthorizedKey(rest)
		if err != nil {
			break
		}
		if subtle.ConstantTimeCompare(k.Marshal(), want) == 1 {
			return permissions(a), nil
		}
		rest = next
	}
	return nil, errLogin
}

var errDisabled = errors.New("account disabled")

// account returns the enabled account of a username.
func (s *Server) account(ctx context.Context, username string) (store.SFTPAccount, error) {
	a, err := s.cfg.Store.SFTPAccountGetByUsername(ctx, username)
	if err != nil {
		return store.SFTPAccount{}, fmt.Errorf("sftp login: %w", err)
	}
	if a.Disabled {
		return store.SFTPAccount{}, errDisabled
	}
	return a, nil
}

func permissions(a store.SFTPAccount) *ssh.Permissions {
	return &ssh.Permissions{Extensions: map[string]string{extAccount: a.ID, extOrg: a.OrgID}}
}
