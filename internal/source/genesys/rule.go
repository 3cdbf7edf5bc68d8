package genesys

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Rule is a campaign's export rule. Only voice conversations handled by an
// agent are ever selected (recordings are audio).
type Rule struct {
	CampaignID string `json:"campaign_id"`
	// QueueIDs keeps conversations where an agent took the call from one of
	// these queues; empty means any queue.
	QueueIDs []string `json:"queue_ids,omitempty"`
	// QueueDailyCap caps, per queue id, the conversations kept per UTC day
	// (of conversation start); absent or 0 means no cap.
	QueueDailyCap map[string]int `json:"queue_daily_cap,omitempty"`
	// Directions keeps inbound and/or outbound; empty means both.
	Directions []string `json:"directions,omitempty"`
	// MinDuration and MaxDuration bound the conversation duration; 0 means
	// no bound. JSON carries durations in nanoseconds.
	MinDuration time.Duration `json:"min_duration,omitempty"`
	MaxDuration time.Duration `json:"max_duration,omitempty"`
	// MinMOS drops conversations whose reported MOS is lower; conversations
	// without a MOS pass. 0 means no minimum.
	MinMOS float64 `json:"min_mos,omitempty"`
	// AgentDailyQuota keeps at most this many conversations per agent per
	// UTC day (of conversation start), the first ones by conversation end;
	// 0 means no quota.
	AgentDailyQuota int `json:"agent_daily_quota,omitempty"`
	// SamplePercent keeps this share of the conversations, decided by a
	// hash of the conversation id (the same one is always in or out);
	// 0 or 100 keeps all.
	SamplePercent float64 `json:"sample_percent,omitempty"`
	// BackfillStart is where the first run starts.
	BackfillStart time.Time `json:"backfill_start"`
}

// Skip reasons of candidates the rule does not keep.
const (
	SkipNotVoice   = "not voice"
	SkipNoAgent    = "no agent on the selected queues"
	SkipDirection  = "direction"
	SkipDuration   = "duration"
	SkipMOS        = "mos below minimum"
	SkipSampling   = "sampling"
	SkipAgentQuota = "agent daily quota"
	SkipQueueCap   = "queue daily cap"
)

// Candidate is one conversation the query returned, re-validated.
type Candidate struct {
	ConversationID string    `json:"conversation_id"`
	Start          time.Time `json:"start"`
	End            time.Time `json:"end"`
	Direction      string    `json:"direction"`
	AgentID        string    `json:"agent_id"`
	QueueID        string    `json:"queue_id"`
	WrapUpCode     string    `json:"wrap_up_code,omitempty"`
	// Skip is why the rule does not keep it; empty when kept.
	Skip string `json:"skip,omitempty"`
}

// Duration is End − Start.
func (c Candidate) Duration() time.Duration { return c.End.Sub(c.Start) }

// Selection is what a rule keeps over (From, To].
type Selection struct {
	From, To time.Time
	// Candidates are every conversation that ended in (From, To], sorted by
	// end then id, kept or with a skip reason.
	Candidates []Candidate
	// Taken is the quota state after the selection (input counts plus the
	// kept candidates).
	Taken map[string]int
	// Requests is the number of query pages fetched.
	Requests int
}

// Kept returns the kept candidates in order.
func (s Selection) Kept() []Candidate {
	var out []Candidate
	for _, c := range s.Candidates {
		if c.Skip == "" {
			out = append(out, c)
		}
	}
	return out
}

// Sampled reports whether the rule's sampling keeps conversation id.
func Sampled(id string, percent float64) bool {
	if percent <= 0 || percent >= 100 {
		return true
	}
	sum := sha256.Sum256([]byte(id))
	return binary.BigEndian.Uint64(sum[:8])%10000 < uint64(math.Round(percent*100))
}

func dayKey(kind, id string, start time.Time) string {
	return kind + "|" + id + "|" + start.UTC().Format(time.DateOnly)
}

// maxQueryWindow keeps each query under the 7-day interval limit.
const maxQueryWindow = 7 * 24 * time.Hour

// Select runs the details query over (from, to] (reaching back far enough
// to find conversations that started earlier), re-validates every record
// and applies sampling and quotas, counting on from taken (quota counts of
// earlier runs, not modified).
func Select(ctx context.Context, c *Client, rule Rule, from, to time.Time, taken map[string]int) (Selection, error) {
	sel := Selection{From: from, To: to, Taken: make(map[string]int, len(taken))}
	for k, v := range taken {
		sel.Taken[k] = v
	}
	if !from.Before(to) {
		return sel, nil
	}
	lookback := 24 * time.Hour
	if rule.MaxDuration > 0 {
		lookback = rule.MaxDuration + time.Minute
	}
	seen := map[string]bool{}
	var convs []Conversation
	for lo := from.Add(-lookback); lo.Before(to); lo = lo.Add(maxQueryWindow) {
		hi := lo.Add(maxQueryWindow)
		if hi.After(to) {
			hi = to
		}
		if err := fetchWindow(ctx, c, rule, lo, hi, &sel, func(cv Conversation) {
			if !seen[cv.ConversationID] {
				seen[cv.ConversationID] = true
				convs = append(convs, cv)
			}
		}); err != nil {
			return Selection{}, fmt.Errorf("select conversations: %w", err)
		}
	}
	for _, cv := range convs {
		if cv.ConversationEnd == nil || !cv.ConversationEnd.After(from) || cv.ConversationEnd.After(to) {
			continue
		}
		sel.Candidates = append(sel.Candidates, validate(rule, cv))
	}
	sort.Slice(sel.Candidates, func(i, j int) bool {
		a, b := sel.Candidates[i], sel.Candidates[j]
		if !a.End.Equal(b.End) {
			return a.End.Before(b.End)
		}
		return a.ConversationID < b.ConversationID
	})
	for i := range sel.Candidates {
		cd := &sel.Candidates[i]
		if cd.Skip != "" {
			continue
		}
		if !Sampled(cd.ConversationID, rule.SamplePercent) {
			cd.Skip = SkipSampling
			continue
		}
		ak, qk := dayKey("a", cd.AgentID, cd.Start), dayKey("q", cd.QueueID, cd.Start)
		if rule.AgentDailyQuota > 0 && sel.Taken[ak] >= rule.AgentDailyQuota {
			cd.Skip = SkipAgentQuota
			continue
		}
		if capN := rule.QueueDailyCap[cd.QueueID]; capN > 0 && sel.Taken[qk] >= capN {
			cd.Skip = SkipQueueCap
			continue
		}
		sel.Taken[ak]++
		sel.Taken[qk]++
	}
	return sel, nil
}

