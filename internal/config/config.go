// Package config holds callimport's typed configuration. Every flag has an
// environment variable: --http-addr is CALLIMPORT_HTTP_ADDR; secrets may
// also come from a file named by the variable with a _FILE suffix
// (CALLIMPORT_ADMIN_PASSWORD_FILE). Precedence: flag, then environment,
// then the default stated on each field.
package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Storage says where metadata and audio live; serve and admin share it.
type Storage struct {
	// DataDir holds the embedded database and audio; defaults to ./callimport-data.
	DataDir string
	// Database is a postgres:// URL, or sqlite:PATH; empty means SQLite at
	// DataDir/callimport.db.
	Database string
	// BlobURL is a gocloud.dev/blob URL (file:///..., s3://bucket?...);
	// empty means file://DataDir/blobs.
	BlobURL string
	// SQLiteSynchronous is FULL (default, durable on power loss) or NORMAL.
	SQLiteSynchronous string
}

// Serve configures `callimport serve`.
type Serve struct {
	Storage
	// HTTPAddr defaults to localhost:8080.
	HTTPAddr string
	// SFTPAddr defaults to localhost:2022 (the hosted SFTP server).
	SFTPAddr string
	// TLSCert and TLSKey turn on HTTPS when both are set.
	TLSCert string
	TLSKey  string
	// MaxUploadSize bounds one recording; defaults to 4 GiB.
	MaxUploadSize int64
	// Workers is the number of background jobs run at once per process; defaults to 8.
	Workers int
	// LogLevel is debug, info (default), warn or error.
	LogLevel string
	// ShutdownTimeout bounds the graceful shutdown; defaults to 30s.
	ShutdownTimeout time.Duration
	// TokenTTL is the lifetime of OAuth bearer tokens; defaults to 15m.
	TokenTTL time.Duration
	// OrphanAge is how old an unfinished intake must be to be cleaned; defaults to 24h.
	OrphanAge time.Duration
	// JobTimeout bounds one attempt of a background job; defaults to 5m.
	JobTimeout time.Duration
	// OrphanInterval is how often the orphan clean-up runs; defaults to 10m.
	OrphanInterval time.Duration
	// AdminPassword is the first admin's password (environment only); empty
	// means generated and printed once.
	AdminPassword string
	// Web configures the web application.
	Web Web
	// SFTP configures the hosted SFTP server (listening on SFTPAddr).
	SFTP SFTP
	// Genesys configures the Genesys Cloud channel (off without a secret key).
	Genesys Genesys
	// SFTPPull configures pulling from customers' SFTP servers.
	SFTPPull SFTPPull
	// Limits bounds concurrent ingests and request rates.
	Limits Limits
	// Privacy configures retention and erasure.
	Privacy Privacy
	// Connectors configures the channels' shared secret key and feed health.
	Connectors Connectors
}

// Resolve fills defaults that depend on other fields and makes DataDir absolute.
func (s *Storage) Resolve() error {
	if s.DataDir == "" {
		s.DataDir = "callimport-data"
	}
	abs, err := filepath.Abs(s.DataDir)
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	s.DataDir = abs
	if s.Database == "" {
		s.Database = "sqlite:" + filepath.Join(abs, "callimport.db")
	}
	if s.BlobURL == "" {
		s.BlobURL = "file://" + filepath.ToSlash(filepath.Join(abs, "blobs"))
	}
	switch strings.ToUpper(s.SQLiteSynchronous) {
	case "":
		s.SQLiteSynchronous = "FULL"
	case "FULL", "NORMAL":
		s.SQLiteSynchronous = strings.ToUpper(s.SQLiteSynchronous)
	default:
		return fmt.Errorf("sqlite-synchronous must be FULL or NORMAL, not %q", s.SQLiteSynchronous)
	}
	if !strings.HasPrefix(s.Database, "sqlite:") && !strings.HasPrefix(s.Database, "postgres://") && !strings.HasPrefix(s.Database, "postgresql://") {
		return errors.New("database must be a postgres:// URL or sqlite:PATH")
	}
	return nil
}

// Validate fills defaults and checks s.
func (s *Serve) Validate() error {
	if err := s.Resolve(); err != nil {
		return err
	}
	if (s.TLSCert == "") != (s.TLSKey == "") {
		return errors.New("tls-cert and tls-key must be given together")
	}
	if s.MaxUploadSize < 0 {
		return errors.New("max-upload-size must not be negative")
	}
	if err := s.Limits.Validate(); err != nil {
		return err
	}
	switch strings.ToLower(s.LogLevel) {
	case "", "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log-level must be debug, info, warn or error, not %q", s.LogLevel)
	}
	return nil
}

// Redacted returns a copy of s safe to log.
func (s Serve) Redacted() Serve {
	if s.AdminPassword != "" {
		s.AdminPassword = "[redacted]"
	}
	s.Database = redactURL(s.Database)
	s.Genesys = s.Genesys.Redacted()
	s.SFTPPull = s.SFTPPull.Redacted()
	s.Connectors = s.Connectors.Redacted()
	if s.Web.SessionKey != "" {
		s.Web.SessionKey = "[redacted]"
	}
	return s
}

