package app

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/internal/config"
)

// TestWireWeb builds the web application on a real server and checks the
// split between the API's paths and the web app's, and that a generated
// session key survives a restart.
func TestWireWeb(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := config.Serve{Storage: config.Storage{DataDir: dir}, ShutdownTimeout: 5 * time.Second, Workers: 1}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	srv, err := NewServer(t.Context(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	web, err := webHandler(t.Context(), srv, config.Web{}, log)
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(dir, webSessionKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := webHandler(t.Context(), srv, config.Web{}, log); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, webSessionKeyFile)); !bytes.Equal(key, again) {
		t.Error("the generated session key changed")
	}
	h := withWeb(srv.Handler, web)
	for path, want := range map[string]string{
		"/login": "<form", "/healthz": "ok", "/v1/calls": "problem", "/static/import.js": "use strict", "/nowhere": "<html",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil))
		b, _ := io.ReadAll(rec.Result().Body)
		if !strings.Contains(strings.ToLower(string(b)+rec.Header().Get("Content-Type")), want) {
			t.Errorf("GET %s: %d %s\n%.300s", path, rec.Code, rec.Header().Get("Content-Type"), b)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, webSessionKeyFile), []byte("not hex\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := webHandler(t.Context(), srv, config.Web{}, log); err == nil {
		t.Error("a damaged key file is accepted")
	}
	if _, err := webHandler(t.Context(), srv, config.Web{SessionKey: "short"}, log); err == nil {
		t.Error("a short session key is accepted")
	}
}
