package admission

import (
	"errors"
	"fmt"
	"time"

	"github.com/callimport/callimport/internal/call"
)

// Refusal is the cause carried by the *call.Error (CodeRateLimited) that the
// limiters return: why the work was refused and when to try again.
type Refusal struct {
	// Reason is "server busy" (global ingest limit), "organisation busy"
	// (per-organisation ingest limit) or "rate limited" (credential).
	Reason string
	// RetryAfter is the advised wait, at least one second.
	RetryAfter time.Duration
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("%s, retry after %s", r.Reason, r.RetryAfter)
}

// RetryAfter returns the advised wait carried by err, and whether err is a
// refusal at all.
func RetryAfter(err error) (time.Duration, bool) {
	if r, ok := errors.AsType[*Refusal](err); ok {
		return r.RetryAfter, true
	}
	return 0, false
}

// refuse returns the client-safe error of a refusal.
func refuse(reason, message string, after time.Duration) error {
	return &call.Error{Code: call.CodeRateLimited, Message: message,
		Err: &Refusal{Reason: reason, RetryAfter: max(after, time.Second)}}
}
