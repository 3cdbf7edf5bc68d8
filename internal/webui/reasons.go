package webui

import (
	"maps"
	"strings"
)

// Rejection reasons come from the audio check in English, with technical
// detail ("truncated: the FLAC header declares 12.0 s of audio but ...").
// The API returns them as they are; the pages put a plain summary in the
// reader's language before them (Reason), by kind of problem.

// reasonKinds maps how a reason starts, or a phrase it holds, to the key of
// its summary; the first match wins.
var reasonKinds = []struct {
	prefix, contains, key string
}{
	{prefix: "truncated", key: "rs_truncated"},
	{prefix: "too short for this campaign", key: "rs_too_short"},
	{prefix: "too long for this campaign", key: "rs_too_long"},
	{prefix: "wrong channel count for this campaign", key: "rs_channels"},
	{prefix: "not an audio file", key: "rs_not_audio"},
	{prefix: "empty file", key: "rs_no_audio"},
	{prefix: "zero duration", key: "rs_no_audio"},
	{contains: "silent", key: "rs_silent"},
	{contains: "is not supported", key: "rs_unsupported"},
	{contains: "unknown codec", key: "rs_unsupported"},
	{prefix: "malformed", key: "rs_damaged"},
	{prefix: "not a valid", key: "rs_damaged"},
	{contains: "is damaged", key: "rs_damaged"},
	{prefix: "absurd", key: "rs_damaged"},
	{prefix: "invalid", key: "rs_damaged"},
	{contains: "sample rate of 0", key: "rs_damaged"},
	{contains: " must be ", key: "rs_damaged"},
	{contains: "at most", key: "rs_unsupported"},
	{prefix: "not a ", key: "rs_wrong_format"},
	{prefix: "not an ", key: "rs_wrong_format"},
	{prefix: "no ", key: "rs_no_audio"},
	{contains: " has no ", key: "rs_no_audio"},
	{contains: " holds no ", key: "rs_no_audio"},
}

// reasonKind returns the summary key of a rejection reason.
func reasonKind(reason string) string {
	r := strings.ToLower(reason)
	for _, k := range reasonKinds {
		if (k.prefix != "" && strings.HasPrefix(r, k.prefix)) || (k.contains != "" && strings.Contains(r, k.contains)) {
			return k.key
		}
	}
	return "rs_other"
}

// Reason returns a rejection reason for the reader: as it is in English,
// after a summary in the reader's language otherwise. Empty stays empty.
func (t translator) Reason(reason string) string {
	if reason == "" || t.idx == 0 {
		return reason
	}
	return t.T(reasonKind(reason)) + t.T("colon") + reason
}

func withReasonMessages(m map[string][2]string) map[string][2]string {
	maps.Copy(m, map[string][2]string{
		// key: {English, French}; English pages show the reason alone.
		"rs_truncated":    {"Incomplete file", "Fichier incomplet (coupé avant la fin)"},
		"rs_too_short":    {"Too short", "Trop court pour cette campagne"},
		"rs_too_long":     {"Too long", "Trop long pour cette campagne"},
		"rs_channels":     {"Wrong channel count", "Nombre de canaux différent de celui de la campagne"},
		"rs_not_audio":    {"Not audio", "Ce n'est pas un enregistrement audio"},
		"rs_no_audio":     {"No audio", "Aucun son dans le fichier"},
		"rs_silent":       {"Silent", "Enregistrement silencieux"},
		"rs_unsupported":  {"Unsupported format", "Format ou codec non pris en charge"},
		"rs_damaged":      {"Damaged file", "Fichier endommagé ou mal formé"},
		"rs_wrong_format": {"Wrong format", "Le contenu ne correspond pas au format du fichier"},
		"rs_other":        {"Refused", "Enregistrement refusé"},
	})
	return m
}
