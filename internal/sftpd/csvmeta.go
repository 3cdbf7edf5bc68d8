package sftpd

import (
	"path"
	"strings"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/ingest"
)

// maxCSV bounds a batch metadata CSV.
const maxCSV = call.MaxBatchCSV

// isCSV reports whether a name is a batch metadata CSV.
func isCSV(name string) bool { return strings.HasSuffix(strings.ToLower(name), ".csv") }

// csvRow is one row of a batch metadata CSV turned into a sidecar.
type csvRow struct {
	file    string // relative to the CSV's folder, slash-separated
	sidecar []byte
}

// parseCSV reads a batch metadata CSV (call.ParseBatchCSV).
func parseCSV(b []byte, campaign string, now func() time.Time) ([]csvRow, error) {
	rows, err := call.ParseBatchCSV(b, campaign, now())
	if err != nil {
		return nil, err //nolint:wrapcheck // a *call.Error for the client
	}
	out := make([]csvRow, len(rows))
	for i, r := range rows {
		out[i] = csvRow{file: r.File, sidecar: r.Sidecar}
	}
	return out, nil
}

// acceptCSV validates a batch CSV, then treats each row as the sidecar of
// its file: merged into a call already made of it, or kept for it.
func (f *fsys) acceptCSV(v vpath, b []byte) error {
	rows, err := parseCSV(b, v.campaign, f.s.cfg.Now)
	if err != nil {
		f.record(v, ingest.Result{}, err)
		return f.status("csv", err)
	}
	dir := path.Dir(v.rel)
	var errs []error
	for _, r := range rows {
		sv := vpath{campaign: v.campaign, rel: path.Join(dir, r.file) + ".json"}
		if err := f.acceptSidecar(sv, r.sidecar); err != nil {
			errs = append(errs, err)
		}
	}
	f.log.Info("sftp csv accepted", "campaign_id", v.campaign, "rows", len(rows), "failed", len(errs))
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}
