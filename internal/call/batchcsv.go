package call

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
)

const (
	// MaxBatchCSV bounds a batch metadata CSV, in bytes.
	MaxBatchCSV = 4 << 20
	// maxBatchRows bounds its rows.
	maxBatchRows = 10000
)

// BatchRow is one row of a batch metadata CSV: the audio file it names
// (relative to the CSV's folder, slash-separated, cleaned) and its
// envelope, also as an equivalent sidecar JSON.
type BatchRow struct {
	File     string
	Envelope Envelope
	Sidecar  []byte
}

// ParseBatchCSV reads a batch metadata CSV as the SFTP channels receive it:
// a header naming a file column; conversation_timestamp, agent_email and
// external_id columns fill those fields; every other column becomes a
// metadata pair (empty cells skipped). Each row is validated by
// ParseEnvelope for campaignID; the first bad rows are named in the
// refusal (*Error with CodeInvalid). A file cell must name a local file
// that is neither a .json nor a .csv.
func ParseBatchCSV(b []byte, campaignID string, now time.Time) ([]BatchRow, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff"))))
	header, err := r.Read()
	if err != nil {
		return nil, &Error{Code: CodeInvalid, Message: "the CSV has no header row"}
	}
	fileCol := -1
	for i, h := range header {
		header[i] = strings.TrimSpace(h)
		if strings.EqualFold(header[i], "file") {
			fileCol = i
		}
	}
	if fileCol < 0 {
		return nil, &Error{Code: CodeInvalid, Message: "the CSV header has no file column"}
	}
	var rows []BatchRow
	var bad []string
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &Error{Code: CodeInvalid, Message: "the CSV cannot be read: " + csvErrText(err)}
		}
		if len(rows) >= maxBatchRows {
			return nil, &Error{Code: CodeInvalid, Message: fmt.Sprintf("the CSV has more than %d rows", maxBatchRows)}
		}
		row, reason := batchRecord(header, fileCol, rec, campaignID, now)
		if reason != "" {
			if len(bad) < 10 {
				bad = append(bad, fmt.Sprintf("line %d: %s", line, reason))
			}
			continue
		}
		rows = append(rows, row)
	}
	if len(bad) > 0 {
		return nil, &Error{Code: CodeInvalid, Message: "the CSV has bad rows: " + strings.Join(bad, "; ")}
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

// batchRecord turns one record into a row, or returns why it is refused.
func batchRecord(header []string, fileCol int, rec []string, campaignID string, now time.Time) (BatchRow, string) {
	fields := map[string]string{}
	var md []MetaPair
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
				md = append(md, MetaPair{Key: h, Value: v})
			}
		}
	}
	file := ""
	if fileCol < len(rec) {
		file = strings.TrimSpace(rec[fileCol])
	}
	lower := strings.ToLower(file)
	if file == "" || !filepath.IsLocal(filepath.FromSlash(file)) || strings.HasSuffix(lower, ".json") || strings.HasSuffix(lower, ".csv") {
		return BatchRow{}, "file must name an audio file in this folder"
	}
	mdJSON, err := json.Marshal(md)
	if err != nil {
		return BatchRow{}, "metadata cannot be encoded"
	}
	raw := RawEnvelope{CampaignID: campaignID, ConversationTimestamp: fields["conversation_timestamp"],
		AgentEmail: fields["agent_email"], ExternalID: fields["external_id"]}
	if len(md) > 0 {
		raw.Metadata = string(mdJSON)
	}
	env, err := ParseEnvelope(raw, now)
	if err != nil {
		var ce *Error
		if errors.As(err, &ce) {
			return BatchRow{}, ce.PublicReason()
		}
		return BatchRow{}, "invalid"
	}
	sc := map[string]any{"metadata": json.RawMessage(mdJSON)}
	for k, v := range fields {
		sc[k] = v
	}
	b, err := json.Marshal(sc)
	if err != nil {
		return BatchRow{}, "metadata cannot be encoded"
	}
	return BatchRow{File: path.Clean(file), Envelope: env, Sidecar: b}, ""
}
