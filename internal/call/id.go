package call

import "github.com/google/uuid"

// NewID returns a new time-ordered identifier (UUID version 7), so that ids
// sort by creation time and serve as paging cursors.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }
