// Package sftpd is callimport's hosted SFTP server: organisations' telephony
// exports log in with a password or a public key and drop recordings into a
// virtual tree with one folder per campaign they may import into. A file
// streams into the blob store while it is written (ingest.Stage) and becomes
// a call when the client closes it (ingest.Commit), with the envelope of its
// sidecar JSON or batch CSV row. Temporary names (*.part, *.filepart, *.tmp,
// dot-files) are kept in a staging folder and imported when renamed.
//
// Uploads that are not calls yet are parked (park.go): the bytes of a
// connection that ended mid-file, which an append (OpenSSH's reput)
// continues; and audio of a campaign that requires metadata, waiting up to
// MetadataWait for it. A sweeper finishes them, also after a restart.
// Files refused from their first bytes are kept in _rejected/ beside their
// .error.txt; _results/ holds the daily receipts.
//
// Configure it with Config: the host key file (generated once, 0600), the
// staging folder, the metadata wait and the failed-login ban. What to watch:
// the staging folder holds unfinished temporary uploads (never cleaned
// automatically), the markers of parked uploads (.parked) and refused files
// (.rejected, pruned after 31 days); the ban list lives in memory.
package sftpd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/blob"
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
	CallGetByID(ctx context.Context, id string) (call.Call, error)
	CallMergeMetadata(ctx context.Context, p store.CallMergeMetadataParams) (call.Call, error)
}

// Ingester is the intake path (ingest.Service): uploads are staged while
// they stream, then committed once their metadata is known.
type Ingester interface {
	Stage(ctx context.Context, orgID, fileName string, body io.Reader) (ingest.Staged, error)
	Commit(ctx context.Context, st ingest.Staged, env call.Envelope, source call.Source) (ingest.Result, error)
	Discard(ctx context.Context, st ingest.Staged)
}

// Blobs reads staged bytes back (blob.Bucket): a resumed upload starts with
// the bytes of the interrupted one.
type Blobs interface {
	NewRangeReader(ctx context.Context, key string, offset, length int64) (*blob.Reader, error)
	Attributes(ctx context.Context, key string) (blob.Attrs, error)
}

// Config configures a Server. The zero value of each field means its default.
type Config struct {
	// Store, Ingest and Blobs are required.
	Store  Store
	Ingest Ingester
	Blobs  Blobs
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
	// MetadataWait is how long audio of a campaign that requires metadata
	// waits for its sidecar or CSV row before it is refused. Default 1h;
	// it must stay below the ingest orphan age (the staged bytes' life).
	MetadataWait time.Duration
	// PartialTTL is how long the bytes of an interrupted upload are kept
	// for a resume. Default 12h; it too must stay below the orphan age.
	PartialTTL time.Duration
	// SweepInterval is how often waiting and partial uploads are checked
	// against their deadlines. Default 1 minute.
	SweepInterval time.Duration
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
	// Audit receives logins and failed logins (nil: none); see audit.go.
	Audit audit.Recorder
	// Sessions, when set, is called with +1 when an SSH session opens and
	// -1 when it ends (a gauge of open sessions).
	Sessions func(delta int)
}

// Server is the hosted SFTP server.
type Server struct {
	cfg    Config
	log    *slog.Logger
	ssh    *ssh.ServerConfig
	bans   *banList
	rings  *sync.Pool // the uploads' pipe buffers (bufpipe.go)
	chunks *sync.Pool // the copies of out-of-order writes (stream.go)
	wg     sync.WaitGroup
	hostFP string
	// parkMu serialises the commits and refusals of parked uploads between
	// sessions and the sweeper.
	parkMu sync.Mutex
}

// New loads (or creates) the host key and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Ingest == nil || cfg.Blobs == nil || cfg.HostKeyPath == "" || cfg.StagingDir == "" {
		return nil, errors.New("new sftp server: Store, Ingest, Blobs, HostKeyPath and StagingDir are required")
	}
	if cfg.MetadataWait <= 0 {
		cfg.MetadataWait = time.Hour
	}
	if cfg.PartialTTL <= 0 {
		cfg.PartialTTL = 12 * time.Hour
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = time.Minute
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
		hostFP: ssh.FingerprintSHA256(signer.PublicKey()), rings: newRingPool(pipeBuffer),
		chunks: newChunkPool()}
	// Ciphers, MACs and key exchanges are x/crypto's defaults: AES-GCM
	// first (assembly with AES-NI, the fastest here), chacha20-poly1305 for
	// the clients that prefer it (OpenSSH's client does; x/crypto's chacha20
	// has no amd64 assembly, so it costs more CPU than AES-GCM), then
	// AES-CTR. In SSH the client's preference decides.
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
	s.wg.Go(func() { s.sweepLoop(ctx) })
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
