package tusupload

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"time"
)

// tempAge is how old a temporary record file must be to be a crash's
// leftover rather than a save in progress.
const tempAge = time.Hour

// SweepStats counts what one Sweep did.
type SweepStats struct {
	// Expired uploads were removed.
	Expired int
	// Completed uploads had their ingest retried, and it ended (in a call
	// or a final refusal).
	Completed int
	// Failed uploads had their ingest retried, and it failed again.
	Failed int
}

// Run sweeps at once (which also completes uploads interrupted by a crash),
// then every SweepInterval, until ctx ends; then it returns nil.
func (h *Handler) Run(ctx context.Context) error {
	t := time.NewTicker(h.cfg.SweepInterval)
	defer t.Stop()
	for {
		h.Sweep(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Sweep removes uploads created more than Expiry ago (unfinished or not)
// and files left by crashes, and retries the ingest of uploads whose bytes
// have all arrived but whose ingest failed for a reason worth retrying
// (expired uploads are otherwise refused at once when asked for: 404).
func (h *Handler) Sweep(ctx context.Context) SweepStats {
	var stats SweepStats
	entries, err := fs.ReadDir(h.store.root.FS(), ".")
	if err != nil {
		h.log.ErrorContext(ctx, "list uploads", "error", err)
		return stats
	}
	names := make(map[string]bool, len(entries))
	for _, e := range entries {
		names[e.Name()] = true
	}
	for _, e := range entries {
		if ctx.Err() != nil {
			break
		}
		name := e.Name()
		switch {
		case strings.HasSuffix(name, ".json") && validID(strings.TrimSuffix(name, ".json")):
			h.sweepUpload(ctx, strings.TrimSuffix(name, ".json"), &stats)
		case strings.HasSuffix(name, ".bin") && !names[strings.TrimSuffix(name, ".bin")+".json"]:
			h.removeStale(ctx, e, h.cfg.Expiry)
		case strings.HasSuffix(name, ".tmp"):
			h.removeStale(ctx, e, tempAge)
		}
	}
	if stats != (SweepStats{}) {
		h.log.InfoContext(ctx, "uploads swept", "expired", stats.Expired, "completed", stats.Completed,
			"failed", stats.Failed)
	}
	return stats
}

func (h *Handler) sweepUpload(ctx context.Context, id string, stats *SweepStats) {
	rec, err := h.store.loadRecord(id)
	if errors.Is(err, errUnknown) {
		return // removed meanwhile
	}
	if err != nil {
		h.log.WarnContext(ctx, "sweep upload", "upload_id", id, "error", err)
		return
	}
	expired := h.store.expired(rec)
	if !expired && rec.Outcome != nil {
		return
	}
	if !expired {
		if fi, err := h.store.root.Stat(dataName(id)); err != nil || fi.Size() != rec.Size {
			return // still arriving
		}
	}
	lock, err := h.lock(ctx, id)
	if err != nil {
		return // in use: next time
	}
	defer h.unlock(ctx, lock, id)
	if expired {
		if err := h.store.remove(id); err != nil {
			h.log.WarnContext(ctx, "remove expired upload", "upload_id", id, "error", err)
			return
		}
		stats.Expired++
		return
	}
	rec, _, err = h.store.load(id)
	if err != nil || rec.Outcome != nil {
		return
	}
	if _, err := h.complete(ctx, rec); err != nil && !final(err) {
		stats.Failed++
		return
	}
	stats.Completed++
}

// removeStale removes a leftover file older than age.
func (h *Handler) removeStale(ctx context.Context, e fs.DirEntry, age time.Duration) {
	fi, err := e.Info()
	if err != nil || h.cfg.Now().Sub(fi.ModTime()) <= age {
		return
	}
	if err := h.store.root.Remove(e.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		h.log.WarnContext(ctx, "remove stale upload file", "file", e.Name(), "error", err)
	}
}
