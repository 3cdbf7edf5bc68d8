// Package call holds the domain of callimport: organisations, campaigns, calls,
// the call envelope shared by every channel, and the rules that validate it.
// It does no I/O.
package call

import "time"

// Status is where a call stands in its life: received → processing → imported | rejected.
type Status string

// The statuses of a call.
const (
	StatusReceived   Status = "received"
	StatusProcessing Status = "processing"
	StatusImported   Status = "imported"
	StatusRejected   Status = "rejected"
)

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusReceived, StatusProcessing, StatusImported, StatusRejected:
		return true
	}
	return false
}

// Source is the channel a call arrived through.
type Source string

// The channels.
const (
	SourceAPI      Source = "api"
	SourceWeb      Source = "web"
	SourceSFTP     Source = "sftp"
	SourceSFTPPull Source = "sftp_pull"
	SourceGenesys  Source = "genesys"
)

// Valid reports whether s is one of the known sources.
func (s Source) Valid() bool {
	switch s {
	case SourceAPI, SourceWeb, SourceSFTP, SourceSFTPPull, SourceGenesys:
		return true
	}
	return false
}

// Org is a customer organisation. Every other object belongs to exactly one.
type Org struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// Campaign groups the calls a QM team evaluates together.
type Campaign struct {
	ID          string
	OrgID       string
	Name        string
	Description string
	// RequireMetadata makes SFTP audio wait for its sidecar or CSV row.
	RequireMetadata bool
	// RetentionDays deletes calls received (CreatedAt) more than this many
	// days ago, audio and metadata (internal/privacy); 0 keeps them.
	RetentionDays int
	// MinDurationSeconds and MaxDurationSeconds reject shorter or longer
	// recordings; 0 means no limit.
	MinDurationSeconds int
	MaxDurationSeconds int
	// RequiredChannels rejects recordings with another channel count
	// (2: agent and customer on separate channels); 0 accepts any.
	RequiredChannels int
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// AudioInfo describes a recording once probed.
type AudioInfo struct {
	Format          string  `json:"format"`
	Codec           string  `json:"codec"`
	DurationSeconds float64 `json:"duration_seconds"`
	SampleRateHz    int     `json:"sample_rate_hz"`
	Channels        int     `json:"channels"`
	BitsPerSample   int     `json:"bits_per_sample,omitempty"`
	BitRate         int     `json:"bit_rate,omitempty"`
	// Silent is set when a cheap level measurement found (near) silence.
	Silent bool `json:"silent,omitempty"`
}

// Call is one recording in a campaign.
type Call struct {
	ID         string
	OrgID      string
	CampaignID string
	Status     Status
	Source     Source
	FileName   string
	SizeBytes  int64
	SHA256     string
	// Format is the container sniffed from the first bytes at intake.
	Format string
	// BlobKey is where the audio lives in the blob store.
	BlobKey          string
	ConversationTime *time.Time
	AgentEmail       string
	ExternalID       string
	Metadata         []MetaPair
	Audio            *AudioInfo
	RejectionReason  string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	ImportedAt       *time.Time
}

// MetaPair is one metadata key and value; order is kept.
type MetaPair struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}
