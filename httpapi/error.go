package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
	"github.com/trawlhq/trawl"
)

// internalMessage is all a client learns of an internal error.
const internalMessage = "Internal error."

// errorBody is the JSON of every error response, whatever produced it. It is
// a huma.StatusError, so a handler returns it as its error.
type errorBody struct {
	status  int
	Message string             `json:"message" doc:"What went wrong; safe to show."`
	Errors  []trawl.FieldError `json:"errors,omitempty" doc:"One entry per invalid field, on 422."`
}

func (e *errorBody) Error() string  { return e.Message }
func (e *errorBody) GetStatus() int { return e.status }

// statusOf is the one place a trawl error code becomes an HTTP status.
func statusOf(code string) int {
	switch code {
	case trawl.EMALFORMED:
		return http.StatusBadRequest
	case trawl.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case trawl.ENOTFOUND:
		return http.StatusNotFound
	case trawl.ECONFLICT:
		return http.StatusConflict
	case trawl.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case trawl.EINVALID:
		return http.StatusUnprocessableEntity
	default:
		return http.StatusInternalServerError
	}
}

// errorFor turns err into what the client sees. An internal error (any error
// that is not a *trawl.Error, or one with code EINTERNAL) is logged here with
// its text and shown only as "Internal error.".
func (s *server) errorFor(ctx context.Context, err error) *errorBody {
	status := statusOf(trawl.ErrorCode(err))
	if status == http.StatusInternalServerError {
		s.logInternal(ctx, err)
		return &errorBody{status: status, Message: internalMessage}
	}
	var te *trawl.Error
	errors.As(err, &te) // a code other than EINTERNAL means err is a *trawl.Error
	return &errorBody{status: status, Message: te.Message, Errors: te.Fields}
}

func (s *server) logInternal(ctx context.Context, err error) {
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		s.log.InfoContext(ctx, "request canceled", "request_id", requestID(ctx), "err", err)
		return
	}
	s.log.ErrorContext(ctx, "internal error", "request_id", requestID(ctx), "err", err)
}

// writeError writes e outside huma (router fallbacks, panics, middleware).
func writeError(w http.ResponseWriter, e *errorBody) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Del("Content-Length")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(e)
}

// writeHumaError writes e from a huma middleware.
func writeHumaError(ctx huma.Context, e *errorBody) {
	ctx.SetHeader("Content-Type", "application/json")
	ctx.SetStatus(e.status)
	_ = json.NewEncoder(ctx.BodyWriter()).Encode(e)
}

// rewriteError is a huma transformer: it turns huma's own error model
// (request validation, body limits, unexpected handler errors) into
// trawl's error shape, so clients see one shape whoever produced the error.
// Every other response passes through untouched.
func (s *server) rewriteError(ctx huma.Context, _ string, v any) (any, error) {
	m, ok := v.(*huma.ErrorModel)
	if !ok {
		return v, nil
	}
	ctx.SetHeader("Content-Type", "application/json") // not huma's application/problem+json
	return s.fromHuma(ctx, m), nil
}

func (s *server) fromHuma(ctx huma.Context, m *huma.ErrorModel) *errorBody {
	switch {
	case m.Status >= http.StatusInternalServerError:
		details := make([]string, 0, len(m.Errors))
		for _, d := range m.Errors {
			if d != nil {
				details = append(details, d.Error())
			}
		}
		s.logInternal(ctx.Context(), fmt.Errorf("huma: %d %s: %s", m.Status, m.Detail, strings.Join(details, "; ")))
		return &errorBody{status: m.Status, Message: internalMessage}
	case m.Status == http.StatusRequestEntityTooLarge:
		return &errorBody{status: m.Status, Message: fmt.Sprintf("The request body is larger than the limit of %d bytes.", s.maxBody)}
	case m.Status == http.StatusUnprocessableEntity && len(m.Errors) > 0:
		var inv trawl.Invalid
		for _, d := range m.Errors {
			if d != nil {
				field, msg := fieldError(ctx.Operation(), d)
				inv.Add(field, "%s", msg)
			}
		}
		var te *trawl.Error
		errors.As(inv.Err(), &te)
		return &errorBody{status: m.Status, Message: te.Message, Errors: te.Fields}
	default:
		msg := m.Detail
		if msg == "" {
			msg = http.StatusText(m.Status)
		}
		return &errorBody{status: m.Status, Message: sentence(msg)}
	}
}

// fieldError names the field of a huma validation error without its
// location prefix ("query.limit" → "limit") and, for a parameter, says what
// its schema allows instead of huma's terser text.
func fieldError(op *huma.Operation, d *huma.ErrorDetail) (field, msg string) {
	loc, name, ok := strings.Cut(d.Location, ".")
	if !ok {
		return d.Location, d.Message
	}
	if op != nil && loc != "body" {
		for _, p := range op.Parameters {
			if p.In == loc && p.Name == name && p.Schema != nil {
				if allowed := allowedText(p.Schema); allowed != "" {
					return name, allowed
				}
			}
		}
	}
	return name, d.Message
}

// allowedText describes the values a parameter schema accepts, or returns ""
// when there is nothing better to say than huma's own message.
func allowedText(s *huma.Schema) string {
	num := func(f *float64) string { return fmt.Sprintf("%g", *f) }
	switch {
	case len(s.Enum) > 0:
		vals := make([]string, len(s.Enum))
		for i, v := range s.Enum {
			vals[i] = fmt.Sprint(v)
		}
		return "must be one of: " + strings.Join(vals, ", ")
	case s.Type != huma.TypeInteger:
		return ""
	case s.Minimum != nil && s.Maximum != nil:
		return fmt.Sprintf("must be a whole number from %s to %s", num(s.Minimum), num(s.Maximum))
	case s.Minimum != nil:
		return fmt.Sprintf("must be a whole number of at least %s", num(s.Minimum))
	default:
		return "must be a whole number"
	}
}

// sentence capitalises msg and ends it with a full stop.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	r, n := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[n:]
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "?") && !strings.HasSuffix(msg, "!") {
		msg += "."
	}
	return msg
}

// errorSchema is errorBody's schema in the API's registry.
func errorSchema(api huma.API) *huma.Schema {
	return api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[errorBody](), true, "Error")
}
