package config

import "time"

// Connectors configures what the import channels share: the key that seals
// their secrets at rest (SFTP pull passwords and private keys, Genesys
// client secrets), feed health and the run leases.
type Connectors struct {
	// SecretKey seals connector secrets with AES-256-GCM: 32 bytes in
	// base64, from CALLIMPORT_SECRET_KEY or the file named by
	// CALLIMPORT_SECRET_KEY_FILE (never a flag). The deprecated
	// CALLIMPORT_GENESYS_SECRET_KEY and CALLIMPORT_SFTP_PULL_SECRET_KEY are
	// read when it is empty. Without any, serve generates one into
	// DataDir/secret.key (0600).
	SecretKey string
	// SecretKeyPrevious are earlier keys still accepted for opening while a
	// rotation rolls out (CALLIMPORT_SECRET_KEY_PREVIOUS or its _FILE; several
	// separated by commas or new lines).
	SecretKeyPrevious string
	// FeedQuietAfter marks a feed quiet when nothing arrived for longer;
	// defaults to 24 hours.
	FeedQuietAfter time.Duration
	// Lease is how long a process holds a due pull source or export rule
	// without renewing its claim; defaults to 2 minutes.
	Lease time.Duration
}

// BindConnectors binds the connectors' flags and secret keys.
func BindConnectors(f *Flags, c *Connectors) {
	f.Secret(&c.SecretKey, "CALLIMPORT_SECRET_KEY")
	f.Secret(&c.SecretKeyPrevious, "CALLIMPORT_SECRET_KEY_PREVIOUS")
	f.Duration(&c.FeedQuietAfter, "feed-quiet-after", 24*time.Hour, "a pull source or Genesys rule with no import for longer is reported quiet")
	f.Duration(&c.Lease, "connector-lease", 2*time.Minute, "how long a process holds a due pull source or export rule without renewing its claim")
}

// Redacted returns c without its keys, for logging.
func (c Connectors) Redacted() Connectors {
	if c.SecretKey != "" {
		c.SecretKey = "[redacted]"
	}
	if c.SecretKeyPrevious != "" {
		c.SecretKeyPrevious = "[redacted]"
	}
	return c
}
