package config

import (
	"errors"
	"fmt"
	"strconv"
)

// Limits bounds the work one process takes on at once (package admission).
// Beyond a limit the API answers 429 with Retry-After and the SFTP server a
// failure "server busy, retry later"; nothing is queued in memory.
type Limits struct {
	// MaxIngests bounds the uploads (API, tus, web, hosted SFTP) ingested at
	// once by this process; defaults to 64.
	MaxIngests int
	// MaxIngestsPerOrg bounds them per organisation; defaults to 32 (and at
	// most MaxIngests).
	MaxIngestsPerOrg int
	// RateLimitPerKey is the requests per second allowed to each API key or
	// OAuth client on every API route; 0 (the default) turns it off.
	RateLimitPerKey float64
	// RateLimitBurst is how many requests a credential may make at once;
	// defaults to RateLimitPerKey rounded up.
	RateLimitBurst int
}

// Validate refuses negative limits.
func (l Limits) Validate() error {
	if l.MaxIngests < 0 || l.MaxIngestsPerOrg < 0 || l.RateLimitPerKey < 0 || l.RateLimitBurst < 0 {
		return errors.New("max-ingests, max-ingests-per-org, rate-limit-per-key and rate-limit-burst must not be negative")
	}
	return nil
}

// BindLimits binds the load limits' flags.
func BindLimits(f *Flags, l *Limits) {
	f.Int(&l.MaxIngests, "max-ingests", 64, "uploads ingested at once by this process; beyond, 429 with Retry-After")
	f.Int(&l.MaxIngestsPerOrg, "max-ingests-per-org", 32, "uploads ingested at once per organisation; beyond, 429 with Retry-After")
	f.float(&l.RateLimitPerKey, "rate-limit-per-key", 0, "requests per second per API key or OAuth client (0: no limit)")
	f.Int(&l.RateLimitBurst, "rate-limit-burst", 0, "requests a credential may make at once (0: rate-limit-per-key rounded up)")
}

// float binds a float flag.
func (f *Flags) float(p *float64, name string, def float64, usage string) {
	if v, ok := f.env(name); ok {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s: %q is not a number", EnvName(name), v))
		} else {
			def = n
		}
	}
	f.FS.Float64Var(p, name, def, usage+" (env "+EnvName(name)+")")
}
