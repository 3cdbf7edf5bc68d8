package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/callimport/callimport/internal/admission"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/store"
)

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Detail    string            `json:"detail,omitempty"`
	Instance  string            `json:"instance,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
	Errors    []call.FieldError `json:"errors,omitempty"`
}

// statusOf maps a domain error code to its HTTP status. It is the only
// place where that mapping lives.
func statusOf(code call.Code) int {
	switch code {
	case call.CodeInvalid:
		return http.StatusUnprocessableEntity
	case call.CodeMalformed:
		return http.StatusBadRequest
	case call.CodeNotFound:
		return http.StatusNotFound
	case call.CodeConflict:
		return http.StatusConflict
	case call.CodeNotAudio:
		return http.StatusUnsupportedMediaType
	case call.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case call.CodeUnauthenticated:
		return http.StatusUnauthorized
	case call.CodeForbidden:
		return http.StatusForbidden
	case call.CodeRateLimited:
		return http.StatusTooManyRequests
	case call.CodeUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// writeError answers err as problem+json. Internal text is logged here,
// once, and never sent.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	err = domainError(err)
	code := call.ErrorCode(err)
	status := statusOf(code)
	p := Problem{
		Type:      "https://callimport.dev/problems/" + string(code),
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    call.ErrorMessage(err),
		RequestID: requestID(r.Context()),
	}
	if e, ok := errors.AsType[*call.Error](err); ok {
		p.Errors = e.Fields
	}
	log := s.log.With("request_id", p.RequestID, "status", status)
	switch {
	case status >= 500:
		log.ErrorContext(r.Context(), "request failed", "error", err)
	case errors.Unwrap(err) != nil:
		log.InfoContext(r.Context(), "request refused", "code", string(code), "cause", errors.Unwrap(err).Error())
	}
	switch status {
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "5")
	case http.StatusTooManyRequests:
		after, ok := admission.RetryAfter(err)
		if !ok {
			after = time.Second
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(after.Seconds()))))
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="callimport"`)
	}
	writeProblem(w, p)
}

// domainError turns the store's sentinel for an unreachable database into
// CodeUnavailable (503 with Retry-After), wherever the error came from.
func domainError(err error) error {
	if call.ErrorCode(err) == call.CodeInternal && errors.Is(err, store.ErrUnavailable) {
		return &call.Error{Code: call.CodeUnavailable, Message: "the database is unavailable, try again later", Err: err}
	}
	return err
}

// closeUnread asks the server to close the connection after the answer
// when r's body may not have been read, so that the client stops sending
// it instead of being left writing.
func closeUnread(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
	}
}

func writeProblem(w http.ResponseWriter, p Problem) {
	b := mustJSON(p)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(p.Status)
	_, _ = w.Write(b)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // our own types always marshal
	}
	return b
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b := mustJSON(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func logDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }
