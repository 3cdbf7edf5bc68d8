package jobs

import (
	"context"
	"fmt"
)

// recoverRunning puts back the jobs a crashed process left running. It is
// only correct when this process is the sole worker of the queue (see
// Config.SoleWorker): River itself would wait RescueAfter, because with
// several processes a running job may be alive elsewhere.
func (q *Queue) recoverRunning(ctx context.Context) error {
	// River's own table and states; the same statement holds for both
	// dialects' schemas. A running job was scheduled in the past, so it is
	// due at once. The spent attempt stays counted.
	res, err := q.db.ExecContext(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running'`)
	if err != nil {
		return fmt.Errorf("recover running jobs: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		q.log.InfoContext(ctx, "jobs left running by a previous process put back", "jobs", n)
	}
	return nil
}
