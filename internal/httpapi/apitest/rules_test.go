package apitest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/callimport/callimport/internal/app/apptest"
)

// TestCampaignAudioRules sets a campaign's audio rules through the API and
// checks that recordings outside them are rejected with the rule named,
// keeping their description.
func TestCampaignAudioRules(t *testing.T) {
	t.Parallel()
	h := setup(t, apptest.Options{})
	var camp struct {
		ID         string `json:"id"`
		AudioRules struct {
			Min      int `json:"min_duration_seconds"`
			Max      int `json:"max_duration_seconds"`
			Channels int `json:"required_channels"`
		} `json:"audio_rules"`
	}
	h.json(t, request{method: "POST", path: "/v1/campaigns", apiKey: h.A.AdminKey, contentType: "application/json",
		body: []byte(`{"name":"rules","audio_rules":{"min_duration_seconds":2,"max_duration_seconds":4}}`)}, http.StatusCreated, &camp)
	if camp.AudioRules.Min != 2 || camp.AudioRules.Max != 4 || camp.AudioRules.Channels != 0 {
		t.Fatalf("rules = %+v", camp.AudioRules)
	}
	upload := func(seed, seconds int) callJSON {
		var c callJSON
		h.json(t, request{method: "POST", path: "/v1/calls/audio", apiKey: h.A.WriteKey, contentType: formType,
			body: form(field("campaign_id", camp.ID), filePart("r.wav", wav(seed, seconds*8000)))}, http.StatusCreated, &c)
		return h.waitCall(t, h.A.ReadKey, c.ID)
	}
	if c := upload(1, 3); c.Status != "imported" {
		t.Errorf("3 s call: %s %v", c.Status, c.RejectionReason)
	}
	if c := upload(2, 1); c.Status != "rejected" || c.RejectionReason == nil || !strings.Contains(*c.RejectionReason, "too short") || c.Audio == nil {
		t.Errorf("1 s call: %+v", c)
	}
	if c := upload(3, 5); c.Status != "rejected" || c.RejectionReason == nil || !strings.Contains(*c.RejectionReason, "too long") {
		t.Errorf("5 s call: %+v", c)
	}
	// Require stereo: a mono call is refused by channel count.
	h.json(t, request{method: "PATCH", path: "/v1/campaigns/" + camp.ID, apiKey: h.A.AdminKey, contentType: "application/json",
		body: []byte(`{"audio_rules":{"required_channels":2}}`)}, http.StatusOK, &camp)
	if camp.AudioRules.Min != 2 || camp.AudioRules.Channels != 2 {
		t.Fatalf("rules after patch = %+v", camp.AudioRules)
	}
	if c := upload(4, 3); c.Status != "rejected" || c.RejectionReason == nil || !strings.Contains(*c.RejectionReason, "channel") {
		t.Errorf("mono call in a stereo campaign: %+v", c)
	}
	resp, body := h.do(t, request{method: "PATCH", path: "/v1/campaigns/" + camp.ID, apiKey: h.A.AdminKey, contentType: "application/json",
		body: []byte(`{"audio_rules":{"min_duration_seconds":10,"max_duration_seconds":5}}`)})
	checkProblem(t, resp, body, http.StatusUnprocessableEntity, "audio_rules.max_duration_seconds")
}
