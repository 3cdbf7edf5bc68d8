package admission

import (
	"container/list"
	"math"
	"sync"
	"time"
)

// MaxKeysDefault is how many credentials RateLimiter remembers by default.
const MaxKeysDefault = 10_000

// RateLimiter is a token bucket per key (an API key or OAuth client): each
// key may make Burst requests at once and Rate per second in the long run.
// It remembers at most MaxKeys keys, forgetting the least recently used. A
// nil *RateLimiter allows everything.
type RateLimiter struct {
	rate    float64
	burst   float64
	maxKeys int
	now     func() time.Time

	mu   sync.Mutex
	lru  *list.List // of *bucket, most recent first
	keys map[string]*list.Element
}

type bucket struct {
	key    string
	tokens float64
	last   time.Time
}

// RateConfig configures NewRateLimiter.
type RateConfig struct {
	// Rate is the requests per second allowed per key; 0 or less turns
	// rate limiting off (NewRateLimiter returns nil).
	Rate float64
	// Burst is how many requests a key may make at once; defaults to
	// Rate rounded up, at least 1.
	Burst int
	// MaxKeys bounds the keys remembered; defaults to 10,000.
	MaxKeys int
	// Now defaults to time.Now.
	Now func() time.Time
}

// NewRateLimiter returns a RateLimiter, or nil when cfg.Rate is 0 (off).
func NewRateLimiter(cfg RateConfig) *RateLimiter {
	if cfg.Rate <= 0 {
		return nil
	}
	if cfg.Burst <= 0 {
		cfg.Burst = max(1, int(math.Ceil(cfg.Rate)))
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = MaxKeysDefault
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &RateLimiter{rate: cfg.Rate, burst: float64(cfg.Burst), maxKeys: cfg.MaxKeys, now: cfg.Now,
		lru: list.New(), keys: map[string]*list.Element{}}
}

// Allow takes one token of key's bucket. When the bucket is empty it
// returns a *call.Error with CodeRateLimited whose *Refusal says when the
// next token comes (rounded up to whole seconds, at least one).
func (r *RateLimiter) Allow(key string) error {
	if r == nil {
		return nil
	}
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.bucket(key, now)
	b.tokens = min(r.burst, b.tokens+now.Sub(b.last).Seconds()*r.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return nil
	}
	wait := time.Duration((1 - b.tokens) / r.rate * float64(time.Second))
	wait = time.Duration(math.Ceil(wait.Seconds())) * time.Second
	return refuse("rate limited", "too many requests with this credential, retry later", wait)
}

// bucket returns key's bucket, made full if new, and marks it most recent.
func (r *RateLimiter) bucket(key string, now time.Time) *bucket {
	if e, ok := r.keys[key]; ok {
		r.lru.MoveToFront(e)
		return e.Value.(*bucket)
	}
	if r.lru.Len() >= r.maxKeys {
		oldest := r.lru.Back()
		r.lru.Remove(oldest)
		delete(r.keys, oldest.Value.(*bucket).key)
	}
	b := &bucket{key: key, tokens: r.burst, last: now}
	r.keys[key] = r.lru.PushFront(b)
	return b
}

// Len returns how many keys are remembered.
func (r *RateLimiter) Len() int {
	if r == nil {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lru.Len()
}
