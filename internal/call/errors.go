package call

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies a domain error; each front end maps codes to its protocol
// in exactly one function.
type Code string

// The error codes.
const (
	CodeInvalid         Code = "invalid"         // a field breaks a rule (HTTP 422)
	CodeMalformed       Code = "malformed"       // the request itself cannot be read (400)
	CodeNotFound        Code = "not_found"       // unknown, or another organisation's (404)
	CodeConflict        Code = "conflict"        // e.g. same external_id, other content (409)
	CodeNotAudio        Code = "not_audio"       // bytes are not a supported recording (415)
	CodeTooLarge        Code = "too_large"       // beyond the configured size (413)
	CodeUnauthenticated Code = "unauthenticated" // no or bad credentials (401)
	CodeForbidden       Code = "forbidden"       // authenticated, missing scope or role (403)
	CodeRateLimited     Code = "rate_limited"    // too many requests (429)
	CodeUnavailable     Code = "unavailable"     // a dependency is down (503)
	CodeInternal        Code = "internal"        // anything else (500)
)

// FieldError names one offending field and the rule it breaks.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Error is a domain error safe to show to a client: Message never holds
// internal text.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	// Err is the cause, logged but never shown.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Reason)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with code and a client-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, CodeInternal when err is not an *Error.
func ErrorCode(err error) Code {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the client-safe message of err.
func ErrorMessage(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Message
	}
	return "internal error"
}

// PublicReason is the text a sender may read about a refusal: the message
// (or the code) and each field's rule, never the cause.
func (e *Error) PublicReason() string {
	msg := e.Message
	if msg == "" {
		msg = string(e.Code)
	}
	for _, f := range e.Fields {
		msg += "; " + f.Field + " " + f.Reason
	}
	return msg
}
