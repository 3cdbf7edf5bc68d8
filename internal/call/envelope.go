package call

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Envelope limits.
const (
	MaxMetadataPairs    = 50
	MaxMetadataKeyLen   = 64
	MaxMetadataValueLen = 1024
	MaxExternalIDLen    = 256
	MaxEmailLen         = 254
	MaxFileNameLen      = 255
)

// Envelope is what a sender says about a call, whatever the channel.
type Envelope struct {
	CampaignID       string
	ConversationTime *time.Time
	AgentEmail       string
	ExternalID       string
	Metadata         []MetaPair
}

// RawEnvelope holds the envelope fields as text, as they arrive in a form,
// a sidecar, a CSV row or a tus Upload-Metadata header. Empty means absent.
type RawEnvelope struct {
	CampaignID            string
	ConversationTimestamp string
	AgentEmail            string
	ExternalID            string
	Metadata              string
}

// ParseEnvelope validates raw against the rules of the call envelope and
// returns it parsed. now bounds timestamps in the future. A refusal is an
// *Error with CodeInvalid listing every offending field.
func ParseEnvelope(raw RawEnvelope, now time.Time) (Envelope, error) {
	var env Envelope
	var fields []FieldError
	bad := func(field, format string, args ...any) {
		fields = append(fields, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}

	env.CampaignID = strings.TrimSpace(raw.CampaignID)
	if env.CampaignID == "" {
		bad("campaign_id", "is required")
	} else if !validID(env.CampaignID) {
		bad("campaign_id", "must be a campaign id")
	}

	if s := strings.TrimSpace(raw.ConversationTimestamp); s != "" {
		t, reason := ParseTimestamp(s, now)
		if reason != "" {
			bad("conversation_timestamp", "%s", reason)
		} else {
			env.ConversationTime = &t
		}
	}

	if s := strings.TrimSpace(raw.AgentEmail); s != "" {
		if reason := CheckEmail(s); reason != "" {
			bad("agent_email", "%s", reason)
		} else {
			env.AgentEmail = s
		}
	}

	if s := raw.ExternalID; s != "" {
		switch {
		case len(s) > MaxExternalIDLen:
			bad("external_id", "must be at most %d characters", MaxExternalIDLen)
		case !utf8.ValidString(s) || strings.ContainsFunc(s, isControl):
			bad("external_id", "must be printable UTF-8 text")
		case strings.TrimSpace(s) != s:
			bad("external_id", "must not start or end with spaces")
		default:
			env.ExternalID = s
		}
	}

	if s := strings.TrimSpace(raw.Metadata); s != "" {
		pairs, reasons := ParseMetadata([]byte(s))
		for _, r := range reasons {
			bad("metadata", "%s", r)
		}
		if len(reasons) == 0 {
			env.Metadata = pairs
		}
	}

	if len(fields) > 0 {
		return Envelope{}, &Error{Code: CodeInvalid, Message: "the call envelope is invalid", Fields: fields}
	}
	return env, nil
}

// ParseTimestamp reads Unix seconds or RFC 3339. It refuses times before
// 1990 or more than one day after now, and returns a reason when it refuses.
func ParseTimestamp(s string, now time.Time) (time.Time, string) {
	var t time.Time
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return time.Time{}, "must not be negative"
		}
		if n > 1<<40 {
			return time.Time{}, "must be Unix seconds (this looks like milliseconds or is too large)"
		}
		t = time.Unix(n, 0).UTC()
	} else {
		p, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return time.Time{}, "must be Unix seconds or an RFC 3339 date-time"
		}
		t = p.UTC()
	}
	if t.Before(time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)) {
		return time.Time{}, "must not be before 1990"
	}
	if t.After(now.Add(24 * time.Hour)) {
		return time.Time{}, "must not be in the future"
	}
	return t, ""
}

