package httpapi

import (
	"net/http"
	"strings"
	"time"
)

// Observer is told of every request the API answers, for the metrics;
// *metrics.Metrics implements it. HTTPRequest is called from the request's
// goroutine once its handler has returned: it must be safe for concurrent
// use and quick.
type Observer interface {
	// HTTPRequest reports one answered request. route is the pattern of
	// the route that served it, without the method (for example
	// "/scrapers/jobs/{id}"), or RouteUnmatched; method is a standard
	// method or "OTHER"; status is the status sent; d runs from the request
	// reaching the API to its handler returning (a streamed body is
	// included).
	HTTPRequest(route, method string, status int, d time.Duration)
}

// RouteUnmatched is the route of a request no route served: an unknown
// path, a method the path does not have, a path that is not clean.
const RouteUnmatched = "unmatched"

// observedRoute is the route label of r once the mux has served it: the
// pattern the mux matched without its method. It never allocates.
func observedRoute(r *http.Request) string {
	p := r.Pattern
	if p == "" {
		return RouteUnmatched
	}
	if i := strings.IndexByte(p, ' '); i >= 0 {
		p = p[i+1:]
	}
	return p
}

// observedMethod bounds the method label: any method outside the standard
// ones is "OTHER", as a client may send anything.
func observedMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}
