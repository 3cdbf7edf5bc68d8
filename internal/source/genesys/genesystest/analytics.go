package genesystest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

const isoMillis = "2006-01-02T15:04:05.000Z"

type numRange struct {
	Gt, Gte, Lt, Lte *float64
}

type predicate struct {
	Type      string    `json:"type"`
	Dimension string    `json:"dimension"`
	Metric    string    `json:"metric"`
	Operator  string    `json:"operator"`
	Value     string    `json:"value"`
	Range     *numRange `json:"range"`
}

type clause struct {
	Type       string      `json:"type"`
	Predicates []predicate `json:"predicates"`
}

type filter struct {
	Type       string      `json:"type"`
	Predicates []predicate `json:"predicates"`
	Clauses    []clause    `json:"clauses"`
}

type detailsQuery struct {
	Interval            string   `json:"interval"`
	ConversationFilters []filter `json:"conversationFilters"`
	SegmentFilters      []filter `json:"segmentFilters"`
	Order               string   `json:"order"`
	OrderBy             string   `json:"orderBy"`
	Paging              *struct {
		PageSize   int `json:"pageSize"`
		PageNumber int `json:"pageNumber"`
	} `json:"paging"`
}

// segCtx is one (participant, session, segment) a segment predicate sees.
type segCtx struct {
	purpose, userID, mediaType, direction, queueID, wrapUp, segmentType string
	duration                                                            time.Duration
}

func (s *Server) detailsQuery(w http.ResponseWriter, r *http.Request) {
	var q detailsQuery
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 512000)).Decode(&q); err != nil {
		apiError(w, r, http.StatusBadRequest, "bad.request", "The request could not be understood by the server due to malformed syntax.")
		return
	}
	from, to, ok := parseInterval(q.Interval)
	if !ok {
		apiError(w, r, http.StatusBadRequest, "invalid.date", "Dates must be specified as ISO-8601 strings. For example: yyyy-MM-ddTHH:mm:ss.SSSZ")
		return
	}
	maxLen := 7 * 24 * time.Hour
	if len(q.ConversationFilters)+len(q.SegmentFilters) > 0 {
		maxLen = 31 * 24 * time.Hour
	}
	if to.Sub(from) > maxLen {
		apiError(w, r, http.StatusBadRequest, "bad.request", fmt.Sprintf("Interval cannot be longer than %d days", int(maxLen/(24*time.Hour))))
		return
	}
	size, page := 25, 1
	if q.Paging != nil {
		size, page = q.Paging.PageSize, q.Paging.PageNumber
	}
	if size < 1 || size > s.cfg.PageSizeMax || page < 1 {
		apiError(w, r, http.StatusBadRequest, "bad.request", fmt.Sprintf("paging.pageSize must be 1 to %d and pageNumber at least 1", s.cfg.PageSizeMax))
		return
	}
	if page*size > s.cfg.MaxResults {
		apiError(w, r, http.StatusBadRequest, "bad.request", fmt.Sprintf("Pagination may not exceed %d results.", s.cfg.MaxResults))
		return
	}
	if msg := checkFilters(q); msg != "" {
		apiError(w, r, http.StatusBadRequest, "invalid.value", msg)
		return
	}
	firstDay := from.Truncate(24 * time.Hour)
	lastDay := to.Add(-time.Millisecond).Truncate(24 * time.Hour)
	var hits []*Conversation
	for i := range s.data.Conversations {
		c := &s.data.Conversations[i]
		day := c.Start.Truncate(24 * time.Hour)
		if day.Before(firstDay) || day.After(lastDay) || !c.Start.Before(to) || c.End.Before(from) {
			continue
		}
		if s.matches(c, q) {
			hits = append(hits, c)
		}
	}
	key := func(c *Conversation) time.Time { return c.Start }
	if q.OrderBy == "conversationEnd" || q.OrderBy == "segmentEnd" {
		key = func(c *Conversation) time.Time { return c.End }
	}
	sort.SliceStable(hits, func(i, j int) bool {
		a, b := key(hits[i]), key(hits[j])
		if !a.Equal(b) {
			if q.Order == "desc" {
				return a.After(b)
			}
			return a.Before(b)
		}
		return hits[i].ID < hits[j].ID
	})
	resp := map[string]any{"totalHits": len(hits)}
	if lo := (page - 1) * size; lo < len(hits) {
		var out []map[string]any
		for _, c := range hits[lo:min(lo+size, len(hits))] {
			out = append(out, s.conversationJSON(c))
		}
		resp["conversations"] = out
	}
	writeJSON(w, http.StatusOK, resp)
}

