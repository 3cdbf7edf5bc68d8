package tusupload

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/callimport/callimport/internal/call"
)

// Upload-Metadata keys. The envelope keys are the API's form field names;
// the others are what tus clients (tus-js-client, Uppy) commonly send.
const (
	keyFileName              = "filename"
	keyCampaignID            = "campaign_id"
	keyConversationTimestamp = "conversation_timestamp"
	keyAgentEmail            = "agent_email"
	keyExternalID            = "external_id"
	keyMetadata              = "metadata"
)

// clientKeys are accepted and kept but play no part in the call: the file
// name and type as tus clients name them, and Uppy's relative path.
var clientKeys = map[string]bool{"name": true, "filetype": true, "type": true, "relativePath": true}

// maxMetadataHeader bounds Upload-Metadata: the envelope at its largest
// (50 metadata pairs of 64 + 1,024 characters) in base64, with room.
const maxMetadataHeader = 256 << 10

// ParseMetadata reads an Upload-Metadata header (tus 1.0: comma-separated
// "key base64value" pairs, the value optional) strictly: a malformed pair,
// a value that is not base64 or not UTF-8, or a repeated key is refused
// with a *call.Error naming it (CodeInvalid), where tusd would drop it
// silently.
func ParseMetadata(header string) (map[string]string, error) {
	meta := map[string]string{}
	if strings.TrimSpace(header) == "" {
		return meta, nil
	}
	if len(header) > maxMetadataHeader {
		return nil, invalidMeta("Upload-Metadata", fmt.Sprintf("must be at most %d bytes", maxMetadataHeader))
	}
	for pair := range strings.SplitSeq(header, ",") {
		pair = strings.TrimSpace(pair)
		key, value, hasValue := strings.Cut(pair, " ")
		if !validKey(key) {
			return nil, invalidMeta("Upload-Metadata", fmt.Sprintf("%q is not a key followed by an optional base64 value", clip(pair)))
		}
		if _, dup := meta[key]; dup {
			return nil, invalidMeta(key, "is sent twice")
		}
		var v string
		if hasValue {
			b, err := base64.StdEncoding.DecodeString(value)
			if err != nil {
				return nil, invalidMeta(key, "must be base64-encoded (tus Upload-Metadata)")
			}
			if !utf8.Valid(b) {
				return nil, invalidMeta(key, "must be UTF-8 text")
			}
			v = string(b)
		}
		meta[key] = v
	}
	return meta, nil
}

// validKey: tus keys are non-empty and hold neither spaces nor commas; we
// also require printable ASCII.
func validKey(k string) bool {
	if k == "" || len(k) > 128 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] > '~' || k[i] == ',' {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// envelopeOf splits parsed metadata into the raw call envelope and the
// file name; a key that is neither an envelope field nor a known client key
// is refused, so that a misspelt field is not lost silently.
func envelopeOf(meta map[string]string) (call.RawEnvelope, string, error) {
	var raw call.RawEnvelope
	var fields []call.FieldError
	for k, v := range meta {
		switch k {
		case keyCampaignID:
			raw.CampaignID = v
		case keyConversationTimestamp:
			raw.ConversationTimestamp = v
		case keyAgentEmail:
			raw.AgentEmail = v
		case keyExternalID:
			raw.ExternalID = v
		case keyMetadata:
			raw.Metadata = v
		case keyFileName:
		default:
			if !clientKeys[k] {
				fields = append(fields, call.FieldError{Field: k, Reason: "is not a known Upload-Metadata key " +
					"(filename, campaign_id, conversation_timestamp, agent_email, external_id, metadata)"})
			}
		}
	}
	if len(fields) > 0 {
		slices.SortFunc(fields, func(a, b call.FieldError) int { return strings.Compare(a.Field, b.Field) })
		return call.RawEnvelope{}, "", &call.Error{Code: call.CodeInvalid, Message: "the call envelope is invalid", Fields: fields}
	}
	name := meta[keyFileName]
	if name == "" {
		name = meta["name"]
	}
	return raw, name, nil
}

func invalidMeta(field, reason string) error {
	return &call.Error{Code: call.CodeInvalid, Message: "the Upload-Metadata header is invalid",
		Fields: []call.FieldError{{Field: field, Reason: reason}}}
}
