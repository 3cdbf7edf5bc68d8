package config

import "time"

// Web configures the web application served beside the API.
type Web struct {
	// SessionKey encrypts session cookies (environment only:
	// CALLIMPORT_WEB_SESSION_KEY or its _FILE); at least 32 characters. Empty
	// means a key generated once and kept in the data directory
	// (web-session.key), which only suits a single process.
	SessionKey string
	// SessionTTL is how long a sign-in lasts; defaults to 12h.
	SessionTTL time.Duration
	// SecureCookies marks cookies Secure; defaults to true when TLS is
	// configured. Set it when a proxy in front terminates TLS.
	SecureCookies bool
}

// BindWeb binds the web application's flags.
func BindWeb(f *Flags, w *Web) {
	f.Duration(&w.SessionTTL, "web-session-ttl", 12*time.Hour, "how long a web sign-in lasts")
	secure := "false"
	if v, ok := f.env("web-secure-cookies"); ok {
		secure = v
	}
	w.SecureCookies = secure == "true" || secure == "1"
	f.FS.BoolVar(&w.SecureCookies, "web-secure-cookies", w.SecureCookies,
		"mark web cookies Secure (automatic with --tls-cert) (env "+EnvName("web-secure-cookies")+")")
	f.Secret(&w.SessionKey, "CALLIMPORT_WEB_SESSION_KEY")
}
