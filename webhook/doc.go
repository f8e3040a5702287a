// Package webhook delivers trawl's job events to subscribers' HTTP endpoints.
//
// This part of the package holds the pieces that do not touch the database:
//
//   - [Sender] POSTs one [Message] once and classifies the outcome into a [Result]
//     (status, error class, duration, a bounded response excerpt, Retry-After, 410 Gone).
//     It never follows redirects: a 3xx is a failed attempt.
//   - [Sign] implements Standard Webhooks v1 signatures
//     (HMAC-SHA256 over "id.timestamp.body", keyed by a "whsec_" secret), so
//     receivers can verify deliveries with any Standard Webhooks library.
//   - [Schedule] is the retry schedule: the delays before attempts 2, 3, …,
//     with ±20% jitter.
//
// Deciding whether to retry, recording attempts and building payloads are the
// delivery worker's job; the Sender only reports what happened. Outbound
// connections must go through trawl's guarded client (see DESIGN.md §6): the
// Sender uses whatever *http.Client it is given and never http.DefaultClient.
package webhook
