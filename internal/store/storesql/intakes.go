package storesql

import (
	"context"
	"time"

	"github.com/callimport/callimport/internal/store"
)

// IntakeCreate records a blob write in progress; ErrAlreadyExists if the key
// is already recorded.
func (q *queries) IntakeCreate(ctx context.Context, p store.IntakeCreateParams) error {
	created := p.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	// Bookkeeping only: the call's own commit makes it durable.
	return q.insert(lazy(ctx), q.q.IntakeInsert, "create intake "+p.BlobKey, p.BlobKey, q.time(created))
}

// IntakeDelete forgets an intake; an unknown key is not an error.
func (q *queries) IntakeDelete(ctx context.Context, blobKey string) error {
	if _, err := q.ex.ExecContext(lazy(ctx), q.q.IntakeDelete, blobKey); err != nil {
		return q.fail(err, "delete intake %s", blobKey)
	}
	return nil
}

// Intake listing bounds.
const (
	DefaultIntakeListLimit = 100
	MaxIntakeListLimit     = 1000
)

// IntakeListStale returns up to limit intakes started before olderThan,
// oldest first. limit defaults to 100 and is capped at 1000.
func (q *queries) IntakeListStale(ctx context.Context, olderThan time.Time, limit int) ([]store.Intake, error) {
	if limit <= 0 {
		limit = DefaultIntakeListLimit
	}
	limit = min(limit, MaxIntakeListLimit)
	return list(ctx, q, scanIntake, "list stale intakes", q.q.IntakeListStale, q.time(olderThan), limit)
}
