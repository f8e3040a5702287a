// Package client speaks trawl's public HTTP API: the scraper job endpoints,
// the exports, the account and the server-sent event stream GET /events.
// It is what the `trawl` command's client commands (run, jobs, listen, …)
// are built on, and it imports nothing of the server: only the documented
// JSON travels between them, so a client built from one version of trawl
// works against another over HTTP or HTTPS.
//
// A Client is safe for concurrent use. Errors answered by the server come
// back as *Error, decoded from trawl's error shape
// {"message": …, "errors": [{"field": …, "message": …}]}.
package client
