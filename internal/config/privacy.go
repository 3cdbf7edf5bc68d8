package config

import "time"

// Privacy configures GDPR retention and erasure (internal/privacy).
type Privacy struct {
	// RetentionInterval is how often calls past their campaign's retention
	// are deleted (also at start-up); defaults to 1 hour.
	RetentionInterval time.Duration
	// BatchSize is how many calls one transaction deletes; defaults to 100.
	BatchSize int
}

// BindPrivacy binds the retention and erasure flags.
func BindPrivacy(f *Flags, c *Privacy) {
	f.Duration(&c.RetentionInterval, "retention-interval", time.Hour, "how often calls past their campaign's retention are deleted")
	f.Int(&c.BatchSize, "privacy-batch-size", 100, "calls deleted per transaction by retention and erasure")
}
