package genesystest

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"time"
)

const divisionID = "5b703b3e-b3d6-4733-994e-bf09ceecd1a1"

type segModel struct {
	typ        string
	start, end time.Time
	queueID    string
	wrapUp     string
	disconnect string
}

type partModel struct {
	id, name, purpose, userID string
	sessionID                 string
	recording                 bool
	metrics                   []metricModel
	segs                      []segModel
}

type metricModel struct {
	name  string
	value int64
	at    time.Time
}

// subID derives a stable id for a part of conversation c.
func subID(c *Conversation, part string) string {
	sum := sha256.Sum256([]byte(c.ID + "/" + part))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// model lays out a conversation's participants, sessions and segments.
func (s *Server) model(c *Conversation) []partModel {
	ms := func(d time.Duration) time.Duration { return d.Truncate(time.Millisecond) }
	total := c.Duration()
	var parts []partModel
	cust := partModel{id: subID(c, "customer"), name: "+3312345" + c.ID[:4], purpose: "customer",
		sessionID: subID(c, "customer-session"), recording: len(c.Recordings) > 0}
	if len(c.Recordings) > 0 {
		cust.sessionID = c.Recordings[0].SessionID
	}
	cust.segs = []segModel{{typ: "interact", start: c.Start, end: c.End, queueID: c.QueueID, disconnect: "endpoint"}}
	cust.metrics = []metricModel{{"tConnected", total.Milliseconds(), c.End}}
	parts = append(parts, cust)
	t := c.Start
	if c.Direction == "inbound" {
		ivrEnd := t.Add(ms(total / 10))
		parts = append(parts, partModel{id: subID(c, "ivr"), name: "Main IVR", purpose: "ivr", sessionID: subID(c, "ivr-session"),
			segs:    []segModel{{typ: "ivr", start: t, end: ivrEnd, disconnect: "transfer"}},
			metrics: []metricModel{{"tIvr", ivrEnd.Sub(t).Milliseconds(), ivrEnd}}})
		t = ivrEnd
		acdEnd := t.Add(ms(total / 10))
		qname := s.queues[c.QueueID].Name
		parts = append(parts, partModel{id: subID(c, "acd"), name: qname, purpose: "acd", sessionID: subID(c, "acd-session"),
			segs:    []segModel{{typ: "interact", start: t, end: acdEnd, queueID: c.QueueID}},
			metrics: []metricModel{{"tAcd", acdEnd.Sub(t).Milliseconds(), acdEnd}, {"nOffered", 1, t}}})
		t = acdEnd
	}
	if len(c.Legs) == 0 {
		return parts
	}
	per := ms(c.End.Sub(t) / time.Duration(len(c.Legs)))
	for i, l := range c.Legs {
		a, b := t.Add(time.Duration(i)*per), t.Add(time.Duration(i+1)*per)
		if i == len(c.Legs)-1 {
			b = c.End
		}
		alertEnd := a.Add(min(2*time.Second, per/10))
		wrapStart := b.Add(-min(3*time.Second, per/10))
		p := partModel{id: subID(c, fmt.Sprint("agent", i)), purpose: "agent", userID: l.UserID,
			sessionID: subID(c, fmt.Sprint("agent-session", i))}
		p.segs = []segModel{
			{typ: "alert", start: a, end: alertEnd, queueID: l.QueueID},
			{typ: "interact", start: alertEnd, end: wrapStart, queueID: l.QueueID, disconnect: "peer"},
			{typ: "wrapup", start: wrapStart, end: b, queueID: l.QueueID, wrapUp: l.WrapUpCode},
		}
		p.metrics = []metricModel{{"tAlert", alertEnd.Sub(a).Milliseconds(), alertEnd},
			{"tAnswered", alertEnd.Sub(a).Milliseconds(), alertEnd},
			{"tTalk", wrapStart.Sub(alertEnd).Milliseconds(), wrapStart},
			{"tAcw", b.Sub(wrapStart).Milliseconds(), b}, {"tHandle", b.Sub(a).Milliseconds(), b}}
		parts = append(parts, p)
	}
	return parts
}

func segments(c *Conversation) []segCtx {
	// A lightweight view used by the segment filters; mirrors model.
	s := &Server{queues: map[string]Queue{}}
	var out []segCtx
	for _, p := range s.model(c) {
		for _, sg := range p.segs {
			out = append(out, segCtx{purpose: p.purpose, userID: p.userID, mediaType: c.MediaType,
				direction: c.Direction, queueID: sg.queueID, wrapUp: sg.wrapUp, segmentType: sg.typ,
				duration: sg.end.Sub(sg.start)})
		}
	}
	return out
}

// conversationJSON is AnalyticsConversationWithoutAttributes.
func (s *Server) conversationJSON(c *Conversation) map[string]any {
	out := map[string]any{
		"conversationId":        c.ID,
		"conversationStart":     c.Start.Format(isoMillis),
		"conversationEnd":       c.End.Format(isoMillis),
		"originatingDirection":  c.Direction,
		"divisionIds":           []string{divisionID},
		"conversationInitiator": map[bool]string{true: "customer", false: "agent"}[c.Direction == "inbound"],
		"customerParticipation": true,
	}
	if c.MOS > 0 {
		out["mediaStatsMinConversationMos"] = c.MOS
	}
	var parts []map[string]any
	for _, p := range s.model(c) {
		var segs []map[string]any
		for _, sg := range p.segs {
			m := map[string]any{"segmentStart": sg.start.Format(isoMillis), "segmentEnd": sg.end.Format(isoMillis),
				"segmentType": sg.typ, "conference": false}
			if sg.queueID != "" {
				m["queueId"] = sg.queueID
			}
			if sg.wrapUp != "" {
				m["wrapUpCode"] = sg.wrapUp
			}
			if sg.disconnect != "" {
				m["disconnectType"] = sg.disconnect
			}
			segs = append(segs, m)
		}
		var mets []map[string]any
		for _, m := range p.metrics {
			mets = append(mets, map[string]any{"name": m.name, "value": m.value, "emitDate": m.at.Format(isoMillis)})
		}
		sess := map[string]any{"sessionId": p.sessionID, "mediaType": c.MediaType, "direction": c.Direction,
			"metrics": mets, "segments": segs, "provider": "Edge"}
		if c.MediaType == "voice" {
			sess["ani"] = "tel:+3312345" + fmt.Sprint(len(c.ID))
			sess["dnis"] = "tel:+33987654321"
		}
		if p.recording {
			sess["recording"] = true
		}
		pj := map[string]any{"participantId": p.id, "purpose": p.purpose, "sessions": []any{sess}}
		if p.name != "" {
			pj["participantName"] = p.name
		}
		if p.userID != "" {
			pj["userId"] = p.userID
		}
		parts = append(parts, pj)
	}
	out["participants"] = parts
	return out
}

func (s *Server) conversationDetails(w http.ResponseWriter, r *http.Request) {
	c, ok := s.convByID[r.PathValue("cid")]
	if !ok {
		apiError(w, r, http.StatusNotFound, "not.found", "The requested resource was not found.")
		return
	}
	writeJSON(w, http.StatusOK, s.conversationJSON(c))
}
