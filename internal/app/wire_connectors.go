package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/connectors"
	"github.com/callimport/callimport/internal/sealing"
)

// secretKeyFile is where a generated connector secret key is kept in the
// data dir.
const secretKeyFile = "secret.key"

// connectorKeys returns the primary connector secret key and the previous
// ones from cfg: CALLIMPORT_SECRET_KEY, else the deprecated per-channel
// keys; the other deprecated key and CALLIMPORT_SECRET_KEY_PREVIOUS are
// previous keys. primary is "" when none is configured.
func connectorKeys(cfg config.Serve, log *slog.Logger) (primary string, previous []string) {
	primary = strings.TrimSpace(cfg.Connectors.SecretKey)
	legacy := []struct{ name, key string }{{"CALLIMPORT_GENESYS_SECRET_KEY", cfg.Genesys.SecretKey},
		{"CALLIMPORT_SFTP_PULL_SECRET_KEY", cfg.SFTPPull.SecretKey}}
	for _, l := range legacy {
		k := strings.TrimSpace(l.key)
		if k == "" {
			continue
		}
		log.Warn("deprecated configuration: use CALLIMPORT_SECRET_KEY (one key for every channel)", "variable", l.name)
		if primary == "" {
			primary = k
		} else if k != primary {
			previous = append(previous, k)
		}
	}
	for _, k := range strings.FieldsFunc(cfg.Connectors.SecretKeyPrevious, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if k = strings.TrimSpace(k); k != "" {
			previous = append(previous, k)
		}
	}
	return primary, previous
}

// connectorKeyring builds the keyring of connector secrets. Without a
// configured key it uses DataDir/secret.key, generated (0600) on first
// start, so that serve works on its defaults; several serve processes on
// one PostgreSQL must then be given the same CALLIMPORT_SECRET_KEY.
func connectorKeyring(cfg config.Serve, postgres bool, log *slog.Logger) (*sealing.Keyring, error) {
	primary, previous := connectorKeys(cfg, log)
	if primary == "" {
		path := filepath.Join(cfg.DataDir, secretKeyFile)
		var created bool
		var err error
		if primary, created, err = loadOrCreateSecretKey(path); err != nil {
			return nil, err
		}
		if created {
			log.Info("generated the connector secret key (no CALLIMPORT_SECRET_KEY)", "file", path)
		}
		if postgres {
			log.Warn("connector secrets are sealed with a key from the data dir: give every serve process on this database the same CALLIMPORT_SECRET_KEY", "file", path)
		}
	}
	kr, err := sealing.New(primary, previous...)
	if err != nil {
		return nil, fmt.Errorf("connector secret key: %w", err)
	}
	return kr, nil
}

// loadOrCreateSecretKey reads a base64 key from path, creating it (0600)
// when missing.
func loadOrCreateSecretKey(path string) (key string, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", false, fmt.Errorf("read connector secret key: %w", err)
	}
	key = sealing.NewKey()
	if err := writeKeyFile(path, key); err != nil {
		return "", false, err
	}
	return key, true, nil
}

// writeKeyFile replaces path with key atomically and durably (0600, temp
// file in the same folder, fsync, rename, fsync of the folder): losing the
// key would lose every connector secret.
func writeKeyFile(path, key string) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write connector secret key: %w", err)
	}
	_, err = f.WriteString(key + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write connector secret key: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		err = d.Sync()
		_ = d.Close()
		if err != nil {
			return fmt.Errorf("write connector secret key: sync folder: %w", err)
		}
	}
	return nil
}

// wireConnectors builds the connectors' management (API, runs) on s. On
// a server with metrics (serve, not the commands), its scheduled runs go
// to the audit trail and the metrics, and a scrape counts the quiet feeds.
func wireConnectors(ctx context.Context, s *Server, log *slog.Logger) (*connectors.Manager, error) {
	st, ok := s.Store.(connectors.Store)
	if !ok {
		return nil, fmt.Errorf("connectors: store %T lacks the connector tables", s.Store)
	}
	kr, err := connectorKeyring(s.cfg, st.Dialect() == "postgres", log)
	if err != nil {
		return nil, err
	}
	cfg := connectors.Config{Store: st, Keyring: kr,
		Genesys: wireGenesys(st, kr, s.Ingest, s.cfg.Genesys, log), Pull: wireSFTPPull(st, s.Ingest, s.cfg.SFTPPull, log),
		QuietAfter: s.cfg.Connectors.FeedQuietAfter, Lease: s.cfg.Connectors.Lease,
		Logger: log.With("component", "connectors"), Audit: s.auditRecorder()}
	if s.Metrics != nil {
		cfg.ObserveRun = s.observeConnectorRun
	}
	m := connectors.New(cfg)
	if s.Metrics != nil {
		s.Metrics.Registry.MustRegister(newQuietFeedsCollector(ctx, m))
	}
	return m, nil
}

// connectorRuns returns the loops that run due pull sources (unless
// --sftp-pull-tick is 0) and Genesys export rules.
func connectorRuns(s *Server) []func(ctx context.Context) error {
	m := s.Connectors
	runs := []func(ctx context.Context) error{func(ctx context.Context) error { return m.RunGenesysLoop(ctx, s.cfg.Genesys.Tick) }}
	if s.cfg.SFTPPull.Tick > 0 {
		runs = append(runs, func(ctx context.Context) error { return m.RunPullLoop(ctx, s.cfg.SFTPPull.Tick) })
	}
	return runs
}
