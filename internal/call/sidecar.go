package call

import (
	"bytes"
	"encoding/json"
	"time"
)

// ParseSidecar reads a sidecar metadata file as the SFTP channels receive it
// (call1.wav.json or call1.json beside the audio): a JSON object with
// conversation_timestamp (Unix seconds, as a number or text, or RFC 3339),
// agent_email, external_id and metadata, validated by ParseEnvelope. A
// campaign_id in it is ignored: campaignID (the folder or source) decides.
// Refusals are *Error with CodeInvalid.
func ParseSidecar(b []byte, campaignID string, now time.Time) (Envelope, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return Envelope{}, &Error{Code: CodeInvalid, Message: "the sidecar is not a JSON object"}
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
	raw := RawEnvelope{CampaignID: campaignID, ConversationTimestamp: text("conversation_timestamp"),
		AgentEmail: text("agent_email"), ExternalID: text("external_id")}
	if md := bytes.TrimSpace(m["metadata"]); len(md) > 0 && !bytes.Equal(md, []byte("null")) {
		raw.Metadata = string(md)
	}
	return ParseEnvelope(raw, now)
}
