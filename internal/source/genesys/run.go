package genesys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/ingest"
)

// Ingester is the intake path (ingest.Service).
type Ingester interface {
	Ingest(ctx context.Context, req ingest.Request) (ingest.Result, error)
}

// RunnerConfig tunes runs. The zero value means defaults.
type RunnerConfig struct {
	// OrgID is our organisation the calls belong to (required).
	OrgID string
	// Lag keeps the end of a run's window this far in the past, for
	// recordings still uploading; defaults to 10 minutes, negative means none.
	Lag time.Duration
	// PollInterval between batch status polls; defaults to 2 s.
	PollInterval time.Duration
	// MaxPolls of one batch request before its conversations are parked;
	// defaults to 150.
	MaxPolls int
	// Workers download and import in parallel; defaults to 4.
	Workers int
	// MaxAttempts of a parked conversation before it is given up; defaults to 10.
	MaxAttempts int
	// Now defaults to time.Now.
	Now func() time.Time
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// Runner runs export rules of one connection.
type Runner struct {
	c   *Client
	in  Ingester
	cfg RunnerConfig
	log *slog.Logger

	mu      sync.Mutex
	users   map[string]Entity
	queues  map[string]Entity
	wrapups map[string]Entity
}

// NewRunner returns a Runner importing through in.
func NewRunner(c *Client, in Ingester, cfg RunnerConfig) *Runner {
	if cfg.Lag == 0 {
		cfg.Lag = 10 * time.Minute
	}
	cfg.Lag = max(cfg.Lag, 0)
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 2 * time.Second
	}
	if cfg.MaxPolls == 0 {
		cfg.MaxPolls = 150
	}
	if cfg.Workers == 0 {
		cfg.Workers = 4
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Runner{c: c, in: in, cfg: cfg, log: log.With("source", string(call.SourceGenesys)),
		users: map[string]Entity{}, queues: map[string]Entity{}, wrapups: map[string]Entity{}}
}

// Progress is a rule's memory between runs; persist it after each run.
type Progress struct {
	// Watermark: every conversation that ended at or before it is imported,
	// skipped by the rule, failed for good, or parked.
	Watermark time.Time `json:"watermark"`
	// Taken counts kept conversations per agent and per queue per day.
	Taken map[string]int `json:"taken,omitempty"`
	// Parked are conversations waiting for their recordings.
	Parked []Parked `json:"parked,omitempty"`
}

// Parked is a kept conversation whose recording was not available.
type Parked struct {
	Candidate
	Attempts int    `json:"attempts"`
	Reason   string `json:"reason"`
}

// Failure is a kept conversation that could not be imported, for good.
type Failure struct {
	ConversationID string `json:"conversation_id"`
	Reason         string `json:"reason"`
}

// Report is the outcome of one run.
type Report struct {
	From, To   time.Time
	Candidates int
	Selected   int
	Imported   int
	Duplicates int
	// Skipped counts candidates the rule did not keep, by reason.
	Skipped map[string]int
	// Parked counts conversations parked (new or still) for retry.
	Parked int
	Failed []Failure
	// Interrupted is the first error that stopped the watermark short.
	Interrupted error
	// Progress is what to persist.
	Progress Progress
}

type outcome int

const (
	outImported outcome = iota
	outDuplicate
	outParked
	outFailed
	outTransient
)

type result struct {
	out    outcome
	reason string
	err    error
}

// Run imports what rule selects since prog, and retries prog's parked
// conversations. It returns the new progress in the report; an error means
// nothing changed (e.g. the selection query failed).
func (r *Runner) Run(ctx context.Context, rule Rule, prog Progress) (Report, error) {
	from := prog.Watermark
	if from.IsZero() {
		from = rule.BackfillStart
	}
	to := r.cfg.Now().Add(-r.cfg.Lag).UTC().Truncate(time.Millisecond)
	if to.Before(from) {
		to = from
	}
	sel, err := Select(ctx, r.c, rule, from, to, prog.Taken)
	if err != nil {
		return Report{}, err
	}
	rep := Report{From: from, To: to, Candidates: len(sel.Candidates), Skipped: map[string]int{}}
	kept := sel.Kept()
	rep.Selected = len(kept)
	for _, cd := range sel.Candidates {
		if cd.Skip != "" {
			rep.Skipped[cd.Skip]++
		}
	}
	all := append(append([]Candidate(nil), kept...), parkedCandidates(prog.Parked)...)
	if err := r.resolve(ctx, all); err != nil {
		return Report{}, err
	}
	results := r.process(ctx, rule, kept, prog.Parked)

	// The watermark stops before the first conversation that failed for a
	// transient reason, so the next run picks it up again.
	wm := to
	for i, cd := range kept {
		if res := results[i]; res.out == outTransient {
			if rep.Interrupted == nil {
				rep.Interrupted = res.err
			}
			wm = from
			for _, o := range sel.Candidates {
				if o.End.Before(cd.End) && o.End.After(wm) {
					wm = o.End
				}
			}
			break
		}
	}
	next := Progress{Watermark: wm, Taken: map[string]int{}}
	for k, v := range prog.Taken {
		next.Taken[k] = v
	}
	for i, cd := range kept {
		if cd.End.After(wm) {
			continue
		}
		next.Taken[dayKey("a", cd.AgentID, cd.Start)]++
		next.Taken[dayKey("q", cd.QueueID, cd.Start)]++
		r.tally(&rep, &next, Parked{Candidate: cd}, results[i])
	}
	for i, p := range prog.Parked {
		res := results[len(kept)+i]
		if res.out == outTransient {
			res = result{out: outParked, reason: p.Reason}
		}
		r.tally(&rep, &next, p, res)
	}
	prune(next.Taken, wm, rule)
	rep.Progress = next
	r.log.InfoContext(ctx, "genesys run done", "campaign_id", rule.CampaignID, "from", from, "to", to,
		"watermark", wm, "selected", rep.Selected, "imported", rep.Imported, "duplicates", rep.Duplicates,
		"parked", rep.Parked, "failed", len(rep.Failed))
	return rep, nil
}

func (r *Runner) tally(rep *Report, next *Progress, p Parked, res result) {
	switch res.out {
	case outImported:
		rep.Imported++
	case outDuplicate:
		rep.Duplicates++
	case outParked:
		p.Attempts++
		p.Reason = res.reason
		if p.Attempts >= r.cfg.MaxAttempts {
			rep.Failed = append(rep.Failed, Failure{p.ConversationID,
				fmt.Sprintf("%s (gave up after %d attempts)", res.reason, p.Attempts)})
			return
		}
		rep.Parked++
		next.Parked = append(next.Parked, p)
	case outFailed, outTransient:
		rep.Failed = append(rep.Failed, Failure{p.ConversationID, res.reason})
	}
}

func parkedCandidates(ps []Parked) []Candidate {
	out := make([]Candidate, len(ps))
	for i, p := range ps {
		out[i] = p.Candidate
	}
	return out
}

// prune forgets quota counts of days no future run can select.
func prune(taken map[string]int, wm time.Time, rule Rule) {
	lookback := 24 * time.Hour
	if rule.MaxDuration > 0 {
		lookback = rule.MaxDuration + time.Minute
	}
	oldest := wm.Add(-lookback - 24*time.Hour).UTC().Format(time.DateOnly)
	for k := range taken {
		if i := strings.LastIndexByte(k, '|'); i >= 0 && k[i+1:] < oldest {
			delete(taken, k)
		}
	}
}

// resolve fills the users, queues and wrap-up code caches for cds.
func (r *Runner) resolve(ctx context.Context, cds []Candidate) error {
	var users, queues, codes []string
	r.mu.Lock()
	for _, cd := range cds {
		if _, ok := r.users[cd.AgentID]; !ok && cd.AgentID != "" && !contains(users, cd.AgentID) {
			users = append(users, cd.AgentID)
		}
		if _, ok := r.queues[cd.QueueID]; !ok && cd.QueueID != "" && !contains(queues, cd.QueueID) {
			queues = append(queues, cd.QueueID)
		}
		if _, ok := r.wrapups[cd.WrapUpCode]; !ok && isUUID(cd.WrapUpCode) && !contains(codes, cd.WrapUpCode) {
			codes = append(codes, cd.WrapUpCode)
		}
	}
	r.mu.Unlock()
	fetch := func(p string, ids []string, extra url.Values, cache map[string]Entity) error {
		if len(ids) == 0 {
			return nil
		}
		got, err := r.c.Entities(ctx, p, ids, extra)
		if err != nil {
			return err
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, id := range ids {
			cache[id] = got[id] // absent ids are cached as unknown
		}
		return nil
	}
	if err := fetch("/api/v2/users", users, url.Values{"state": {"any"}}, r.users); err != nil {
		return fmt.Errorf("resolve agents: %w", err)
	}
	if err := fetch("/api/v2/routing/queues", queues, nil, r.queues); err != nil {
		return fmt.Errorf("resolve queues: %w", err)
	}
	if err := fetch("/api/v2/routing/wrapupcodes", codes, nil, r.wrapups); err != nil {
		// Wrap-up names need routing:wrapupCode:view; the id will do.
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != 403 {
			return fmt.Errorf("resolve wrap-up codes: %w", err)
		}
		r.log.WarnContext(ctx, "genesys wrap-up codes not readable; keeping ids", "status", ae.Status)
	}
	return nil
}

func isUUID(s string) bool { return len(s) == 36 && strings.Count(s, "-") == 4 }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// envelope maps a candidate to the call envelope of PRODUCT.md §6.
func (r *Runner) envelope(rule Rule, cd Candidate) (call.Envelope, error) {
	r.mu.Lock()
	user, queue, code := r.users[cd.AgentID], r.queues[cd.QueueID], r.wrapups[cd.WrapUpCode]
	r.mu.Unlock()
	wrap := cd.WrapUpCode
	if code.Name != "" {
		wrap = code.Name
	}
	pairs := []call.MetaPair{{Key: "genesys_conversation_id", Value: cd.ConversationID},
		{Key: "queue", Value: queue.Name}, {Key: "queue_id", Value: cd.QueueID},
		{Key: "direction", Value: cd.Direction},
		{Key: "duration_seconds", Value: strconv.FormatInt(int64(cd.Duration()/time.Second), 10)},
		{Key: "wrap_up_code", Value: wrap}}
	meta, err := json.Marshal(pairs)
	if err != nil {
		return call.Envelope{}, fmt.Errorf("encode metadata: %w", err)
	}
	email := user.Email
	if email != "" && call.CheckEmail(email) != "" {
		email = ""
	}
	return call.ParseEnvelope(call.RawEnvelope{CampaignID: rule.CampaignID,
		ConversationTimestamp: cd.Start.Format(time.RFC3339), AgentEmail: email,
		ExternalID: cd.ConversationID, Metadata: string(meta)}, r.cfg.Now())
}

func extension(contentType, mediaURL string) string {
	switch {
	case strings.Contains(contentType, "wav"):
		return ".wav"
	case strings.Contains(contentType, "webm"):
		return ".webm"
	case strings.Contains(contentType, "ogg"):
		return ".ogg"
	case strings.Contains(contentType, "mpeg"), strings.Contains(contentType, "mp3"):
		return ".mp3"
	}
	if u, err := url.Parse(mediaURL); err == nil {
		return strings.ToLower(path.Ext(u.Path))
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
