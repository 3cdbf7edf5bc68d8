package sftppull

import (
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/pkg/sftp"

	"github.com/callimport/callimport/internal/call"
)

// isCSV reports whether a name is a batch metadata CSV.
func isCSV(name string) bool { return strings.HasSuffix(strings.ToLower(name), ".csv") }

// batch is the metadata of the batch CSVs of a run: the envelope of each
// audio file they name (by remote path), and the folders holding a CSV
// that was refused (their files wait until it is fixed).
type batch struct {
	rows map[string]call.Envelope
	bad  map[string]string // folder → reason
	// requireMeta: the campaign requires metadata, so a file without a
	// sidecar or row waits (stays in place) up to Runner.MetadataWait after
	// its modification, then is refused.
	requireMeta bool
}

// loadCSVs reads and parses every batch CSV listed (call.ParseBatchCSV); a
// later CSV naming the same file wins. A refused CSV is reported in errs.
func (r *Runner) loadCSVs(sc *sftp.Client, src Source, csvs []string) (batch, []string) {
	b := batch{rows: map[string]call.Envelope{}, bad: map[string]string{}}
	var errs []string
	for _, p := range csvs {
		rows, err := r.readCSV(sc, src, p)
		if err != nil {
			reason := err.Error()
			var ce *call.Error
			if errors.As(err, &ce) {
				reason = ce.PublicReason()
			}
			b.bad[path.Dir(p)] = path.Base(p) + ": " + reason
			errs = append(errs, p+": "+reason+" (the files of its folder wait until it is fixed)")
			continue
		}
		for _, row := range rows {
			b.rows[path.Join(path.Dir(p), row.File)] = row.Envelope
		}
	}
	return b, errs
}

func (r *Runner) readCSV(sc *sftp.Client, src Source, p string) ([]call.BatchRow, error) {
	f, err := sc.Open(p)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	defer func() { _ = f.Close() }()
	b, err := io.ReadAll(io.LimitReader(f, call.MaxBatchCSV+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(b) > call.MaxBatchCSV {
		return nil, &call.Error{Code: call.CodeInvalid, Message: fmt.Sprintf("the CSV is larger than %d bytes", call.MaxBatchCSV)}
	}
	return call.ParseBatchCSV(b, src.CampaignID, r.now()) //nolint:wrapcheck // a *call.Error naming the rows
}
