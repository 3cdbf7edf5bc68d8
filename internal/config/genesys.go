package config

import "time"

// Genesys configures the Genesys Cloud channel.
type Genesys struct {
	// SecretKey is the deprecated CALLIMPORT_GENESYS_SECRET_KEY (or its
	// _FILE), read as CALLIMPORT_SECRET_KEY when that is unset (see
	// Connectors.SecretKey).
	SecretKey string
	// Tick is how often due rules are looked for; defaults to 1 minute.
	Tick time.Duration
	// Lag keeps each run's window this far in the past, for recordings
	// still uploading; defaults to 10 minutes.
	Lag time.Duration
}

// BindGenesys binds the Genesys channel's flags and its secret key.
func BindGenesys(f *Flags, c *Genesys) {
	f.Secret(&c.SecretKey, "CALLIMPORT_GENESYS_SECRET_KEY")
	f.Duration(&c.Tick, "genesys-tick", time.Minute, "how often due Genesys export rules are looked for")
	f.Duration(&c.Lag, "genesys-lag", 10*time.Minute, "how far in the past each Genesys run's window ends")
}

// Redacted returns c without its key, for logging.
func (c Genesys) Redacted() Genesys {
	if c.SecretKey != "" {
		c.SecretKey = "[redacted]"
	}
	return c
}
