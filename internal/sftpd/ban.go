package sftpd

import (
	"sync"
	"time"
)

// banList counts failed logins per remote address and bans an address that
// reaches max failures within window for ban. It lives in memory: a restart
// forgets it.
type banList struct {
	max    int
	window time.Duration
	ban    time.Duration
	now    func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time
	banned   map[string]time.Time // address → end of the ban
}

func newBanList(maxFailures int, window, ban time.Duration, now func() time.Time) *banList {
	return &banList{max: maxFailures, window: window, ban: ban, now: now,
		failures: map[string][]time.Time{}, banned: map[string]time.Time{}}
}

// Banned reports whether addr is banned now.
func (b *banList) Banned(addr string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	until, ok := b.banned[addr]
	if !ok {
		return false
	}
	if b.now().Before(until) {
		return true
	}
	delete(b.banned, addr)
	return false
}

// Fail records a failed login from addr and reports whether it is now banned.
func (b *banList) Fail(addr string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	recent := b.failures[addr][:0]
	for _, t := range b.failures[addr] {
		if now.Sub(t) < b.window {
			recent = append(recent, t)
		}
	}
	recent = append(recent, now)
	if len(recent) >= b.max {
		delete(b.failures, addr)
		b.banned[addr] = now.Add(b.ban)
		b.prune(now)
		return true
	}
	b.failures[addr] = recent
	b.prune(now)
	return false
}

// prune drops expired bans and stale failure lists, so that the maps stay
// bounded by the addresses seen within a window or ban.
func (b *banList) prune(now time.Time) {
	for a, until := range b.banned {
		if !now.Before(until) {
			delete(b.banned, a)
		}
	}
	for a, ts := range b.failures {
		if len(ts) == 0 || now.Sub(ts[len(ts)-1]) >= b.window {
			delete(b.failures, a)
		}
	}
}
