package webui

import (
	"sync"
	"time"
)

// limiter slows down, then locks, sign-ins after repeated failures for one
// e-mail address. It lives in memory in one process: a restart forgets it and
// several processes count separately.
type limiter struct {
	mu        sync.Mutex
	m         map[string]*attempts
	slowAfter int
	lockAfter int
	lockFor   time.Duration
	maxDelay  time.Duration
}

type attempts struct {
	failures    int
	last        time.Time
	lockedUntil time.Time
}

func newLimiter(slowAfter, lockAfter int, lockFor, maxDelay time.Duration) *limiter {
	return &limiter{m: map[string]*attempts{}, slowAfter: slowAfter, lockAfter: lockAfter, lockFor: lockFor, maxDelay: maxDelay}
}

// check returns how long to wait before checking the password, and whether
// the address is locked.
func (l *limiter) check(key string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.m[key]
	if a == nil {
		return 0, false
	}
	if now.Before(a.lockedUntil) {
		return 0, true
	}
	if !a.lockedUntil.IsZero() { // the lock ran out: start again
		delete(l.m, key)
		return 0, false
	}
	if a.failures < l.slowAfter {
		return 0, false
	}
	return min(time.Duration(a.failures-l.slowAfter+1)*time.Second, l.maxDelay), false
}

// fail counts a failure and reports whether the address is now locked.
func (l *limiter) fail(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) > 100_000 {
		for k, a := range l.m {
			if now.Sub(a.last) > l.lockFor && now.After(a.lockedUntil) {
				delete(l.m, k)
			}
		}
	}
	a := l.m[key]
	if a == nil {
		a = &attempts{}
		l.m[key] = a
	}
	a.failures++
	a.last = now
	if a.failures >= l.lockAfter {
		a.lockedUntil = now.Add(l.lockFor)
		return true
	}
	return false
}

// succeed forgets the failures of key.
func (l *limiter) succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, key)
}