func parseInterval(iv string) (time.Time, time.Time, bool) {
	a, b, ok := strings.Cut(iv, "/")
	if !ok {
		return time.Time{}, time.Time{}, false
	}
	from, err1 := time.Parse(time.RFC3339Nano, a)
	to, err2 := time.Parse(time.RFC3339Nano, b)
	if err1 != nil || err2 != nil || !from.Before(to) {
		return time.Time{}, time.Time{}, false
	}
	return from.UTC(), to.UTC(), true
}

var (
	convDims = map[string]bool{"conversationEnd": true, "conversationId": true, "conversationStart": true,
		"originatingDirection": true, "mediaStatsMinConversationMos": true, "divisionId": true}
	convMetrics = map[string]bool{"tConversationDuration": true}
	segDims     = map[string]bool{"mediaType": true, "direction": true, "purpose": true, "queueId": true,
		"userId": true, "wrapUpCode": true, "segmentType": true}
	segMetrics = map[string]bool{"tSegmentDuration": true}
)

func checkFilters(q detailsQuery) string {
	check := func(fs []filter, dims, metrics map[string]bool) string {
		for _, f := range fs {
			ps := f.Predicates
			for _, c := range f.Clauses {
				ps = append(ps, c.Predicates...)
			}
			for _, p := range ps {
				if p.Metric != "" && !metrics[p.Metric] || p.Metric == "" && !dims[p.Dimension] {
					return fmt.Sprintf("Value [%s%s] is not valid for field type [dimension]. Allowable values are: %s",
						p.Dimension, p.Metric, "see the API reference")
				}
			}
		}
		return ""
	}
	if m := check(q.ConversationFilters, convDims, convMetrics); m != "" {
		return m
	}
	return check(q.SegmentFilters, segDims, segMetrics)
}

// matches applies every filter (ANDed); a segment filter matches when some
// segment of the conversation satisfies it.
func (s *Server) matches(c *Conversation, q detailsQuery) bool {
	for _, f := range q.ConversationFilters {
		if !evalFilter(f, func(p predicate) bool { return convPred(c, p) }) {
			return false
		}
	}
	if len(q.SegmentFilters) == 0 {
		return true
	}
	segs := segments(c)
	for _, f := range q.SegmentFilters {
		ok := false
		for _, sc := range segs {
			if evalFilter(f, func(p predicate) bool { return segPred(sc, p) }) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func evalFilter(f filter, pred func(predicate) bool) bool {
	and := f.Type != "or"
	n := 0
	res := and
	step := func(v bool) {
		n++
		if and {
			res = res && v
		} else {
			res = res || v
		}
	}
	for _, p := range f.Predicates {
		step(pred(p))
	}
	for _, c := range f.Clauses {
		cand := c.Type != "or"
		cv := cand
		for _, p := range c.Predicates {
			if cand {
				cv = cv && pred(p)
			} else {
				cv = cv || pred(p)
			}
		}
		step(cv)
	}
	return n == 0 || res
}

func dimMatch(p predicate, present bool, value string) bool {
	switch p.Operator {
	case "exists":
		return present
	case "notExists":
		return !present
	}
	return present && value == p.Value
}

func inRange(rg *numRange, v float64) bool {
	if rg == nil {
		return true
	}
	return (rg.Gt == nil || v > *rg.Gt) && (rg.Gte == nil || v >= *rg.Gte) &&
		(rg.Lt == nil || v < *rg.Lt) && (rg.Lte == nil || v <= *rg.Lte)
}

func convPred(c *Conversation, p predicate) bool {
	if p.Metric == "tConversationDuration" {
		return inRange(p.Range, float64(c.Duration().Milliseconds()))
	}
	switch p.Dimension {
	case "conversationEnd":
		return dimMatch(p, true, c.End.Format(isoMillis))
	case "conversationStart":
		return dimMatch(p, true, c.Start.Format(isoMillis))
	case "conversationId":
		return dimMatch(p, true, c.ID)
	case "originatingDirection":
		return dimMatch(p, true, c.Direction)
	case "mediaStatsMinConversationMos":
		if p.Range != nil {
			return c.MOS > 0 && inRange(p.Range, c.MOS)
		}
		return dimMatch(p, c.MOS > 0, fmt.Sprint(c.MOS))
	case "divisionId":
		return dimMatch(p, true, divisionID)
	}
	return false
}

func segPred(sc segCtx, p predicate) bool {
	if p.Metric == "tSegmentDuration" {
		return inRange(p.Range, float64(sc.duration.Milliseconds()))
	}
	var v string
	switch p.Dimension {
	case "mediaType":
		v = sc.mediaType
	case "direction":
		v = sc.direction
	case "purpose":
		v = sc.purpose
	case "queueId":
		v = sc.queueID
	case "userId":
		v = sc.userID
	case "wrapUpCode":
		v = sc.wrapUp
	case "segmentType":
		v = sc.segmentType
	}
	return dimMatch(p, v != "", v)
}
