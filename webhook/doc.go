// Package webhook owns the whole life of trawl's job events: building them
// when the jobs service reports what happened, storing them in the outbox in
// the same transaction, ordering them, delivering them to subscribers' HTTP
// endpoints, recording every attempt, retrying, redelivering on request, and
// the delivery log.
//
//   - [Service] is told JobStarted, RowsStored and JobEnded inside the jobs
//     service's transactions. It batches rows into data events, writes the
//     finished event once, and holds events back so that, per job, the
//     started event goes first, the finished event last, and an ordered
//     webhook gets one event at a time. Its River workers make one HTTP
//     attempt per job and record it, with what follows from it, in one
//     transaction.
//   - [Sender] POSTs one [Message] once and classifies the outcome into a [Result]
//     (status, error class, duration, a bounded response excerpt, Retry-After, 410 Gone).
//     It never follows redirects: a 3xx is a failed attempt.
//   - [Sign] implements Standard Webhooks v1 signatures
//     (HMAC-SHA256 over "id.timestamp.body", keyed by a "whsec_" secret), so
//     receivers can verify deliveries with any Standard Webhooks library.
//   - [Schedule] is the retry schedule: the delays before attempts 2, 3, …,
//     with ±20% jitter.
//
// Outbound connections must go through trawl's guarded client (see
// DESIGN.md §6): the Sender uses whatever *http.Client it is given and never
// http.DefaultClient.
package webhook
