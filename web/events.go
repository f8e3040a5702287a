package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trawlhq/trawl"
)

// The kinds of message GET /events sends.
const (
	KindJob      = "job"      // a job changed: its record, as GET /scrapers/jobs/{id} writes it
	KindDelivery = "delivery" // a delivery attempt was made: as the delivery log lists it, with jobId
	KindWebhook  = "webhook"  // a webhook event was created: its webhook-id, type, job and exact body
)

// Kinds lists the message kinds, in the order a poll sends them.
func Kinds() []string { return []string{KindJob, KindDelivery, KindWebhook} }

const (
	// lookback is how far behind its cursor a stream reads again, so that a
	// change whose transaction began earlier but committed later (another
	// node, a slow commit) is still sent. A stream remembers what it sent
	// within the window and never sends it twice.
	lookback = 10 * time.Second
	// pollLimit caps the rows one query of a poll reads.
	pollLimit = 500
	// retryMillis is the reconnection delay the stream suggests.
	retryMillis = 2000
)

// WebhookMessage is the data of a "webhook" message: everything needed to
// make the delivery again elsewhere (trawl listen posts Body with the
// webhook-id ID).
type WebhookMessage struct {
	ID        string `json:"id"`   // the webhook-id header
	Seq       int64  `json:"seq"`  // the event's number, increasing in the order events were stored
	Type      string `json:"type"` // the event, e.g. scraper.job.finished
	JobID     int64  `json:"jobId"`
	CreatedAt string `json:"createdAt"`
	// Body is the exact JSON body a delivery carries, as a string so that
	// not a byte changes on the way.
	Body string `json:"body"`
}

// cursor is a stream's position: for each kind, the time (Unix
// microseconds, the database's clock) of the newest change it covers. Its
// text form is the SSE id of every message: "1.<jobs>.<deliveries>.<webhooks>".
type cursor struct{ jobs, attempts, events int64 }

func (c cursor) String() string {
	return fmt.Sprintf("1.%d.%d.%d", c.jobs, c.attempts, c.events)
}

// cursorAt is the position of a stream that starts at t.
func cursorAt(t time.Time) cursor {
	us := t.UnixMicro()
	return cursor{us, us, us}
}

func parseCursor(s string) (cursor, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 || parts[0] != "1" {
		return cursor{}, false
	}
	var v [3]int64
	for i, p := range parts[1:] {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || n < 0 {
			return cursor{}, false
		}
		v[i] = n
	}
	return cursor{v[0], v[1], v[2]}, true
}

// streamQuery is a stream's parsed request.
type streamQuery struct {
	accountID int64
	jobID     int64 // 0 = every job
	kinds     []string
	from      cursor
}

