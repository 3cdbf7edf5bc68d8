package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/webui"
)

// webSessionKeyFile is where a generated session key is kept in the data dir.
const webSessionKeyFile = "web-session.key"

// webHandler returns the web application (sign-in, campaigns, import page)
// built on s's store, ingest and bucket. Mount it at "/" beside the API,
// and give the API its SessionPrincipal so that the import page's resumable
// uploads (/v1/uploads/) are authenticated by the session cookie. The
// pages' event streams end when ctx does (at shutdown).
func webHandler(ctx context.Context, s *Server, cfg config.Web, log *slog.Logger) (*webui.App, error) {
	key := []byte(cfg.SessionKey)
	if len(key) == 0 {
		var err error
		if key, err = loadOrCreateKey(filepath.Join(s.cfg.DataDir, webSessionKeyFile)); err != nil {
			return nil, err
		}
	}
	h, err := webui.New(webui.Config{Store: s.Store, Ingest: s.Ingest, Bucket: s.Bucket, Logger: log, Auth: s.Auth, Done: ctx.Done(),
		SessionKey: key, SessionTTL: cfg.SessionTTL, SecureCookies: cfg.SecureCookies || s.cfg.TLSCert != "",
		Channels: webChannels(s), Audit: s.auditRecorder(), Privacy: s.Privacy})
	if err != nil {
		return nil, fmt.Errorf("web application: %w", err)
	}
	return h, nil
}

// withWeb sends the API's paths to api and every other path to web.
func withWeb(api, web http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case strings.HasPrefix(p, "/v1/"), strings.HasPrefix(p, "/oauth/"), p == "/docs", strings.HasPrefix(p, "/docs/"),
			p == "/healthz", p == "/readyz", p == "/metrics", p == "/calls/audio":
			api.ServeHTTP(w, r)
		default:
			web.ServeHTTP(w, r)
		}
	})
}

// loadOrCreateKey reads a hex key from path, creating it (0600) on first use.
func loadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key, derr := hex.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(key) < 32 {
			return nil, fmt.Errorf("web session key %s: not 32+ hex-encoded bytes", path)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read web session key: %w", err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write web session key: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("write web session key: %w", err)
	}
	return key, nil
}
