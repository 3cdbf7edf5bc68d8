package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// client is the load generator: one keep-alive transport shared by every
// request, no proxy, no compression.
type client struct{ hc *http.Client }

func newClient() *client {
	return &client{hc: &http.Client{Transport: &http.Transport{
		MaxIdleConns: 256, MaxIdleConnsPerHost: 128, DisableCompression: true, IdleConnTimeout: time.Minute,
	}}}
}

// post sends body (n bytes, or -1 to let the client find out) and decodes
// a 2xx JSON answer into out. Any other status is an error with the answer.
func (c *client) post(ctx context.Context, u, ctype, key string, body io.Reader, n int64, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, body)
	if err != nil {
		return 0, err
	}
	if n >= 0 {
		req.ContentLength = n
	}
	req.Header.Set("Content-Type", ctype)
	if key != "" {
		req.Header.Set("X-Api-Key", key)
	}
	return c.do(req, out)
}

func (c *client) do(req *http.Request, out any) (int, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: read answer: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode answer: %w", req.Method, req.URL.Path, err)
		}
	}
	return resp.StatusCode, nil
}

// callInfo is the part of callimport's call JSON the benchmarks read.
type callInfo struct {
	ID              string     `json:"id"`
	Status          string     `json:"status"`
	SHA256          string     `json:"sha256"`
	SizeBytes       int64      `json:"size_bytes"`
	Duplicate       bool       `json:"duplicate"`
	RejectionReason *string    `json:"rejection_reason"`
	CreatedAt       time.Time  `json:"created_at"`
	ImportedAt      *time.Time `json:"imported_at"`
}

func (c callInfo) final() bool { return c.Status == "imported" || c.Status == "rejected" }

func (c *client) get(ctx context.Context, tg target, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, tg.URL+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-Api-Key", tg.Key)
	_, err = c.do(req, out)
	return err
}

// deleteCalls deletes the calls with ids (8 at a time), which also removes
// their audio: the benchmarks free what callimport stored after each run,
// as the baseline's files are removed, so that neither side's next run
// pays for fresh page-cache pages more than the other's (allocating pages
// not recently freed costs several times more kernel time on this VM).
func (c *client) deleteCalls(ctx context.Context, tg target, ids ...string) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, 8)
	)
	for _, id := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			req, err := http.NewRequestWithContext(ctx, http.MethodDelete, tg.URL+"/v1/calls/"+id, nil)
			if err == nil {
				req.Header.Set("X-Api-Key", tg.Key)
				_, err = c.do(req, nil)
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// listCalls reads every call of campaign, 500 per page.
func (c *client) listCalls(ctx context.Context, tg target, campaign string) ([]callInfo, error) {
	var all []callInfo
	cursor := ""
	for {
		q := url.Values{"campaign_id": {campaign}, "limit": {"500"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Data       []callInfo `json:"data"`
			NextCursor *string    `json:"next_cursor"`
		}
		if err := c.get(ctx, tg, "/v1/calls?"+q.Encode(), &page); err != nil {
			return nil, err
		}
		all = append(all, page.Data...)
		if page.NextCursor == nil || *page.NextCursor == "" {
			return all, nil
		}
		cursor = *page.NextCursor
	}
}

// waitCalls polls campaign until want calls exist and all are imported or
// rejected, or timeout passes.
func (c *client) waitCalls(ctx context.Context, tg target, campaign string, want int, timeout time.Duration) ([]callInfo, error) {
	deadline := time.Now().Add(timeout)
	for {
		calls, err := c.listCalls(ctx, tg, campaign)
		if err != nil {
			return nil, err
		}
		pending := want - len(calls)
		for _, cl := range calls {
			if !cl.final() {
				pending++
			}
		}
		if pending <= 0 {
			return calls, nil
		}
		if time.Now().After(deadline) {
			return calls, fmt.Errorf("%d of %d calls not imported after %s", pending, want, timeout)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// waitCall polls one call until it is imported or rejected.
func (c *client) waitCall(ctx context.Context, tg target, id string, timeout time.Duration) (callInfo, error) {
	deadline := time.Now().Add(timeout)
	for {
		var ci callInfo
		if err := c.get(ctx, tg, "/v1/calls/"+id, &ci); err != nil {
			return ci, err
		}
		if ci.final() {
			return ci, nil
		}
		if time.Now().After(deadline) {
			return ci, fmt.Errorf("call %s still %s after %s", id, ci.Status, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// loadResult is the outcome of a bounded load run.
type loadResult struct {
	Done, Errors int
	Elapsed      time.Duration   // start to the last answer
	Latency      []time.Duration // per acknowledged request
	CPU          time.Duration   // of this process (client and in-process servers)
	FirstErr     error
}

// PerSecond is acknowledged requests per second.
func (r loadResult) PerSecond() float64 { return float64(r.Done) / r.Elapsed.Seconds() }

// runLoad runs conc workers that call do until n calls were started or
// maxDur passed. do gets the worker number and a sequence number unique
// within the run.
func runLoad(ctx context.Context, n, conc int, maxDur time.Duration, do func(ctx context.Context, worker int, seq uint64) error) loadResult {
	var (
		next  atomic.Int64
		mu    sync.Mutex
		res   loadResult
		wg    sync.WaitGroup
		start = time.Now()
		cpu0  = cpuTime()
	)
	stop := start.Add(maxDur)
	for w := range conc {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(n) || time.Now().After(stop) {
					return
				}
				t0 := time.Now()
				err := do(ctx, w, uint64(i))
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					res.Errors++
					if res.FirstErr == nil {
						res.FirstErr = err
					}
				} else {
					res.Done++
					res.Latency = append(res.Latency, d)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.CPU = cpuTime() - cpu0
	return res
}

// noWriterTo hides every method of r but Read, so that the HTTP client
// copies every body the same way.
func noWriterTo(r io.Reader) io.Reader { return struct{ io.Reader }{r} }

// ms formats a duration in milliseconds for reports.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// must fails tb on err.
func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
