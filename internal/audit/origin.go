package audit

import (
	"context"
	"net"
	"strings"
	"unicode/utf8"
)

// MaxClientLen bounds Event.Client, in bytes.
const MaxClientLen = 200

// Origin is who is acting and from where, carried in a request's context
// so that events recorded deep in a call chain (an import by ingest) name
// the caller that the channel authenticated.
type Origin struct {
	OrgID    string
	Actor    Actor
	SourceIP string
	Client   string
}

type originKey struct{}

// WithOrigin returns ctx carrying o.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginFrom returns the origin ctx carries, and false when it carries none.
func OriginFrom(ctx context.Context) (Origin, bool) {
	o, ok := ctx.Value(originKey{}).(Origin)
	return o, ok
}

// RemoteIP returns the address of a "host:port" remote address without its
// port (the whole string when it has none). Headers such as
// X-Forwarded-For are never consulted: a client can write them.
func RemoteIP(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// ClientName returns a user agent or SSH client version fit for Event.Client:
// control characters and invalid UTF-8 replaced, at most MaxClientLen
// bytes, cut on a character boundary.
func ClientName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if len(s) <= MaxClientLen {
		return s
	}
	cut := MaxClientLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
