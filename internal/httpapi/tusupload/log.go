package tusupload

import (
	"context"
	"log/slog"

	xslog "golang.org/x/exp/slog"
)

// tusdLogger gives tusd (which logs through golang.org/x/exp/slog) our
// logger: its per-request chatter at debug level, its warnings and errors
// (mostly clients going away) as warnings. Request bodies and internal
// errors reach the client only through answerTusError, never through here.
func tusdLogger(log *slog.Logger) *xslog.Logger {
	return xslog.New(bridge{log: log.With("component", "tusd")})
}

type bridge struct {
	log *slog.Logger
}

func level(l xslog.Level) slog.Level {
	if l >= xslog.LevelWarn {
		return slog.LevelWarn
	}
	return slog.LevelDebug
}

func (b bridge) Enabled(ctx context.Context, l xslog.Level) bool {
	return b.log.Enabled(ctx, level(l))
}

func (b bridge) Handle(ctx context.Context, r xslog.Record) error {
	args := make([]any, 0, 2*r.NumAttrs())
	r.Attrs(func(a xslog.Attr) bool {
		args = append(args, a.Key, a.Value.Any())
		return true
	})
	b.log.Log(ctx, level(r.Level), r.Message, args...)
	return nil
}

func (b bridge) WithAttrs(attrs []xslog.Attr) xslog.Handler {
	args := make([]any, 0, 2*len(attrs))
	for _, a := range attrs {
		args = append(args, a.Key, a.Value.Any())
	}
	return bridge{log: b.log.With(args...)}
}

func (b bridge) WithGroup(name string) xslog.Handler {
	return bridge{log: b.log.WithGroup(name)}
}
