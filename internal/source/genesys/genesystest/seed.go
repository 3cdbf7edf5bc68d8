package genesystest

import (
	"bytes"
	_ "embed" // recording templates
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"time"
)

// Real audio (8 kHz speech) that every seeded recording is made from; each
// recording gets a marker of its own so that no two share a SHA-256.
var (
	//go:embed testdata/call.wav
	wavTemplate []byte
	//go:embed testdata/call.webm
	webmTemplate []byte
)

// Data is the seeded organisation, for tests that check the connector
// against an independent computation. Treat it as read-only.
type Data struct {
	Users         []User
	Queues        []Queue
	WrapupCodes   []WrapupCode
	Conversations []Conversation
}

// User is an agent.
type User struct {
	ID, Name, Email string
}

// Queue is an ACD queue.
type Queue struct {
	ID, Name string
}

// WrapupCode is a wrap-up code.
type WrapupCode struct {
	ID, Name string
}

// Leg is one agent's part of a conversation, reached through a queue.
type Leg struct {
	UserID, QueueID string
	// WrapUpCode is a wrap-up code id, or a system value such as
	// ININ-WRAP-UP-TIMEOUT.
	WrapUpCode string
}

// Conversation is one seeded conversation.
type Conversation struct {
	ID         string
	Start, End time.Time
	// Direction is inbound or outbound.
	Direction string
	// MediaType is voice, chat or email.
	MediaType string
	// QueueID is the queue the customer was routed to (the first leg's);
	// empty for outbound calls placed without a queue.
	QueueID string
	// Legs are the agents in order (several after a transfer, none when
	// the customer abandoned in queue).
	Legs []Leg
	// MOS is mediaStatsMinConversationMos; 0 means Genesys reported none.
	MOS        float64
	Recordings []Recording
}

// Duration is End − Start.
func (c Conversation) Duration() time.Duration { return c.End.Sub(c.Start) }

// Recording is one recording of a conversation.
type Recording struct {
	ID, SessionID string
	// Format is the original codec served by batch requests: WAV or WEBM.
	Format string
	// FileState is AVAILABLE, ARCHIVED or DELETED.
	FileState string
	// NotReadyPolls is how many recording requests (list, single or batch)
	// find it still transcoding before it becomes available.
	NotReadyPolls int
}

