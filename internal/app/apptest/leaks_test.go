package apptest

import (
	"strings"
	"testing"
)

func TestLeaksFindsPlantedData(t *testing.T) {
	t.Parallel()
	clean := `{"level":"INFO","msg":"call imported","call_id":"01a213e4-020a-7bdf-bfdf-795fb68a62fc","org_id":"01a2","duration_seconds":3.008,"time":"2026-11-25T18:07:19.767Z","key_prefix":"cik_ab12"}`
	if got := Leaks([]byte(clean)); len(got) != 0 {
		t.Fatalf("clean line reported: %v", got)
	}
	for _, planted := range []string{"john.doe@example.com", "+33612345678", "cik_0123456789abcdefghijkl", "cis_ABCDEFGHIJKLMNOPQRSTUV", "cit_zyxwvutsrqponmlkjihgf"} {
		line := `{"msg":"x","detail":"` + planted + `"}`
		got := Leaks([]byte(clean + "\n" + line))
		if len(got) != 1 || !strings.Contains(got[0], planted) {
			t.Errorf("%s: %v", planted, got)
		}
	}
	if got := Leaks([]byte(`{"msg":"x","value":"acme-42"}`), "acme-42"); len(got) != 1 {
		t.Errorf("known value not found: %v", got)
	}
}
