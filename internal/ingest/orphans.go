package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"time"

	"github.com/callimport/callimport/internal/blob"
	"github.com/callimport/callimport/internal/store"
)

// OrphanCleaner removes blobs whose intake never reached a committed call
// (a crash or a lost connection between the write and the commit).
type OrphanCleaner struct {
	store  store.Store
	bucket *blob.Bucket
	log    *slog.Logger
	// MaxAge is how old an intake must be before it counts as abandoned; it
	// must exceed the longest upload. Defaults to 24 hours.
	MaxAge time.Duration
	now    func() time.Time
}

// NewOrphanCleaner returns an OrphanCleaner.
func NewOrphanCleaner(st store.Store, bucket *blob.Bucket, maxAge time.Duration, log *slog.Logger) *OrphanCleaner {
	if maxAge <= 0 {
		maxAge = 24 * time.Hour
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &OrphanCleaner{store: st, bucket: bucket, log: log, MaxAge: maxAge, now: time.Now}
}

// CleanOrphans deletes the temporary files of cut-off writes and the blobs
// of stale intakes, and forgets those intakes. An intake
// whose call was committed meanwhile is gone already, so a committed call's
// blob is never touched. It returns how many orphans it removed.
func (o *OrphanCleaner) CleanOrphans(ctx context.Context) (int, error) {
	o.bucket.RemoveStaleTemps(o.now().Add(-o.MaxAge))
	removed := 0
	for {
		stale, err := o.store.IntakeListStale(ctx, o.now().Add(-o.MaxAge), 100)
		if err != nil {
			return removed, fmt.Errorf("list stale intakes: %w", err)
		}
		for _, in := range stale {
			// A call may own this key if the commit raced with us; never
			// delete a blob that a call points to.
			if c, err := o.store.CallGetByID(ctx, path.Base(in.BlobKey)); err == nil && c.BlobKey == in.BlobKey {
				if err := o.store.IntakeDelete(ctx, in.BlobKey); err != nil {
					return removed, fmt.Errorf("forget intake: %w", err)
				}
				continue
			}
			if err := o.bucket.Delete(ctx, in.BlobKey); err != nil {
				return removed, fmt.Errorf("delete orphan blob: %w", err)
			}
			if err := o.store.IntakeDelete(ctx, in.BlobKey); err != nil {
				return removed, fmt.Errorf("forget intake: %w", err)
			}
			removed++
			o.log.InfoContext(ctx, "orphan blob removed", "blob_key", in.BlobKey)
		}
		if len(stale) < 100 {
			return removed, nil
		}
	}
}