func redactURL(u string) string {
	at := strings.LastIndex(u, "@")
	scheme := strings.Index(u, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return u
	}
	user := u[scheme+3 : at]
	if i := strings.IndexByte(user, ':'); i >= 0 {
		return u[:scheme+3] + user[:i] + ":[redacted]" + u[at:]
	}
	return u
}

// Flags binds config fields to a flag set with environment fallbacks.
type Flags struct {
	FS     *flag.FlagSet
	Getenv func(string) string
	errs   []error
}

// EnvName is the environment variable of a flag.
func EnvName(flagName string) string {
	return "CALLIMPORT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (f *Flags) env(name string) (string, bool) {
	getenv := f.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	v := getenv(EnvName(name))
	return v, v != ""
}

// String binds a string flag.
func (f *Flags) String(p *string, name, def, usage string) {
	if v, ok := f.env(name); ok {
		def = v
	}
	f.FS.StringVar(p, name, def, usage+" (env "+EnvName(name)+")")
}

// Int binds an int flag.
func (f *Flags) Int(p *int, name string, def int, usage string) {
	if v, ok := f.env(name); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s: %q is not a number", EnvName(name), v))
		} else {
			def = n
		}
	}
	f.FS.IntVar(p, name, def, usage+" (env "+EnvName(name)+")")
}

// Duration binds a duration flag.
func (f *Flags) Duration(p *time.Duration, name string, def time.Duration, usage string) {
	if v, ok := f.env(name); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s: %q is not a duration", EnvName(name), v))
		} else {
			def = d
		}
	}
	f.FS.DurationVar(p, name, def, usage+" (env "+EnvName(name)+")")
}

// Size binds a byte-size flag accepting suffixes KiB, MiB, GiB (and KB, MB, GB).
func (f *Flags) Size(p *int64, name string, def int64, usage string) {
	*p = def
	if v, ok := f.env(name); ok {
		n, err := ParseSize(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s: %w", EnvName(name), err))
		} else {
			*p = n
		}
	}
	f.FS.Func(name, usage+" (env "+EnvName(name)+")", func(s string) error {
		n, err := ParseSize(s)
		if err == nil {
			*p = n
		}
		return err
	})
}

// Secret reads an environment-only secret, from NAME or the file NAME_FILE.
func (f *Flags) Secret(p *string, envName string) {
	getenv := f.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if v := getenv(envName); v != "" {
		*p = v
		return
	}
	if file := getenv(envName + "_FILE"); file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s_FILE: %w", envName, err))
			return
		}
		*p = strings.TrimRight(string(b), "\r\n")
	}
}

// Err returns the problems found in environment variables.
func (f *Flags) Err() error { return errors.Join(f.errs...) }

// ParseSize reads "4GiB", "512MiB", "100KB" or a plain number of bytes.
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size such as 4GiB or 512MiB", s)
	}
	return n * mult, nil
}

// BindStorage binds the storage flags shared by serve and admin commands.
func BindStorage(f *Flags, s *Storage) {
	f.String(&s.DataDir, "data-dir", "callimport-data", "directory for the embedded database and audio")
	f.String(&s.Database, "database", "", "postgres:// URL or sqlite:PATH (default: SQLite in the data dir)")
	f.String(&s.BlobURL, "blob-url", "", "blob store URL: file:///path or s3://bucket?endpoint=... (default: the data dir)")
	f.String(&s.SQLiteSynchronous, "sqlite-synchronous", "FULL", "SQLite synchronous mode: FULL or NORMAL")
}

// BindServe binds every serve flag.
func BindServe(f *Flags, s *Serve) {
	BindStorage(f, &s.Storage)
	f.String(&s.HTTPAddr, "http-addr", "localhost:8080", "HTTP listen address")
	f.String(&s.SFTPAddr, "sftp-addr", "localhost:2022", "SFTP listen address")
	f.String(&s.TLSCert, "tls-cert", "", "TLS certificate file (PEM); with --tls-key serves HTTPS")
	f.String(&s.TLSKey, "tls-key", "", "TLS private key file (PEM)")
	f.Size(&s.MaxUploadSize, "max-upload-size", 4<<30, "largest accepted recording, e.g. 4GiB")
	f.Int(&s.Workers, "workers", 8, "background jobs run at once by this process")
	f.String(&s.LogLevel, "log-level", "info", "debug, info, warn or error")
	f.Duration(&s.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long a graceful shutdown may take")
	f.Duration(&s.TokenTTL, "token-ttl", 15*time.Minute, "lifetime of OAuth bearer tokens")
	f.Duration(&s.OrphanAge, "orphan-age", 24*time.Hour, "age after which an unfinished upload's bytes are removed")
	f.Duration(&s.JobTimeout, "job-timeout", 5*time.Minute, "longest run of one background job attempt")
	f.Duration(&s.OrphanInterval, "orphan-interval", 10*time.Minute, "how often unfinished uploads are looked for")
	f.Secret(&s.AdminPassword, "CALLIMPORT_ADMIN_PASSWORD")
	BindWeb(f, &s.Web)
	BindSFTP(f, &s.SFTP)
	BindGenesys(f, &s.Genesys)
	BindSFTPPull(f, &s.SFTPPull)
	BindLimits(f, &s.Limits)
	BindPrivacy(f, &s.Privacy)
	BindConnectors(f, &s.Connectors)
}
