package config

import "time"

// SFTPPull configures the pull sources (customers' SFTP servers). It is off
// when Tick is 0.
type SFTPPull struct {
	// SecretKey is the deprecated CALLIMPORT_SFTP_PULL_SECRET_KEY (or its
	// _FILE), read as CALLIMPORT_SECRET_KEY when that is unset (see
	// Connectors.SecretKey).
	SecretKey string
	// Tick is how often due sources are looked for; defaults to 1 minute.
	Tick time.Duration
	// Concurrency bounds the files fetched at once per source; defaults to 4.
	Concurrency int
	// Settle is the wait between the two looks that prove a file stopped
	// growing; defaults to 2 seconds.
	Settle time.Duration
}

// BindSFTPPull binds the pull sources' flags and their secret key.
func BindSFTPPull(f *Flags, c *SFTPPull) {
	f.Secret(&c.SecretKey, "CALLIMPORT_SFTP_PULL_SECRET_KEY")
	f.Duration(&c.Tick, "sftp-pull-tick", time.Minute, "how often due SFTP pull sources are looked for (0: off)")
	f.Int(&c.Concurrency, "sftp-pull-concurrency", 4, "files fetched at once per SFTP pull source")
	f.Duration(&c.Settle, "sftp-pull-settle", 2*time.Second, "wait between the two looks that prove a remote file stopped growing")
}

// Redacted returns c without its key, for logging.
func (c SFTPPull) Redacted() SFTPPull {
	if c.SecretKey != "" {
		c.SecretKey = "[redacted]"
	}
	return c
}
