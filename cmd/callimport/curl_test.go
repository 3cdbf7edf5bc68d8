package main_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/callimport/callimport/client"
	"github.com/callimport/callimport/internal/testenv"
)

// TestDocumentedCurl runs the curl command of the customer documentation
// verbatim (only the host, key, campaign and file path change) against a
// real server process, then reads the call back with every field.
func TestDocumentedCurl(t *testing.T) {
	t.Parallel()
	curl := testenv.Tool(t, "curl")
	p := startServe(t, t.TempDir())
	if p.APIKey == "" || p.Camp == "" {
		t.Fatalf("first start did not print an API key and a campaign:\n%s", p.stdout)
	}
	wav := fixture(t, "wav/pcm_s16le_8k_mono.wav")

	// The documented command, with its placeholders filled in.
	cmd := exec.CommandContext(t.Context(), curl, "-sS", "-i", "-X", "POST", p.URL+"/calls/audio",
		"-H", "x-api-key: "+p.APIKey,
		"-F", "file=@"+wav,
		"-F", "campaign_id="+p.Camp,
		"-F", "conversation_timestamp=1704067200",
		"-F", "agent_email=john.doe@example.com",
		"-F", `metadata=[{"key":"key1","value":"value1"},{"key":"key2","value":"value2"}]`,
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	head, body, _ := strings.Cut(strings.ReplaceAll(string(out), "\r\n", "\n"), "\n\n")
	if !strings.HasPrefix(head, "HTTP/1.1 201") {
		t.Fatalf("want 201, got:\n%s", out)
	}
	var created client.Call
	if err := json.Unmarshal([]byte(body), &created); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	if !strings.Contains(head, "Location: /v1/calls/"+created.ID) {
		t.Errorf("Location header missing or wrong:\n%s", head)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	c := client.New(p.URL, client.WithAPIKey(p.APIKey))
	got, err := c.WaitCall(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(wav)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	checks := []struct {
		name string
		ok   bool
	}{
		{"status imported", got.Status == "imported"},
		{"campaign", got.CampaignID == p.Camp},
		{"source api", got.Source == "api"},
		{"file name", got.FileName == "pcm_s16le_8k_mono.wav"},
		{"size", got.SizeBytes == int64(len(raw))},
		{"sha256", got.SHA256 == hex.EncodeToString(sum[:])},
		{"timestamp", got.ConversationTimestamp != nil && *got.ConversationTimestamp == 1704067200},
		{"agent", got.AgentEmail != nil && *got.AgentEmail == "john.doe@example.com"},
		{"external id absent", got.ExternalID == nil},
		{"metadata", len(got.Metadata) == 2 && got.Metadata[0] == client.MetaPair{Key: "key1", Value: "value1"} && got.Metadata[1] == client.MetaPair{Key: "key2", Value: "value2"}},
		{"audio", got.Audio != nil && got.Audio.Format == "wav" && got.Audio.Codec == "pcm_s16le" && got.Audio.SampleRateHz == 8000 && got.Audio.Channels == 1},
		{"duration", got.Audio != nil && got.Audio.DurationSeconds > 2.9 && got.Audio.DurationSeconds < 3.1},
		{"not duplicate", !got.Duplicate},
		{"no rejection", got.RejectionReason == nil},
		{"created_at", !got.CreatedAt.IsZero()},
		{"imported_at", got.ImportedAt != nil && !got.ImportedAt.Before(got.CreatedAt)},
	}
	for _, ch := range checks {
		if !ch.ok {
			t.Errorf("%s: call = %+v audio = %+v", ch.name, got, got.Audio)
		}
	}

	// Sending it again is a duplicate: 200 with the same call.
	out, err = exec.CommandContext(t.Context(), curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", p.URL+"/calls/audio",
		"-H", "x-api-key: "+p.APIKey, "-F", "file=@"+wav, "-F", "campaign_id="+p.Camp).CombinedOutput()
	if err != nil || string(out) != "200" {
		t.Errorf("second send: %s %v", out, err)
	}

	// The audio downloads with a Range.
	resp, err := c.Audio(ctx, created.ID, "bytes=0-3")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || resp.Header.Get("Content-Range") == "" {
		t.Errorf("range download: %d %v", resp.StatusCode, resp.Header)
	}
}