// fetchWindow pages through the query over [lo, hi) to the end. When the
// server refuses to page that deep (400 "Pagination may not exceed …
// results"), it splits the window in two, down to a minute.
func fetchWindow(ctx context.Context, c *Client, rule Rule, lo, hi time.Time, sel *Selection, add func(Conversation)) error {
	q := query(rule, lo, hi)
	var got []Conversation
	for page := 1; page <= 10000; page++ {
		q.Paging.PageNumber = page
		p, err := c.QueryConversations(ctx, q)
		sel.Requests++
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == 400 && strings.Contains(strings.ToLower(ae.Message), "may not exceed") &&
			hi.Sub(lo) > time.Minute {
			mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Millisecond)
			if err := fetchWindow(ctx, c, rule, lo, mid, sel, add); err != nil {
				return err
			}
			return fetchWindow(ctx, c, rule, mid, hi, sel, add)
		}
		if err != nil {
			return err
		}
		got = append(got, p.Conversations...)
		if len(p.Conversations) == 0 || page*q.Paging.PageSize >= p.TotalHits {
			break
		}
	}
	for _, cv := range got {
		add(cv)
	}
	return nil
}

// query builds the details query for the rule over [lo, hi).
func query(rule Rule, lo, hi time.Time) Query {
	conv := Filter{Type: "and", Predicates: []Predicate{
		{Type: "dimension", Dimension: "conversationEnd", Operator: "exists"}}}
	if len(rule.Directions) == 1 {
		conv.Predicates = append(conv.Predicates, Predicate{Type: "dimension", Dimension: "originatingDirection",
			Operator: "matches", Value: rule.Directions[0]})
	}
	if rule.MinDuration > 0 || rule.MaxDuration > 0 {
		rg := &NumRange{}
		if rule.MinDuration > 0 {
			v := float64(rule.MinDuration.Milliseconds())
			rg.Gte = &v
		}
		if rule.MaxDuration > 0 {
			v := float64(rule.MaxDuration.Milliseconds())
			rg.Lte = &v
		}
		conv.Predicates = append(conv.Predicates, Predicate{Type: "metric", Metric: "tConversationDuration", Range: rg})
	}
	q := Query{Interval: lo.UTC().Format(isoMillis) + "/" + hi.UTC().Format(isoMillis), Order: "asc",
		OrderBy: "conversationStart", Paging: Paging{PageSize: 100, PageNumber: 1},
		ConversationFilters: []Filter{conv},
		SegmentFilters: []Filter{{Type: "and", Predicates: []Predicate{
			{Type: "dimension", Dimension: "mediaType", Value: "voice"},
			{Type: "dimension", Dimension: "purpose", Value: "agent"}}}}}
	if len(rule.QueueIDs) > 0 {
		f := Filter{Type: "or"}
		for _, id := range rule.QueueIDs {
			f.Predicates = append(f.Predicates, Predicate{Type: "dimension", Dimension: "queueId", Value: id})
		}
		q.SegmentFilters = append(q.SegmentFilters, f)
	}
	return q
}

const isoMillis = "2006-01-02T15:04:05.000Z"

// validate re-checks a record against the rule (never trusting the
// server's filtering) and picks its agent, queue and wrap-up code.
func validate(rule Rule, cv Conversation) Candidate {
	cd := Candidate{ConversationID: cv.ConversationID, Start: cv.ConversationStart.UTC(),
		End: cv.ConversationEnd.UTC(), Direction: cv.OriginatingDirection}
	voice := false
	for _, p := range cv.Participants {
		if p.Purpose != "agent" || p.UserID == "" {
			continue
		}
		for _, s := range p.Sessions {
			if s.MediaType != "voice" {
				continue
			}
			voice = true
			for _, sg := range s.Segments {
				if sg.QueueID == "" || (len(rule.QueueIDs) > 0 && !slices.Contains(rule.QueueIDs, sg.QueueID)) {
					continue
				}
				if cd.AgentID == "" {
					cd.AgentID, cd.QueueID = p.UserID, sg.QueueID
				}
				if cd.AgentID == p.UserID && sg.WrapUpCode != "" {
					cd.WrapUpCode = sg.WrapUpCode
				}
			}
		}
	}
	d := cd.Duration()
	switch {
	case !voice:
		cd.Skip = SkipNotVoice
	case cd.AgentID == "":
		cd.Skip = SkipNoAgent
	case len(rule.Directions) > 0 && !slices.Contains(rule.Directions, cd.Direction):
		cd.Skip = SkipDirection
	case rule.MinDuration > 0 && d < rule.MinDuration, rule.MaxDuration > 0 && d > rule.MaxDuration:
		cd.Skip = SkipDuration
	case rule.MinMOS > 0 && cv.MOS != nil && *cv.MOS < rule.MinMOS:
		cd.Skip = SkipMOS
	}
	return cd
}