// events serves GET /events: the account's changes as server-sent events.
// It authenticates by API key (x-api-key or a bearer token) or by the
// console's session cookie.
func (w *Console) events(rw http.ResponseWriter, r *http.Request) {
	q, status, body := w.parseStream(r)
	if status != 0 {
		if status == http.StatusUnauthorized {
			rw.Header().Set("WWW-Authenticate", `Bearer realm="trawl"`)
		}
		writeJSONError(rw, status, body)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // let proxies pass each message at once
	rw.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(rw)
	st := &stream{w: w, q: q, out: rw, flush: rc.Flush, floor: q.from, at: q.from, sent: map[string]int64{}}
	st.run(r.Context())
}

type apiError struct {
	Message string             `json:"message"`
	Errors  []trawl.FieldError `json:"errors,omitempty"`
}

func writeJSONError(rw http.ResponseWriter, status int, body apiError) {
	rw.Header().Set("Content-Type", "application/json")
	rw.Header().Set("Cache-Control", "no-store")
	rw.WriteHeader(status)
	_ = json.NewEncoder(rw).Encode(body)
}

func (w *Console) parseStream(r *http.Request) (streamQuery, int, apiError) {
	var q streamQuery
	ctx := r.Context()
	if key := apiKey(r); key != "" {
		a, err := w.c.Store.AccountByAPIKey(ctx, key)
		if err != nil {
			if trawl.ErrorCode(err) == trawl.EUNAUTHORIZED {
				return q, http.StatusUnauthorized, apiError{Message: "Invalid API key: it is unknown or has been revoked."}
			}
			w.c.Logger.ErrorContext(ctx, "events: look up api key", "err", err)
			return q, http.StatusInternalServerError, apiError{Message: "Internal error."}
		}
		q.accountID = a.ID
	} else if s, err := w.session(r); err == nil {
		q.accountID = s.account.ID
	} else {
		return q, http.StatusUnauthorized, apiError{Message: "Missing API key: send it in the x-api-key header."}
	}

	var invalid trawl.Invalid
	v := r.URL.Query()
	if raw := v.Get("jobId"); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id < 1 {
			invalid.Add("jobId", "must be a positive integer")
		}
		q.jobID = id
	}
	q.kinds = Kinds()
	if raw := v.Get("kinds"); raw != "" {
		q.kinds = nil
		for _, k := range strings.Split(raw, ",") {
			k = strings.TrimSpace(k)
			if !slices.Contains(Kinds(), k) {
				invalid.Add("kinds", "unknown kind %q; allowed: %s", k, strings.Join(Kinds(), ", "))
			} else if !slices.Contains(q.kinds, k) {
				q.kinds = append(q.kinds, k)
			}
		}
	}
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = v.Get("lastEventId")
	}
	if last != "" {
		c, ok := parseCursor(last)
		if !ok {
			invalid.Add("Last-Event-ID", "is not an id this stream sent")
		}
		q.from = c
	} else {
		q.from = cursorAt(w.c.Now())
	}
	if err := invalid.Err(); err != nil {
		e := err.(*trawl.Error)
		return q, http.StatusUnprocessableEntity, apiError{Message: e.Message, Errors: e.Fields}
	}
	return q, 0, apiError{}
}

