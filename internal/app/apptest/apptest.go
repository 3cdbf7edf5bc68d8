// Package apptest starts a complete callimport server in-process for
// integration tests: real store (SQLite, or PostgreSQL in a schema of the
// test's own), real blob store in a temporary folder, real job queue, HTTP
// on 127.0.0.1 with a random port, and two organisations with credentials.
package apptest

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/app"
	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/store/storepg"
	"github.com/callimport/callimport/internal/telemetry"
)

// Options choose the server's set-up. The zero value is SQLite with defaults.
type Options struct {
	// Postgres runs on PostgreSQL (CALLIMPORT_TEST_POSTGRES_URL) instead of SQLite.
	Postgres bool
	// MaxUploadSize defaults to the server's default.
	MaxUploadSize int64
	// TokenTTL defaults to the server's default.
	TokenTTL time.Duration
	// Configure, when set, changes the configuration last, before it is
	// validated (limits, a database of the test's own, ...).
	Configure func(cfg *config.Serve)
	// SFTP runs the hosted SFTP server on 127.0.0.1 (a random port, logged
	// as "sftp server listening").
	SFTP bool
}

// Tenant is one organisation with a campaign and credentials.
type Tenant struct {
	OrgID      string
	CampaignID string
	// AdminKey has every scope; WriteKey only calls:write; ReadKey only calls:read.
	AdminKey, WriteKey, ReadKey string
	// ClientID and ClientSecret are an OAuth client with every scope.
	ClientID, ClientSecret string
}

// Env is a running server.
type Env struct {
	URL     string
	Server  *app.Server
	Store   store.Store
	DataDir string
	A, B    Tenant
	logs    *syncBuffer
}

// Start runs a server for the test's duration.
func Start(t *testing.T, opts Options) *Env {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Serve{Storage: config.Storage{DataDir: dir}, MaxUploadSize: opts.MaxUploadSize,
		TokenTTL: opts.TokenTTL, ShutdownTimeout: 10 * time.Second, Workers: 4}
	if opts.Postgres {
		cfg.Database = storepg.TestURL(t)
	}
	if cfg.MaxUploadSize == 0 {
		cfg.MaxUploadSize = 4 << 30
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = 15 * time.Minute
	}
	cfg.OrphanAge = 24 * time.Hour
	if opts.SFTP {
		cfg.SFTPAddr = "127.0.0.1:0"
	}
	if opts.Configure != nil {
		opts.Configure(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := telemetry.NewLogger(logs, "debug")
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	srv, err := app.NewServer(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatalf("new server: %v", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, ln) }()
	env := &Env{URL: "http://" + ln.Addr().String(), Server: srv, Store: srv.Store, DataDir: dir, logs: logs}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("server: %v", err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
		// Every test server's logs are scanned: no personal data and no
		// secret may reach them, whatever the test did.
		for _, l := range Leaks(logs.Bytes(), env.A.AdminKey, env.A.WriteKey, env.A.ReadKey, env.A.ClientSecret,
			env.B.AdminKey, env.B.WriteKey, env.B.ReadKey, env.B.ClientSecret) {
			t.Errorf("server log leaks %s", l)
		}
		if t.Failed() {
			p := filepath.Join(os.TempDir(), "callimport-"+filepath.Base(dir)+".log")
			_ = os.WriteFile(p, logs.Bytes(), 0o600)
			t.Logf("server logs: %s", p)
		}
	})
	env.A = env.NewTenant(t, "Org A")
	env.B = env.NewTenant(t, "Org B")
	return env
}

// NewTenant creates an organisation with a campaign and credentials.
func (e *Env) NewTenant(t *testing.T, name string) Tenant {
	t.Helper()
	ctx := t.Context()
	org, err := e.Store.OrgCreate(ctx, store.OrgCreateParams{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	camp, err := e.Store.CampaignCreate(ctx, store.CampaignCreateParams{OrgID: org.ID, Name: "Campaign of " + name})
	if err != nil {
		t.Fatal(err)
	}
	tn := Tenant{OrgID: org.ID, CampaignID: camp.ID}
	a := e.Server.Auth
	all := []store.Scope{store.ScopeAdmin, store.ScopeCallsWrite, store.ScopeCallsRead}
	for _, k := range []struct {
		dst    *string
		scopes []store.Scope
	}{{&tn.AdminKey, all}, {&tn.WriteKey, []store.Scope{store.ScopeCallsWrite}}, {&tn.ReadKey, []store.Scope{store.ScopeCallsRead}}} {
		_, secret, err := a.CreateAPIKey(ctx, org.ID, "test key", k.scopes)
		if err != nil {
			t.Fatal(err)
		}
		*k.dst = secret
	}
	cl, secret, err := a.CreateOAuthClient(ctx, org.ID, "test client", all)
	if err != nil {
		t.Fatal(err)
	}
	tn.ClientID, tn.ClientSecret = cl.ClientID, secret
	return tn
}

// Logs returns what the server logged so far.
func (e *Env) Logs() []byte { return e.logs.Bytes() }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}
