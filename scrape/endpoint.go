package scrape

import (
	"context"
	"errors"
	"fmt"
	"net/url"
)

// Endpoint is one synchronous scrape endpoint (GET /scrape/…): the answer
// comes in the response, not through a job. Scrapers that have one describe
// it here; the HTTP API registers each, documents its parameters, adds
// requestMetadata to its body and maps its errors to statuses.
type Endpoint struct {
	// Path is the route, "/scrape/google-maps/search".
	Path        string
	Summary     string
	Description string
	Params      []EndpointParam
	// Do answers one call with the request's query parameters. Its errors:
	// an EINVALID *trawl.Error is a 422 naming the fields; an error that
	// wraps ErrUnresolved is a 400 whose requestMetadata.status is "error"
	// (the target does not exist); any other error is a 502 (the target
	// could not be scraped now).
	Do func(ctx context.Context, query url.Values) (*EndpointResult, error)
}

// EndpointParam documents one query parameter of an Endpoint.
type EndpointParam struct {
	Name        string
	Type        string // "string", "integer" or "boolean"
	Description string
	Required    bool
	Enum        []string
}

// EndpointResult is a successful answer.
type EndpointResult struct {
	// Body is marshalled as the response's JSON object, after
	// requestMetadata; it must marshal to an object.
	Body any
	// Credits counts the successful outbound fetches the call made, as a
	// job's creditsSpent does.
	Credits int64
}

// ErrUnresolved marks a synchronous call whose target does not resolve: an
// unknown place id, a shop that is not a Shopify store.
var ErrUnresolved = errors.New("the target does not resolve")

// Unresolved returns an error wrapping ErrUnresolved whose text is the
// sentence the client sees.
func Unresolved(format string, args ...any) error {
	return &unresolvedError{msg: fmt.Sprintf(format, args...)}
}

type unresolvedError struct{ msg string }

func (e *unresolvedError) Error() string { return e.msg }
func (e *unresolvedError) Unwrap() error { return ErrUnresolved }
