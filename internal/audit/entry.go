package audit

import (
	"time"

	"github.com/callimport/callimport/internal/store"
)

// Entry is a record as the API lists it and exports write it, one JSON
// object per line. With prev_hash and hash it carries everything needed
// to check the chain elsewhere (store.AuditHash describes the encoding).
type Entry struct {
	OrgID      string            `json:"org_id"`
	Seq        int64             `json:"seq"`
	Time       time.Time         `json:"time"`
	ActorType  string            `json:"actor_type"`
	ActorID    string            `json:"actor_id"`
	Action     string            `json:"action"`
	TargetType string            `json:"target_type"`
	TargetID   string            `json:"target_id"`
	Outcome    string            `json:"outcome"`
	SourceIP   string            `json:"source_ip"`
	Client     string            `json:"client"`
	Detail     map[string]string `json:"detail"`
	PrevHash   string            `json:"prev_hash"`
	Hash       string            `json:"hash"`
}

// EntryOf returns r as an Entry.
func EntryOf(r store.AuditRecord) Entry {
	d := r.Detail
	if d == nil {
		d = map[string]string{}
	}
	return Entry{
		OrgID: r.OrgID, Seq: r.Seq, Time: r.At.UTC(), ActorType: r.ActorType, ActorID: r.ActorID, Action: r.Action,
		TargetType: r.TargetType, TargetID: r.TargetID, Outcome: r.Outcome, SourceIP: r.SourceIP, Client: r.Client,
		Detail: d, PrevHash: r.PrevHash, Hash: r.Hash,
	}
}
