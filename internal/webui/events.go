package webui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// heartbeatEvery is how often an idle event stream sends a comment, so that
// proxies keep it open and a vanished client is noticed.
const heartbeatEvery = 15 * time.Second

// maxEventCalls bounds the calls one look of an event stream reads.
const maxEventCalls = 5 * store.MaxCallListLimit

// events streams, as Server-Sent Events, the outcome of every call of the
// campaign created at or after the query's since (Unix milliseconds; the
// import page sends the time it was loaded, less a margin): one "outcome"
// event per call once it is imported or rejected, with its duration or
// rejection reason. Each connection looks at the store every EventsEvery
// on its own: no state is shared between requests or processes, so any
// process can serve any page, at the price of one indexed query per look.
// The stream ends when the client goes away or Config.Done is closed; an
// EventSource reconnects to
// the same URL and receives the finished calls again (the page ignores those
// it has shown).
func (h *handler) events(w http.ResponseWriter, r *http.Request, v viewer) {
	camp, err := h.campaignOf(r, v)
	if err != nil {
		status, o := problem(v.T, err)
		writeJSON(w, status, o)
		return
	}
	ms, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
	since := time.UnixMilli(ms)
	if ms <= 0 || h.cfg.Now().Sub(since) > 24*time.Hour {
		since = h.cfg.Now().Add(-time.Minute)
	}
	rc := http.NewResponseController(w)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return
	}
	_ = rc.Flush()
	sent := map[string]bool{}
	look := time.NewTicker(h.cfg.EventsEvery)
	defer look.Stop()
	beat := time.NewTicker(heartbeatEvery)
	defer beat.Stop()
	for {
		calls, err := h.finishedSince(r, v.User.OrgID, camp.ID, since)
		if err != nil {
			h.log.WarnContext(r.Context(), "event stream look failed", "error", err)
		}
		for _, c := range calls {
			if sent[c.ID] {
				continue
			}
			sent[c.ID] = true
			b, err := json.Marshal(outcomeOf(v.T, c, false))
			if err != nil {
				return
			}
			if _, err := fmt.Fprintf(w, "event: outcome\ndata: %s\n\n", b); err != nil {
				return
			}
		}
		if len(calls) > 0 {
			_ = rc.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-h.cfg.Done:
			return
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-look.C:
		}
	}
}

// finishedSince returns the campaign's calls created at or after since that
// are imported or rejected, oldest pages last.
func (h *handler) finishedSince(r *http.Request, orgID, campaignID string, since time.Time) ([]call.Call, error) {
	var out []call.Call
	p := store.CallListParams{OrgID: orgID, CampaignID: campaignID, CreatedAfter: &since, Limit: store.MaxCallListLimit}
	for n := 0; n < maxEventCalls; n += store.MaxCallListLimit {
		calls, next, err := h.cfg.Store.CallList(r.Context(), p)
		if err != nil {
			return out, fmt.Errorf("list calls: %w", err)
		}
		for _, c := range calls {
			if c.Status == call.StatusImported || c.Status == call.StatusRejected {
				out = append(out, c)
			}
		}
		if next == "" {
			break
		}
		p.Cursor = next
	}
	return out, nil
}