// CheckEmail returns why s is not an acceptable e-mail address, or "".
func CheckEmail(s string) string {
	if len(s) > MaxEmailLen {
		return fmt.Sprintf("must be at most %d characters", MaxEmailLen)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "must be a valid e-mail address such as john.doe@example.com"
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || !strings.Contains(s[at+1:], ".") || strings.ContainsAny(s, " <>\"") {
		return "must be a valid e-mail address such as john.doe@example.com"
	}
	return ""
}

// ParseMetadata reads a JSON array of {"key","value"} objects or a JSON
// object of string values (kept in document order), and checks every rule.
// It returns the reasons for refusal, if any.
func ParseMetadata(b []byte) ([]MetaPair, []string) {
	b = bytes.TrimSpace(b)
	var pairs []MetaPair
	switch {
	case len(b) > 0 && b[0] == '[':
		var raw []map[string]json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, []string{`must be a JSON array of {"key": "...", "value": "..."} objects or a JSON object of strings`}
		}
		for i, m := range raw {
			var p MetaPair
			k, kok := m["key"]
			v, vok := m["value"]
			if !kok || !vok || len(m) != 2 {
				return nil, []string{fmt.Sprintf(`item %d must have exactly "key" and "value"`, i+1)}
			}
			if json.Unmarshal(k, &p.Key) != nil || json.Unmarshal(v, &p.Value) != nil {
				return nil, []string{fmt.Sprintf(`item %d: "key" and "value" must be strings`, i+1)}
			}
			pairs = append(pairs, p)
		}
	case len(b) > 0 && b[0] == '{':
		var err error
		pairs, err = orderedObject(b)
		if err != nil {
			return nil, []string{"must be a JSON object of string values: " + err.Error()}
		}
	default:
		return nil, []string{`must be a JSON array of {"key": "...", "value": "..."} objects or a JSON object of strings`}
	}
	return pairs, CheckMetadata(pairs)
}

// CheckMetadata returns every rule that pairs break.
func CheckMetadata(pairs []MetaPair) []string {
	var reasons []string
	if len(pairs) > MaxMetadataPairs {
		reasons = append(reasons, fmt.Sprintf("has %d pairs; at most %d are allowed", len(pairs), MaxMetadataPairs))
		return reasons
	}
	seen := make(map[string]bool, len(pairs))
	for i, p := range pairs {
		switch {
		case p.Key == "" || len(p.Key) > MaxMetadataKeyLen:
			reasons = append(reasons, fmt.Sprintf("pair %d: key must be 1 to %d characters", i+1, MaxMetadataKeyLen))
		case !validKey(p.Key):
			reasons = append(reasons, fmt.Sprintf("pair %d: key %q may only hold letters, digits, '_', '.' and '-'", i+1, p.Key))
		case seen[p.Key]:
			reasons = append(reasons, fmt.Sprintf("pair %d: key %q appears twice", i+1, p.Key))
		}
		seen[p.Key] = true
		if utf8.RuneCountInString(p.Value) > MaxMetadataValueLen {
			reasons = append(reasons, fmt.Sprintf("pair %d: value must be at most %d characters", i+1, MaxMetadataValueLen))
		} else if !utf8.ValidString(p.Value) {
			reasons = append(reasons, fmt.Sprintf("pair %d: value must be UTF-8 text", i+1))
		}
	}
	return reasons
}

func orderedObject(b []byte) ([]MetaPair, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var pairs []MetaPair
	for dec.More() {
		tk, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tk.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("value of %q is not a string", key)
		}
		pairs = append(pairs, MetaPair{Key: key, Value: s})
		if len(pairs) > MaxMetadataPairs*4 {
			break
		}
	}
	return pairs, nil
}

func validKey(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// validID reports whether s looks like one of our ids (letters, digits, '-', '_').
func validID(s string) bool { return len(s) <= 64 && validKey(s) && !strings.Contains(s, ".") }

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// CleanFileName turns a sender's file name into a safe display name: the
// last path element, valid UTF-8, no control characters, at most 255 bytes.
// It never becomes a path on our side.
func CleanFileName(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == ".." {
		name = "recording"
	}
	for len(name) > MaxFileNameLen {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}
