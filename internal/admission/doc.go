// Package admission decides, without waiting, whether the server takes on
// more work: Limiter bounds the ingests running at once (globally and per
// organisation), RateLimiter bounds the request rate of each credential.
// Neither queues anything: beyond a limit the caller is refused at once with
// an error carrying a Retry-After hint, which each front end maps to its
// protocol (HTTP 429 with Retry-After, an SFTP failure status "server busy,
// retry later").
//
// # Configuration
//
// `callimport serve` takes --max-ingests (default 64), --max-ingests-per-org
// (default 32), --rate-limit-per-key (requests per second per API key or
// OAuth client, 0 = off, the default) and --rate-limit-burst (see
// internal/config/limits.go). The limits hold per process: with several
// processes behind a load balancer, the effective limits add up.
//
// # What to watch
//
// The 429 answers are counted by the HTTP metrics (status label) and logged
// at info level as "request refused" with code rate_limited. Many of them
// with an idle CPU mean the limits are too low; timeouts and growing memory
// with few of them mean they are too high.
//
// # Memory
//
// Limiter keeps one counter per organisation with ingests in flight, so at
// most its global limit of entries. RateLimiter keeps one token bucket per
// credential seen recently, at most MaxKeys (least recently used evicted;
// an evicted credential starts again with a full bucket).
package admission
