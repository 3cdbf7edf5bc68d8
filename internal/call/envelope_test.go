package call

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseEnvelope(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	manyPairs := func(n int) string {
		var parts []string
		for i := range n {
			parts = append(parts, fmt.Sprintf(`{"key":"k%d","value":"v"}`, i))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	tests := []struct {
		name      string
		raw       RawEnvelope
		badFields []string
	}{
		{"documented example", RawEnvelope{CampaignID: "c1", ConversationTimestamp: "1704067200", AgentEmail: "john.doe@example.com",
			Metadata: `[{"key":"key1","value":"value1"},{"key":"key2","value":"value2"}]`}, nil},
		{"rfc3339 and object metadata", RawEnvelope{CampaignID: "c1", ConversationTimestamp: "2024-01-01T00:00:00+01:00", Metadata: `{"b":"1","a":"2"}`}, nil},
		{"missing campaign", RawEnvelope{}, []string{"campaign_id"}},
		{"hostile campaign", RawEnvelope{CampaignID: "../etc"}, []string{"campaign_id"}},
		{"negative timestamp", RawEnvelope{CampaignID: "c", ConversationTimestamp: "-5"}, []string{"conversation_timestamp"}},
		{"future timestamp", RawEnvelope{CampaignID: "c", ConversationTimestamp: "4102444800"}, []string{"conversation_timestamp"}},
		{"milliseconds", RawEnvelope{CampaignID: "c", ConversationTimestamp: "1704067200000000"}, []string{"conversation_timestamp"}},
		{"not a number", RawEnvelope{CampaignID: "c", ConversationTimestamp: "yesterday"}, []string{"conversation_timestamp"}},
		{"bad email", RawEnvelope{CampaignID: "c", AgentEmail: "john.doe"}, []string{"agent_email"}},
		{"email with name", RawEnvelope{CampaignID: "c", AgentEmail: "John <j@example.com>"}, []string{"agent_email"}},
		{"bad json", RawEnvelope{CampaignID: "c", Metadata: `[{"key":`}, []string{"metadata"}},
		{"60 pairs", RawEnvelope{CampaignID: "c", Metadata: manyPairs(60)}, []string{"metadata"}},
		{"50 pairs", RawEnvelope{CampaignID: "c", Metadata: manyPairs(50)}, nil},
		{"bad key", RawEnvelope{CampaignID: "c", Metadata: `[{"key":"a b","value":"v"}]`}, []string{"metadata"}},
		{"long value", RawEnvelope{CampaignID: "c", Metadata: `{"k":"` + strings.Repeat("x", 1025) + `"}`}, []string{"metadata"}},
		{"number value", RawEnvelope{CampaignID: "c", Metadata: `{"k":5}`}, []string{"metadata"}},
		{"duplicate key", RawEnvelope{CampaignID: "c", Metadata: `[{"key":"k","value":"1"},{"key":"k","value":"2"}]`}, []string{"metadata"}},
		{"external id control char", RawEnvelope{CampaignID: "c", ExternalID: "a\x00b"}, []string{"external_id"}},
		{"several at once", RawEnvelope{AgentEmail: "x", ConversationTimestamp: "x"}, []string{"campaign_id", "conversation_timestamp", "agent_email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, err := ParseEnvelope(tt.raw, now)
			if len(tt.badFields) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if env.CampaignID != tt.raw.CampaignID {
					t.Errorf("campaign = %q", env.CampaignID)
				}
				return
			}
			e, ok := errors.AsType[*Error](err)
			if !ok || e.Code != CodeInvalid {
				t.Fatalf("want *Error invalid, got %v", err)
			}
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Field)
				if f.Reason == "" {
					t.Errorf("field %s without reason", f.Field)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.badFields, ",") {
				t.Errorf("fields = %v, want %v (%v)", got, tt.badFields, err)
			}
		})
	}
}

func TestMetadataOrderKept(t *testing.T) {
	t.Parallel()
	env, err := ParseEnvelope(RawEnvelope{CampaignID: "c", Metadata: `{"z":"1","a":"2","m":"3"}`}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, p := range env.Metadata {
		keys = append(keys, p.Key)
	}
	if strings.Join(keys, "") != "zam" {
		t.Errorf("order = %v", keys)
	}
}

func TestCleanFileName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"call.wav":               "call.wav",
		"../../etc/passwd":       "passwd",
		`C:\Users\x\rec.wav`:     "rec.wav",
		"a\x00b\nc.wav":          "abc.wav",
		"":                       "recording",
		"..":                     "recording",
		"\xff\xfename.wav":       "\uFFFDname.wav",
		strings.Repeat("é", 200): strings.Repeat("é", 127),
	} {
		if got := CleanFileName(in); got != want {
			t.Errorf("CleanFileName(%q) = %q, want %q", in, got, want)
		}
	}
}
