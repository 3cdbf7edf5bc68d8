package genesys

import (
	"context"
	"time"
)

// Count is how many conversations matched a rule's filters (Matched: the
// re-validated candidates on the rule's queues, before sampling and quotas)
// and how many the rule keeps.
type Count struct {
	Matched, Kept int
}

// Preview is what a rule would select over a period, downloading nothing.
type Preview struct {
	From, To time.Time
	// Candidates counts every conversation that ended in the period and
	// the query returned; Kept those the rule keeps.
	Candidates, Kept int
	// Skipped counts the others by reason.
	Skipped map[string]int
	// ByQueue and ByAgent count per queue name and agent e-mail (or id
	// when Genesys has no name or e-mail).
	ByQueue, ByAgent map[string]Count
}

// Preview runs the selection of rule over (from, to] as a first run would
// (no earlier quota counts) and counts the outcome.
func (r *Runner) Preview(ctx context.Context, rule Rule, from, to time.Time) (Preview, error) {
	sel, err := Select(ctx, r.c, rule, from, to, nil)
	if err != nil {
		return Preview{}, err
	}
	pv := Preview{From: from, To: to, Candidates: len(sel.Candidates), Skipped: map[string]int{},
		ByQueue: map[string]Count{}, ByAgent: map[string]Count{}}
	var matched []Candidate
	for _, cd := range sel.Candidates {
		if cd.Skip == "" || cd.Skip == SkipSampling || cd.Skip == SkipAgentQuota || cd.Skip == SkipQueueCap {
			matched = append(matched, cd)
		}
	}
	if err := r.resolve(ctx, matched); err != nil {
		return Preview{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, cd := range sel.Candidates {
		if cd.Skip != "" {
			pv.Skipped[cd.Skip]++
		}
	}
	for _, cd := range matched {
		q, a := r.queues[cd.QueueID].Name, r.users[cd.AgentID].Email
		if q == "" {
			q = cd.QueueID
		}
		if a == "" {
			a = cd.AgentID
		}
		qc, ac := pv.ByQueue[q], pv.ByAgent[a]
		qc.Matched++
		ac.Matched++
		if cd.Skip == "" {
			pv.Kept++
			qc.Kept++
			ac.Kept++
		}
		pv.ByQueue[q], pv.ByAgent[a] = qc, ac
	}
	return pv, nil
}
