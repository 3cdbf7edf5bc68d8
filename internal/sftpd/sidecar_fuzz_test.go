package sftpd

import (
	"path/filepath"
	"testing"
	"time"
)

// FuzzParseSidecar checks that any bytes are either refused or give an
// envelope of the folder's campaign.
func FuzzParseSidecar(f *testing.F) {
	f.Add([]byte(`{"conversation_timestamp": 1704067200, "agent_email": "a@example.com", "metadata": {"k": "v"}}`))
	f.Add([]byte(`{"conversation_timestamp": "2024-01-01T00:00:00Z", "metadata": [{"key": "k", "value": "v"}], "external_id": 7}`))
	f.Add([]byte(`{"campaign_id": "other", "metadata": null}`))
	f.Add([]byte(`[1, 2]`))
	now := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := parseSidecar(b, "cmp_0123456789abcdef", now)
		if err == nil && env.CampaignID != "cmp_0123456789abcdef" {
			t.Fatalf("campaign %q", env.CampaignID)
		}
	})
}

// FuzzParseCSV checks that any bytes are refused or give rows naming local
// files with sidecars that parse.
func FuzzParseCSV(f *testing.F) {
	f.Add([]byte("file,agent_email,queue\na.wav,a@example.com,sales\n"))
	f.Add([]byte("\ufeffFile,external_id,conversation_timestamp\n\"b c.wav\",x,1704067200\n"))
	f.Add([]byte("file\n../x.wav\n"))
	f.Add([]byte("name\nx\n"))
	now := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := parseCSV(b, "cmp_1", now)
		if err != nil {
			return
		}
		for _, r := range rows {
			if !filepath.IsLocal(filepath.FromSlash(r.file)) {
				t.Fatalf("row names %q", r.file)
			}
			if _, err := parseSidecar(r.sidecar, "cmp_1", now); err != nil {
				t.Fatalf("row sidecar %s: %v", r.sidecar, err)
			}
		}
	})
}
