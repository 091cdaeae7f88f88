// Package linkwatch holds the domain of Linkwatch: links, scans, tokens and the
// application error type. It imports no adapter (database, HTTP router, notifier);
// the packages beside it implement or consume what is declared here.
package linkwatch

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to exactly one HTTP status in the api package.
const (
	EBADREQUEST   = "bad_request"  // the request itself is malformed (bad JSON, bad query)
	EINVALID      = "invalid"      // the request is well formed but a value is not acceptable
	ENOTFOUND     = "not_found"    // the addressed thing does not exist
	ECONFLICT     = "conflict"     // the thing already exists
	EUNAUTHORIZED = "unauthorized" // no or wrong credentials
	EFORBIDDEN    = "forbidden"    // credentials lack the scope
	EUNAVAILABLE  = "unavailable"  // a dependency (the database) cannot be reached
	EINTERNAL     = "internal"     // everything else; the message is never shown
)

// Error is the application error: Code and Message are for users, Field names the
// offending input field, and Err is the cause, for operators' logs only.
type Error struct {
	Code    string
	Message string
	Field   string
	Err     error
}

func (e *Error) Error() string {
	s := e.Code
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an application error with a formatted user-facing message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an EINVALID error about one input field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected cause; users see a generic message.
func Internal(err error) *Error {
	return &Error{Code: EINTERNAL, Message: "internal error", Err: err}
}

// ErrorCode returns the code of an application error, EINTERNAL for any other
// error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err; causes of internal errors
// are never exposed.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "internal error"
}

// ErrorField returns the input field an application error is about, if any.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
