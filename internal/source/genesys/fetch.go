package genesys

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/ingest"
)

// job is one conversation to fetch: from a batch result when there is one,
// else through the recordings list.
type job struct {
	cd          Candidate
	url, ctype  string
	batchFailed string
}

// process fetches and imports kept (through batch requests, one batch of
// up to 100 at a time so that result URLs are used while fresh) and parked
// (through the recordings list); results are in that order.
func (r *Runner) process(ctx context.Context, rule Rule, kept []Candidate, parked []Parked) []result {
	results := make([]result, 0, len(kept)+len(parked))
	for lo := 0; lo < len(kept); lo += 100 {
		chunk := kept[lo:min(lo+100, len(kept))]
		found, err := r.batch(ctx, chunk)
		if err != nil {
			r.log.WarnContext(ctx, "genesys batch request failed; using the recordings list", "error", err.Error())
		}
		jobs := make([]job, 0, len(chunk))
		for _, cd := range chunk {
			j := job{cd: cd}
			if res, ok := found[cd.ConversationID]; ok && res.ResultURL != "" {
				j.url, j.ctype = res.ResultURL, res.ContentType
			} else if ok {
				j.batchFailed = res.ErrorMsg
			}
			jobs = append(jobs, j)
		}
		results = append(results, r.pool(ctx, rule, jobs)...)
	}
	jobs := make([]job, 0, len(parked))
	for _, p := range parked {
		jobs = append(jobs, job{cd: p.Candidate})
	}
	return append(results, r.pool(ctx, rule, jobs)...)
}

// pool runs fetch over jobs with the configured number of workers.
func (r *Runner) pool(ctx context.Context, rule Rule, jobs []job) []result {
	results := make([]result, len(jobs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(r.cfg.Workers, len(jobs)) {
		wg.Go(func() {
			for i := range next {
				results[i] = r.fetch(ctx, rule, jobs[i])
			}
		})
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// batch submits one batch request for cds and polls it to completion; it
// returns the first result with a URL (else the first result) per
// conversation.
func (r *Runner) batch(ctx context.Context, cds []Candidate) (map[string]BatchResult, error) {
	items := make([]BatchItem, len(cds))
	for i, cd := range cds {
		items[i] = BatchItem{ConversationID: cd.ConversationID}
	}
	id, err := r.c.SubmitBatch(ctx, items)
	if err != nil {
		return nil, err
	}
	for poll := 0; poll < r.cfg.MaxPolls; poll++ {
		if err := sleep(ctx, r.cfg.PollInterval); err != nil {
			return nil, err
		}
		st, err := r.c.Batch(ctx, id)
		if err != nil {
			return nil, err
		}
		if st.Status != "Completed" {
			continue
		}
		out := map[string]BatchResult{}
		for _, res := range st.Results {
			if prev, ok := out[res.ConversationID]; !ok || (prev.ResultURL == "" && res.ResultURL != "") {
				out[res.ConversationID] = res
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("batch request %s not completed after %d polls", id, r.cfg.MaxPolls)
}

// fetch downloads and imports one conversation's recording.
func (r *Runner) fetch(ctx context.Context, rule Rule, j job) result {
	if ctx.Err() != nil {
		return result{out: outTransient, reason: "interrupted", err: ctx.Err()}
	}
	if j.url != "" {
		res := r.importURL(ctx, rule, j.cd, j.url, j.ctype)
		var ae *APIError
		if res.out != outTransient || !errors.As(res.err, &ae) || ae.Code != "download" {
			return res
		}
		// The result URL was refused (expired?): ask again below.
	}
	recs, err := r.c.Recordings(ctx, j.cd.ConversationID, "WAV")
	if errors.Is(err, ErrNotReady) {
		return result{out: outParked, reason: "recording not ready (transcoding)"}
	}
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && (ae.Status == 404 || ae.Status == 403) {
			return result{out: outFailed, reason: fmt.Sprintf("recordings: %d %s", ae.Status, ae.Code)}
		}
		return result{out: outTransient, reason: "recordings request failed", err: err}
	}
	gone, pending := "", false
	for _, rec := range recs {
		if rec.Media != "" && rec.Media != "audio" {
			continue
		}
		switch rec.FileState {
		case "AVAILABLE":
			for _, k := range sortedKeys(rec.MediaURIs) {
				if u := rec.MediaURIs[k].MediaURI; u != "" {
					return r.importURL(ctx, rule, j.cd, u, "")
				}
			}
			pending = true
		case "ARCHIVED", "DELETED", "ERROR":
			gone = "recording " + rec.FileState
		default:
			pending = true
		}
	}
	switch {
	case pending:
		return result{out: outParked, reason: "recording not available yet"}
	case gone != "":
		return result{out: outFailed, reason: gone}
	case j.batchFailed != "":
		return result{out: outFailed, reason: j.batchFailed}
	}
	return result{out: outFailed, reason: "no audio recording"}
}

// importURL downloads mediaURL and imports it.
func (r *Runner) importURL(ctx context.Context, rule Rule, cd Candidate, mediaURL, ctype string) result {
	env, err := r.envelope(rule, cd)
	if err != nil {
		return result{out: outFailed, reason: err.Error()}
	}
	body, gotType, err := r.c.Download(ctx, mediaURL)
	if err != nil {
		return result{out: outTransient, reason: "download failed", err: err}
	}
	defer body.Close()
	if ctype == "" {
		ctype = gotType
	}
	started := time.Now()
	res, err := r.in.Ingest(ctx, ingest.Request{OrgID: r.cfg.OrgID, Envelope: env, Source: call.SourceGenesys,
		FileName: cd.ConversationID + extension(ctype, mediaURL), Body: io.LimitReader(body, 8<<30)})
	if err != nil {
		var ce *call.Error
		if errors.As(err, &ce) && ce.Code != call.CodeUnavailable && ce.Code != call.CodeMalformed {
			return result{out: outFailed, reason: ce.Message}
		}
		return result{out: outTransient, reason: "import failed", err: err}
	}
	r.log.DebugContext(ctx, "genesys conversation imported", "conversation_id", cd.ConversationID,
		"call_id", res.Call.ID, "duplicate", res.Duplicate, "took", time.Since(started).String())
	if res.Duplicate {
		return result{out: outDuplicate}
	}
	return result{out: outImported}
}
