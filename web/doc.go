// Package web is trawl's web console: pages for an account's jobs, their
// rows and webhook deliveries, a form to start a job, and the account's
// signing secret and API keys. It also serves GET /events, the stream of an
// account's changes (server-sent events) that the console's pages and any
// other client can follow.
//
// Pages are rendered on the server with html/template from files embedded in
// the binary; a small script of its own (no library, nothing fetched at run
// time) turns times into the viewer's zone and applies the stream's changes.
// A person signs in with an API key, which is exchanged for a session cookie.
//
// The console reaches trawl's data only through the same services the HTTP
// API uses (creating and stopping jobs, redelivering events, rotating the
// secret) and the store's read methods, through the small interfaces
// declared in web.go.
package web
