package webui_test

import (
	"net/http"
	"slices"
	"strings"
	"sync"
)

// tusReq is one resumable upload request the server received.
type tusReq struct {
	Method, Path, Offset string
	// Status is 0 while the request is being served.
	Status int
}

// tusLog records the requests under /v1/uploads/ and can hold PATCH
// requests back (a slow network) until released.
type tusLog struct {
	mu   sync.Mutex
	reqs []tusReq
	// inFlight counts the requests being served; maxInFlight is its peak.
	inFlight, maxInFlight int
	// hold, when set, is called before a PATCH is served; it may block.
	hold func(r *http.Request)
}

func (l *tusLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v1/uploads") {
			next.ServeHTTP(w, r)
			return
		}
		l.mu.Lock()
		hold := l.hold
		l.mu.Unlock()
		if hold != nil && r.Method == http.MethodPatch {
			hold(r)
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		l.mu.Lock()
		i := len(l.reqs)
		l.reqs = append(l.reqs, tusReq{Method: r.Method, Path: r.URL.Path, Offset: r.Header.Get("Upload-Offset")})
		l.inFlight++
		l.maxInFlight = max(l.maxInFlight, l.inFlight)
		l.mu.Unlock()
		next.ServeHTTP(sw, r)
		l.mu.Lock()
		l.inFlight--
		l.reqs[i].Status = sw.status
		l.mu.Unlock()
	})
}

func (l *tusLog) setHold(f func(r *http.Request)) {
	l.mu.Lock()
	l.hold = f
	l.mu.Unlock()
}

func (l *tusLog) requests() []tusReq {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.reqs)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// peak returns the most requests served at once.
func (l *tusLog) peak() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.maxInFlight
}
