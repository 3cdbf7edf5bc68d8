// Package telemetry sets up structured logs (JSON lines through log/slog)
// and Prometheus metrics. Nothing here is global: the logger and the
// registry are built once by the app and passed down.
package telemetry

import (
	"io"
	"log/slog"
	"strings"
)

// NewLogger returns a JSON logger writing to w at level ("debug", "info",
// "warn", "error"; default info).
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
