package sftppull

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/callimport/callimport/internal/call"
)

// maxSidecar bounds a sidecar JSON file.
const maxSidecar = 256 << 10

// isSidecar reports whether a name is a sidecar JSON (call1.wav.json or call1.json).
func isSidecar(name string) bool { return strings.HasSuffix(strings.ToLower(name), ".json") }

// ParseSidecar reads a sidecar, the same convention as the hosted server: a
// JSON object with conversation_timestamp (Unix seconds, as a number or
// text, or RFC 3339), agent_email, external_id and metadata, validated by
// call.ParseEnvelope. A campaign_id in it is ignored: the source decides.
// Refusals are *call.Error with CodeInvalid.
func ParseSidecar(b []byte, campaign string, now time.Time) (call.Envelope, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return call.Envelope{}, &call.Error{Code: call.CodeInvalid, Message: "the sidecar is not a JSON object"}
	}
	text := func(k string) string {
		raw := bytes.TrimSpace(m[k])
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		if len(raw) > 0 && raw[0] != '{' && raw[0] != '[' && !bytes.Equal(raw, []byte("null")) {
			return string(raw) // a number
		}
		return ""
	}
	raw := call.RawEnvelope{CampaignID: campaign, ConversationTimestamp: text("conversation_timestamp"),
		AgentEmail: text("agent_email"), ExternalID: text("external_id")}
	if md := bytes.TrimSpace(m["metadata"]); len(md) > 0 && !bytes.Equal(md, []byte("null")) {
		raw.Metadata = string(md)
	}
	return call.ParseEnvelope(raw, now) //nolint:wrapcheck // already a *call.Error
}
