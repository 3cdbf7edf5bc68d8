package tusupload_test

import (
	"encoding/base64"
	"errors"
	"maps"
	"testing"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/httpapi/tusupload"
)

func TestParseMetadata(t *testing.T) {
	t.Parallel()
	b := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		header string
		want   map[string]string
		field  string // of the refusal
	}{
		{"", map[string]string{}, ""},
		{"filename " + b("a.wav") + ", campaign_id " + b("c1") + ",is_confidential",
			map[string]string{"filename": "a.wav", "campaign_id": "c1", "is_confidential": ""}, ""},
		{"  metadata " + b(`{"k":"v"}`) + "  ", map[string]string{"metadata": `{"k":"v"}`}, ""},
		{"a " + b("1") + ",a " + b("2"), nil, "a"},
		{"a !!!", nil, "a"},
		{"a " + b("1") + " extra", nil, "a"},
		{"a " + base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe}), nil, "a"},
		{",", nil, "Upload-Metadata"},
		{"a " + b("1") + ",,b", nil, "Upload-Metadata"},
		{"clé " + b("1"), nil, "Upload-Metadata"},
	} {
		got, err := tusupload.ParseMetadata(tc.header)
		if tc.field == "" {
			if err != nil || !maps.Equal(got, tc.want) {
				t.Errorf("ParseMetadata(%q) = %v, %v; want %v", tc.header, got, err, tc.want)
			}
			continue
		}
		e, ok := errors.AsType[*call.Error](err)
		if !ok || e.Code != call.CodeInvalid || len(e.Fields) != 1 || e.Fields[0].Field != tc.field {
			t.Errorf("ParseMetadata(%q) = %v, %v; want a refusal naming %s", tc.header, got, err, tc.field)
		}
	}
}

// FuzzParseMetadata: any header is parsed or refused with a *call.Error,
// and what is parsed encodes back to the same pairs.
func FuzzParseMetadata(f *testing.F) {
	f.Add("filename YS53YXY=,campaign_id YzE=")
	f.Add("a,b ,c  d")
	f.Add("metadata W3sia2V5IjoiYSIsInZhbHVlIjoiYiJ9XQ==")
	f.Fuzz(func(t *testing.T, header string) {
		got, err := tusupload.ParseMetadata(header)
		if err != nil {
			if _, ok := errors.AsType[*call.Error](err); !ok {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		var enc string
		for k, v := range got {
			if enc != "" {
				enc += ","
			}
			enc += k + " " + base64.StdEncoding.EncodeToString([]byte(v))
		}
		again, err := tusupload.ParseMetadata(enc)
		if err != nil || !maps.Equal(again, got) {
			t.Fatalf("round trip of %v: %v, %v", got, again, err)
		}
	})
}
