// Package httpapi serves trawl's HTTP API: the HasData-compatible Scraper
// Jobs endpoints, the downloads of a job's rows (export.go), health and
// readiness probes, and the OpenAPI 3.1 document that describes them.
//
// New returns an http.Handler built on the standard library's ServeMux and
// huma (through its humago adapter). routes.go lists the whole API surface.
// Every error, whether a handler, huma's own request validation, the router
// (404, 405) or a recovered panic produced it, is written as
//
//	{"message": "...", "errors": [{"field": "...", "message": "..."}]}
//
// with Content-Type application/json; trawl error codes become HTTP statuses
// in one function, statusOf.
//
// The package keeps no global state: it does not replace huma.NewError, but
// rewrites huma's error model into trawl's shape with a per-API transformer,
// so several handlers (for example in parallel tests) never interfere.
package httpapi