// apiKey reads the key as the API does: x-api-key, or a bearer token.
func apiKey(r *http.Request) string {
	if k := strings.TrimSpace(r.Header.Get("X-Api-Key")); k != "" {
		return k
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// stream is one client's connection.
type stream struct {
	w     *Console
	q     streamQuery
	out   http.ResponseWriter
	flush func() error
	// floor is where the client resumed: changes at or before it were the
	// previous connection's to send.
	floor cursor
	at    cursor
	// sent remembers what went out within the lookback window, by kind and
	// id (and, for jobs, the change's time).
	sent map[string]int64
}

func (st *stream) run(ctx context.Context) {
	// The opening block carries the stream's position as an id without
	// data: nothing is dispatched, but a client that drops before the first
	// message still resumes from where it began, missing nothing.
	fmt.Fprintf(st.out, "retry: %d\nid: %s\n: trawl events for account %d\n\n", retryMillis, st.at, st.q.accountID)
	if st.flush() != nil {
		return
	}
	poll := time.NewTicker(st.w.c.PollInterval)
	defer poll.Stop()
	beat := time.NewTicker(st.w.c.Heartbeat)
	defer beat.Stop()
	for {
		if err := st.poll(ctx); err != nil {
			if ctx.Err() == nil {
				st.w.c.Logger.ErrorContext(ctx, "events: poll failed", "account_id", st.q.accountID, "err", err)
			}
			return // the client reconnects with its Last-Event-ID
		}
		select {
		case <-ctx.Done():
			return
		case <-st.w.closed:
			return
		case <-beat.C:
			if _, err := fmt.Fprint(st.out, ": heartbeat\n\n"); err != nil || st.flush() != nil {
				return
			}
		case <-poll.C:
		}
	}
}

// change is one row a poll read, of any kind.
type change struct {
	key   string // kind and id (and, for jobs, the change's time)
	at    int64  // Unix microseconds
	jobID int64
	data  func() ([]byte, error)
}

// poll sends every change of the wanted kinds made since the last poll.
func (st *stream) poll(ctx context.Context) error {
	c := st.w.c
	for _, kind := range st.q.kinds {
		var at, floor *int64
		var read func(since time.Time) ([]change, error)
		switch kind {
		case KindJob:
			at, floor = &st.at.jobs, &st.floor.jobs
			read = func(since time.Time) ([]change, error) {
				jobs, err := c.Changes.JobsChangedSince(ctx, st.q.accountID, since, pollLimit)
				out := make([]change, len(jobs))
				for i, j := range jobs {
					t := j.UpdatedAt.UnixMicro()
					out[i] = change{key: "j:" + strconv.FormatInt(j.ID, 10) + ":" + strconv.FormatInt(t, 10), at: t, jobID: j.ID,
						data: func() ([]byte, error) { return c.JobJSON(j) }}
				}
				return out, err
			}
		case KindDelivery:
			at, floor = &st.at.attempts, &st.floor.attempts
			read = func(since time.Time) ([]change, error) {
				attempts, err := c.Changes.AttemptsSince(ctx, st.q.accountID, since, pollLimit)
				out := make([]change, len(attempts))
				for i, a := range attempts {
					out[i] = change{key: "a:" + strconv.FormatInt(a.ID, 10), at: a.CreatedAt.UnixMicro(), jobID: a.JobID,
						data: func() ([]byte, error) { return c.AttemptJSON(a) }}
				}
				return out, err
			}
		case KindWebhook:
			at, floor = &st.at.events, &st.floor.events
			read = func(since time.Time) ([]change, error) {
				events, err := c.Changes.EventsSince(ctx, st.q.accountID, since, pollLimit)
				out := make([]change, len(events))
				for i, e := range events {
					out[i] = change{key: "e:" + e.ID, at: e.CreatedAt.UnixMicro(), jobID: e.JobID,
						data: func() ([]byte, error) { return st.webhookMessage(ctx, e) }}
				}
				return out, err
			}
		}
		if err := st.pollKind(kind, at, floor, read); err != nil {
			return err
		}
	}
	st.forget()
	return st.flush()
}

// pollKind reads one kind's changes from the lookback window behind its
// cursor on, a page at a time, and sends those not sent yet.
func (st *stream) pollKind(kind string, at, floor *int64, read func(since time.Time) ([]change, error)) error {
	from := max(*floor, *at-lookback.Microseconds())
	for {
		changes, err := read(time.UnixMicro(from))
		if err != nil {
			return err
		}
		for _, ch := range changes {
			if _, ok := st.sent[ch.key]; ok {
				continue
			}
			st.sent[ch.key] = ch.at
			*at = max(*at, ch.at)
			if st.q.jobID != 0 && ch.jobID != st.q.jobID {
				continue
			}
			data, err := ch.data()
			if err != nil {
				return err
			}
			if err := st.send(kind, data); err != nil {
				return err
			}
		}
		if len(changes) < pollLimit {
			return nil
		}
		from = changes[len(changes)-1].at
	}
}

func (st *stream) webhookMessage(ctx context.Context, e *trawl.Event) ([]byte, error) {
	body := []byte(e.Payload)
	if st.w.c.WebhookBody != nil {
		var err error
		if body, err = st.w.c.WebhookBody(ctx, e); err != nil {
			return nil, err
		}
	}
	return json.Marshal(WebhookMessage{ID: e.ID, Seq: e.Seq, Type: e.Type, JobID: e.JobID,
		CreatedAt: e.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00"), Body: string(body)})
}

// forget drops what fell out of every lookback window.
func (st *stream) forget() {
	oldest := min(st.at.jobs, st.at.attempts, st.at.events) - lookback.Microseconds()
	for k, at := range st.sent {
		if at < oldest {
			delete(st.sent, k)
		}
	}
}

func (st *stream) send(kind string, data []byte) error {
	_, err := fmt.Fprintf(st.out, "id: %s\nevent: %s\ndata: %s\n\n", st.at, kind, data)
	return err
}
