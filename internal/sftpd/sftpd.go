// Package sftpd is callimport's hosted SFTP server: organisations' telephony
// exports log in with a password or a public key and drop recordings into a
// virtual tree with one folder per campaign they may import into. A file is
// imported through ingest when the client closes it; temporary names
// (*.part, *.filepart, *.tmp, dot-files) are kept in a staging folder and
// imported when renamed to their final name.
//
// Configure it with Config: the host key file (generated once, 0600), the
// staging folder, and the failed-login ban. What to watch: the staging
// folder holds the bytes of unfinished temporary uploads and is never
// cleaned automatically; the ban list lives in memory.
package sftpd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/ingest"
	"github.com/callimport/callimport/internal/store"
)

// Store is what the server uses: accounts, receipts, the organisation's
// campaigns, and merging a late sidecar into its call.
type Store interface {
	store.SFTPAccounts
	store.SFTPReceipts
	CampaignList(ctx context.Context, orgID string) ([]call.Campaign, error)
	CallMergeMetadata(ctx context.Context, p store.CallMergeMetadataParams) (call.Call, error)
}

// Ingester is the intake path (ingest.Service).
type Ingester interface {
	Ingest(ctx context.Context, req ingest.Request) (ingest.Result, error)
}

// Config configures a Server. The zero value of each field means its default.
type Config struct {
	// Store and Ingest are required.
	Store  Store
	Ingest Ingester
	// HostKeyPath is the ed25519 host key, created if missing. Required.
	HostKeyPath string
	// StagingDir holds temporary-name uploads until their rename. Required.
	StagingDir string
	// MaxFailures failed logins from one address within FailureWindow ban
	// it for BanDuration. Default 5 within 10m, banned 15m.
	MaxFailures   int
	FailureWindow time.Duration
	BanDuration   time.Duration
	// ReorderBuffer bounds, per upload, the bytes written ahead of a gap
	// while they wait for it. Defaults to 16 MiB.
	ReorderBuffer int64
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
	// Audit receives logins and failed logins (nil: none); see audit.go.
	Audit audit.Recorder
}

// Server is the hosted SFTP server.
type Server struct {
	cfg    Config
	log    *slog.Logger
	ssh    *ssh.ServerConfig
	bans   *banList
	wg     sync.WaitGroup
	hostFP string
}

// New loads (or creates) the host key and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Ingest == nil || cfg.HostKeyPath == "" || cfg.StagingDir == "" {
		return nil, errors.New("new sftp server: Store, Ingest, HostKeyPath and StagingDir are required")
	}
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 5
	}
	if cfg.FailureWindow <= 0 {
		cfg.FailureWindow = 10 * time.Minute
	}
	if cfg.BanDuration <= 0 {
		cfg.BanDuration = 15 * time.Minute
	}
	if cfg.ReorderBuffer <= 0 {
		cfg.ReorderBuffer = 16 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	signer, err := LoadHostKey(cfg.HostKeyPath)
	if err != nil {
		return nil, fmt.Errorf("new sftp server: %w", err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, bans: newBanList(cfg.MaxFailures, cfg.FailureWindow, cfg.BanDuration, cfg.Now),
		hostFP: ssh.FingerprintSHA256(signer.PublicKey())}
	s.ssh = &ssh.ServerConfig{
		ServerVersion: "SSH-2.0-callimport",
		MaxAuthTries:  6,
	}
	s.ssh.AddHostKey(signer)
	return s, nil
}

// HostKeyFingerprint returns the host key's SHA256:... fingerprint.
func (s *Server) HostKeyFingerprint() string { return s.hostFP }

// Serve accepts connections on ln until ctx ends, then closes ln and waits
// for the sessions to finish their current uploads.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()
	s.log.Info("sftp listening", "addr", ln.Addr().String(), "host_key", s.hostFP)
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				s.wg.Wait()
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			s.wg.Wait()
			return fmt.Errorf("accept sftp: %w", err)
		}
		delay = 0
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handleConn(ctx, nc)
		}()
	}
}

// remoteIP is the address a ban applies to.
func remoteIP(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}
