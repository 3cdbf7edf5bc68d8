package sftpd

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/ingest"
)

const (
	// maxCSV bounds a batch metadata CSV.
	maxCSV = 4 << 20
	// maxCSVRows bounds its rows.
	maxCSVRows = 10000
)

// isCSV reports whether a name is a batch metadata CSV.
func isCSV(name string) bool { return strings.HasSuffix(strings.ToLower(name), ".csv") }

// csvRow is one row of a batch metadata CSV turned into a sidecar.
type csvRow struct {
	file    string // relative to the CSV's folder, slash-separated
	sidecar []byte
}

// parseCSV reads a batch metadata CSV: a header naming a file column;
// conversation_timestamp, agent_email and external_id columns fill those
// fields; every other column becomes a metadata pair (empty cells
// skipped). Each row is validated as an envelope; the first bad rows are
// named in the refusal.
func parseCSV(b []byte, campaign string, now func() time.Time) ([]csvRow, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff"))))
	header, err := r.Read()
	if err != nil {
		return nil, &call.Error{Code: call.CodeInvalid, Message: "the CSV has no header row"}
	}
	fileCol := -1
	for i, h := range header {
		header[i] = strings.TrimSpace(h)
		if strings.EqualFold(header[i], "file") {
			fileCol = i
		}
	}
	if fileCol < 0 {
		return nil, &call.Error{Code: call.CodeInvalid, Message: "the CSV header has no file column"}
	}
	var rows []csvRow
	var bad []string
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &call.Error{Code: call.CodeInvalid, Message: "the CSV cannot be read: " + csvErrText(err)}
		}
		if len(rows) >= maxCSVRows {
			return nil, &call.Error{Code: call.CodeInvalid, Message: fmt.Sprintf("the CSV has more than %d rows", maxCSVRows)}
		}
		row, reason := csvRecord(header, fileCol, rec, campaign, now)
		if reason != "" {
			if len(bad) < 10 {
				bad = append(bad, fmt.Sprintf("line %d: %s", line, reason))
			}
			continue
		}
		rows = append(rows, row)
	}
	if len(bad) > 0 {
		return nil, &call.Error{Code: call.CodeInvalid, Message: "the CSV has bad rows: " + strings.Join(bad, "; ")}
	}
	return rows, nil
}

// csvErrText is a csv.ParseError without the wrapping.
func csvErrText(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("line %d: %v", pe.Line, pe.Err)
	}
	return "malformed"
}

// csvRecord turns one record into a sidecar, or returns why it is refused.
func csvRecord(header []string, fileCol int, rec []string, campaign string, now func() time.Time) (csvRow, string) {
	fields := map[string]string{}
	var md []call.MetaPair
	for i, h := range header {
		if i >= len(rec) || i == fileCol {
			continue
		}
		v := strings.TrimSpace(rec[i])
		switch strings.ToLower(h) {
		case "conversation_timestamp", "agent_email", "external_id":
			fields[strings.ToLower(h)] = v
		default:
			if v != "" {
				md = append(md, call.MetaPair{Key: h, Value: v})
			}
		}
	}
	file := ""
	if fileCol < len(rec) {
		file = strings.TrimSpace(rec[fileCol])
	}
	if file == "" || !filepath.IsLocal(filepath.FromSlash(file)) || isSidecar(file) || isCSV(file) {
		return csvRow{}, "file must name an audio file in this folder"
	}
	mdJSON, err := json.Marshal(md)
	if err != nil {
		return csvRow{}, "metadata cannot be encoded"
	}
	raw := call.RawEnvelope{CampaignID: campaign, ConversationTimestamp: fields["conversation_timestamp"],
		AgentEmail: fields["agent_email"], ExternalID: fields["external_id"]}
	if len(md) > 0 {
		raw.Metadata = string(mdJSON)
	}
	if _, err := call.ParseEnvelope(raw, now()); err != nil {
		var ce *call.Error
		if errors.As(err, &ce) {
			return csvRow{}, publicReason(ce)
		}
		return csvRow{}, "invalid"
	}
	sc := map[string]any{"metadata": json.RawMessage(mdJSON)}
	for k, v := range fields {
		sc[k] = v
	}
	b, err := json.Marshal(sc)
	if err != nil {
		return csvRow{}, "metadata cannot be encoded"
	}
	return csvRow{file: path.Clean(file), sidecar: b}, ""
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
