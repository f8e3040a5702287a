package trawl

import (
	"errors"
	"fmt"
)

// Error codes. The HTTP layer maps each to one status code, in one place.
const (
	EINVALID      = "invalid"      // the request is well-formed but its values are not acceptable (422)
	EMALFORMED    = "malformed"    // the request body cannot be parsed (400)
	ENOTFOUND     = "not_found"    // no such resource, or not the caller's (404)
	EUNAUTHORIZED = "unauthorized" // missing or unknown API key (401)
	ECONFLICT     = "conflict"     // the resource is in a state that forbids the action (409)
	ETOOLARGE     = "too_large"    // the request body is over the limit (413)
	EINTERNAL     = "internal"     // anything else; its message is never shown to clients (500)
)

// FieldError names one field of a request and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the error type trawl's packages return when the caller should see
// what went wrong. Code decides the HTTP status; Message is safe to show.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
}

// Error implements the error interface.
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("trawl error: code=%s message=%s", e.Code, e.Message)
	}
	return fmt.Sprintf("trawl error: code=%s message=%s fields=%v", e.Code, e.Message, e.Fields)
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, and
// EINTERNAL otherwise. A nil err has no code.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of err if it is (or wraps) an *Error, and a
// generic text otherwise so that internals never reach a client.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// Invalid collects field errors while validating a request. Its zero value is
// ready to use.
type Invalid struct {
	Fields []FieldError
}

// Add records that field is wrong, with a message saying what is allowed.
func (v *Invalid) Add(field, format string, args ...any) {
	v.Fields = append(v.Fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns nil when nothing was added, and otherwise an EINVALID *Error
// whose message repeats the first problem and whose Fields list them all.
func (v *Invalid) Err() error {
	if len(v.Fields) == 0 {
		return nil
	}
	msg := v.Fields[0].Field + ": " + v.Fields[0].Message
	if n := len(v.Fields) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more)", n)
	}
	return &Error{Code: EINVALID, Message: msg, Fields: v.Fields}
}
