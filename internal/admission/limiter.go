package admission

import (
	"sync"
	"time"
)

// Defaults of NewLimiter.
const (
	MaxIngestsDefault       = 64
	MaxIngestsPerOrgDefault = 32
	// BusyRetryAfter is the Retry-After advised when an ingest limit is
	// reached: an upload of a typical call takes well under a second.
	BusyRetryAfter = time.Second
)

// Limiter bounds the ingests that run at once, in all and per
// organisation. It never queues: TryAcquire admits or refuses at once. The
// zero value is not usable; a nil *Limiter admits everything.
type Limiter struct {
	global, perOrg int

	mu          sync.Mutex
	inUse       int
	perOrgInUse map[string]int
}

// NewLimiter returns a Limiter of global ingests at once in all and perOrg
// per organisation. Zero means the default (64 and 32); perOrg is capped at
// global.
func NewLimiter(global, perOrg int) *Limiter {
	if global <= 0 {
		global = MaxIngestsDefault
	}
	if perOrg <= 0 {
		perOrg = MaxIngestsPerOrgDefault
	}
	return &Limiter{global: global, perOrg: min(perOrg, global), perOrgInUse: map[string]int{}}
}

// TryAcquire admits one ingest for org. On success it returns the function
// that ends it (to call exactly once; later calls do nothing). When a limit
// is reached it returns a *call.Error with CodeRateLimited whose cause is a
// *Refusal, and holds nothing.
func (l *Limiter) TryAcquire(org string) (release func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inUse >= l.global {
		return nil, refuse("server busy", "server busy, retry later", BusyRetryAfter)
	}
	if l.perOrgInUse[org] >= l.perOrg {
		return nil, refuse("organisation busy", "server busy with this organisation's uploads, retry later", BusyRetryAfter)
	}
	l.inUse++
	l.perOrgInUse[org]++
	var once sync.Once
	return func() { once.Do(func() { l.release(org) }) }, nil
}

func (l *Limiter) release(org string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inUse--
	if n := l.perOrgInUse[org] - 1; n > 0 {
		l.perOrgInUse[org] = n
	} else {
		delete(l.perOrgInUse, org) // the map holds only organisations in flight
	}
}

// InUse returns the ingests running now, in all and for org.
func (l *Limiter) InUse(org string) (all, ofOrg int) {
	if l == nil {
		return 0, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inUse, l.perOrgInUse[org]
}
