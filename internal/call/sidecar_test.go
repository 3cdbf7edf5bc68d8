package call

import (
	"errors"
	"testing"
	"time"
)

func FuzzParseSidecar(f *testing.F) {
	for _, s := range []string{`{"external_id":"x","conversation_timestamp":1700000000}`, `{"metadata":{"a":"b"}}`, `[]`, `{`, `null`,
		`{"conversation_timestamp":"2023-11-14T22:13:20Z","agent_email":"a@b.c"}`} {
		f.Add([]byte(s))
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := ParseSidecar(b, "camp", now)
		var ce *Error
		if err != nil && !errors.As(err, &ce) {
			t.Fatalf("error is not a *Error: %v", err)
		}
		if err == nil && env.CampaignID != "camp" {
			t.Fatalf("campaign = %q", env.CampaignID)
		}
	})
}
