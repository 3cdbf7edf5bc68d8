package tusupload

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// ForgetCalls removes the records of finished uploads that ended as one of
// callIDs, with any bytes left: a record keeps the upload's metadata (file
// name, agent e-mail, metadata) until it expires, so erasure and retention
// call this to leave no copy behind their calls. Unfinished uploads are
// not touched. Afterwards the upload answers 404. It returns how many
// uploads it removed.
func (h *Handler) ForgetCalls(ctx context.Context, callIDs []string) (int, error) {
	if len(callIDs) == 0 {
		return 0, nil
	}
	want := make(map[string]bool, len(callIDs))
	for _, id := range callIDs {
		want[id] = true
	}
	entries, err := fs.ReadDir(h.store.root.FS(), ".")
	if err != nil {
		return 0, fmt.Errorf("forget uploads: %w", err)
	}
	removed := 0
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !validID(id) {
			continue
		}
		rec, err := h.store.loadRecord(id)
		if errors.Is(err, errUnknown) {
			continue
		}
		if err != nil {
			return removed, fmt.Errorf("forget uploads: %w", err)
		}
		if rec.Outcome == nil || !want[rec.Outcome.CallID] {
			continue
		}
		if err := h.store.remove(id); err != nil {
			return removed, fmt.Errorf("forget uploads: %w", err)
		}
		removed++
	}
	if removed > 0 {
		h.log.InfoContext(ctx, "uploads of erased calls removed", "removed", removed)
	}
	return removed, nil
}
