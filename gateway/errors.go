package gateway

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an error. Each HTTP surface maps codes to its own status and envelope in
// one place, so handlers only ever decide *what* went wrong, never how it is rendered.
type Code string

const (
	CodeInvalid         Code = "invalid"         // malformed or semantically wrong input (400)
	CodeUnprocessable   Code = "unprocessable"   // schema violation on a query payload (MLflow 422)
	CodeUnauthenticated Code = "unauthenticated" // missing or unknown credential (401)
	CodeForbidden       Code = "forbidden"       // authenticated but not allowed (403)
	CodeNotFound        Code = "not_found"       // no such resource (404)
	CodeConflict        Code = "conflict"        // uniqueness violation (Domino answers 400)
	CodeTooLarge        Code = "too_large"       // request body over the limit (413)
	CodeRateLimited     Code = "rate_limited"    // over a limit (429, with RetryAfter)
	CodeUpstream        Code = "upstream"        // provider failed or answered garbage (502)
	CodeTimeout         Code = "timeout"         // provider did not answer in time (504)
	CodeUnavailable     Code = "unavailable"     // a dependency of ours is down (503)
	CodeInternal        Code = "internal"        // our bug; message is generic (500)
)

// Error is the one error type that crosses package boundaries towards a surface. Message is
// safe to show to the caller: it never contains credentials, config values or internal detail.
// Err, when set, carries the underlying cause for logs only.
type Error struct {
	Code    Code
	Message string
	// Field names the offending input field, when there is one (MLflow's 422 "loc").
	Field string
	// RetryAfter is set on rate-limit errors (and passed-through upstream 429s).
	RetryAfter time.Duration
	// Status, when non-zero, is an exact HTTP status a surface should use (e.g. an upstream 404
	// relayed as 400 keeps Code=invalid but may want to preserve nothing else). Optional.
	Status int
	Err    error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with a safe, formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap attaches a safe message and code to a cause that must not be shown to callers.
func Wrap(code Code, err error, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// ErrorCode returns the code of err, CodeInternal for errors that are not *Error.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the caller-safe message of err; unknown errors get a generic text so
// internal detail never leaks.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// AsError returns err as *Error, wrapping unknown errors as internal.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Message: "internal error", Err: err}
}

// Sentinel-style constructors used by stores so callers can test with ErrorCode.
var (
	ErrNotFound = &Error{Code: CodeNotFound, Message: "not found"}
	// ErrLastAdmin refuses unmaking or deactivating the last active administrator: nobody
	// could then manage the gateway over HTTP. Stores check it in the change's transaction.
	ErrLastAdmin = &Error{Code: CodeInvalid, Message: "the last active administrator must stay one"}
)
