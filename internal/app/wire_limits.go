package app

import (
	"github.com/callimport/callimport/internal/admission"
	"github.com/callimport/callimport/internal/config"
)

// newLimits builds the ingest limiter (given to ingest, which every upload
// channel asks before reading a body) and the per-credential rate limiter
// of the API (nil when cfg.RateLimitPerKey is 0).
func newLimits(cfg config.Limits) (*admission.Limiter, *admission.RateLimiter) {
	return admission.NewLimiter(cfg.MaxIngests, cfg.MaxIngestsPerOrg),
		admission.NewRateLimiter(admission.RateConfig{Rate: cfg.RateLimitPerKey, Burst: cfg.RateLimitBurst})
}