func uuidFrom(r *rand.Rand) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], r.Uint64())
	binary.BigEndian.PutUint64(b[8:], r.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

var (
	firstNames = []string{"Alice", "Bruno", "Chloé", "David", "Emma", "Farid", "Gina", "Hugo", "Inès", "Jonas", "Karin", "Léo", "Mia", "Noah", "Olga", "Paul"}
	lastNames  = []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand"}
	queueNames = []string{"Support EN", "Support FR", "Sales", "Billing", "Retention", "VIP"}
	wrapNames  = []string{"Resolved", "Callback needed", "Escalated", "Sale", "No answer"}
)

// seed builds the organisation deterministically from cfg.
func seed(cfg Config) Data {
	r := rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(cfg.Seed)^0x9e3779b97f4a7c15))
	var d Data
	for i := range cfg.Users {
		fn, ln := firstNames[i%len(firstNames)], lastNames[(i/len(firstNames)+i)%len(lastNames)]
		u := User{ID: uuidFrom(r), Name: fn + " " + ln,
			Email: fmt.Sprintf("agent%02d@example.com", i+1)}
		if i == cfg.Users-1 && cfg.Users > 2 {
			u.Email = "" // an agent without an e-mail address
		}
		d.Users = append(d.Users, u)
	}
	for i := range cfg.Queues {
		d.Queues = append(d.Queues, Queue{ID: uuidFrom(r), Name: queueNames[i%len(queueNames)] + suffix(i, len(queueNames))})
	}
	for _, n := range wrapNames {
		d.WrapupCodes = append(d.WrapupCodes, WrapupCode{ID: uuidFrom(r), Name: n})
	}
	span := int64(cfg.Days) * int64(24*time.Hour/time.Millisecond)
	for range cfg.Conversations {
		c := Conversation{ID: uuidFrom(r), Direction: "inbound", MediaType: "voice"}
		c.Start = cfg.Start.Add(time.Duration(r.Int64N(span)) * time.Millisecond)
		var dur time.Duration
		switch p := r.IntN(100); {
		case p < 20:
			dur = time.Duration(5+r.IntN(55)) * time.Second
		case p < 90:
			dur = time.Duration(60+r.IntN(14*60)) * time.Second
		default:
			dur = time.Duration(15*60+r.IntN(55*60)) * time.Second
		}
		c.End = c.Start.Add(dur + time.Duration(r.IntN(1000))*time.Millisecond)
		if r.IntN(100) < 30 {
			c.Direction = "outbound"
		}
		switch p := r.IntN(100); {
		case p < 5:
			c.MediaType = "chat"
		case p < 10:
			c.MediaType = "email"
		}
		c.QueueID = d.Queues[r.IntN(len(d.Queues))].ID
		nLegs := 1
		switch p := r.IntN(100); {
		case p < 5:
			nLegs = 0
		case p < 15:
			nLegs = 2
		}
		q := c.QueueID
		for j := range nLegs {
			if j > 0 {
				q = d.Queues[r.IntN(len(d.Queues))].ID
			}
			// A few agents take most calls, so that quotas bite.
			u := d.Users[min(r.IntN(len(d.Users)), r.IntN(len(d.Users)))]
			wc := d.WrapupCodes[r.IntN(len(d.WrapupCodes))].ID
			if r.IntN(100) < 5 {
				wc = "ININ-WRAP-UP-TIMEOUT"
			}
			c.Legs = append(c.Legs, Leg{UserID: u.ID, QueueID: q, WrapUpCode: wc})
		}
		if c.MediaType == "voice" {
			if r.IntN(100) < 90 {
				c.MOS = 3 + float64(r.IntN(150))/100
			}
			if nLegs > 0 {
				rec := Recording{ID: uuidFrom(r), SessionID: uuidFrom(r), Format: "WAV", FileState: "AVAILABLE"}
				if r.IntN(100) < 20 {
					rec.Format = "WEBM"
				}
				switch p := r.IntN(100); {
				case p < 3:
					rec.FileState = "ARCHIVED"
				case p < 3+cfg.TranscodingPercent:
					rec.NotReadyPolls = cfg.TranscodingPolls
				}
				c.Recordings = append(c.Recordings, rec)
			}
		}
		d.Conversations = append(d.Conversations, c)
	}
	return d
}

func suffix(i, n int) string {
	if i < n {
		return ""
	}
	return fmt.Sprintf(" %d", i/n+1)
}

// media returns the bytes of a recording in format (WAV or WEBM), made
// from real audio with a marker naming the recording, so every recording
// has content of its own.
func media(format, conversationID, recordingID string) []byte {
	marker := []byte("genesys-sim " + conversationID + " " + recordingID)
	if format == "WEBM" {
		// An EBML Void element (0xEC) between the EBML header and the
		// Segment: readers skip it.
		hdrSize := int(webmTemplate[4] & 0x7f)
		at := 5 + hdrSize
		var b bytes.Buffer
		b.Write(webmTemplate[:at])
		b.WriteByte(0xEC)
		b.Write([]byte{0x40 | byte(len(marker)>>8), byte(len(marker))})
		b.Write(marker)
		b.Write(webmTemplate[at:])
		return b.Bytes()
	}
	// A RIFF chunk of our own ("gsim") before the data chunk.
	at := bytes.Index(wavTemplate, []byte("data"))
	if len(marker)%2 == 1 {
		marker = append(marker, ' ')
	}
	var b bytes.Buffer
	b.Write(wavTemplate[:at])
	b.WriteString("gsim")
	_ = binary.Write(&b, binary.LittleEndian, uint32(len(marker)))
	b.Write(marker)
	b.Write(wavTemplate[at:])
	out := b.Bytes()
	binary.LittleEndian.PutUint32(out[4:8], uint32(len(out)-8))
	return out
}
