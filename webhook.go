package trawl

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The webhook events a job can subscribe to. EventDataRowsAdded is the older
// name of EventDataScraped: a subscriber of it gets the same rows under
// "dataRows" instead of "data".
const (
	EventJobStarted    = "scraper.job.started"
	EventDataScraped   = "scraper.data.scraped"
	EventDataRowsAdded = "scraper.data.rows_added"
	EventJobFinished   = "scraper.job.finished"
)

// Events lists every event name a webhook may subscribe to.
func Events() []string {
	return []string{EventJobStarted, EventDataScraped, EventDataRowsAdded, EventJobFinished}
}

// Webhook limits.
const (
	MaxWebhookAttempts = 10
	MaxWebhookHeaders  = 50
	MaxWebhookURLLen   = 2048
	MaxHeaderValueLen  = 4096

	maxWebhookHeaders = MaxWebhookHeaders
	maxWebhookURLLen  = MaxWebhookURLLen
	maxHeaderValueLen = MaxHeaderValueLen
)

// ForbiddenHeaders lists the header names a webhook may not set (matched
// without regard to case); every name starting with "webhook-" is refused
// too.
func ForbiddenHeaders() []string { return slices.Clone(forbiddenHeaders) }

// Webhook is a job's webhook: where to POST its events, which ones, and extra
// headers to send on every delivery.
type Webhook struct {
	URL         string            `json:"url"`
	Events      []string          `json:"events,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	MaxAttempts int               `json:"maxAttempts,omitempty"` // 0 = the server default
	// Ordered asks for strict order: the job's events go one at a time, each
	// after the one before it was delivered or ran out of attempts.
	Ordered bool `json:"ordered,omitempty"`
}

// Subscribed reports whether the webhook wants event. With no events listed,
// a webhook gets every event but the older alias of the data event.
func (w *Webhook) Subscribed(event string) bool {
	if w == nil {
		return false
	}
	if len(w.Events) == 0 {
		return event != EventDataRowsAdded
	}
	return slices.Contains(w.Events, event)
}

// forbiddenHeaders would break the request or let a client forge trawl's own
// headers; webhook-* is matched by prefix.
var forbiddenHeaders = []string{"host", "content-length", "transfer-encoding", "connection", "content-type", "user-agent", "upgrade", "te", "trailer", "keep-alive", "proxy-connection"}

// Validate adds to v every problem with w, naming fields under prefix (for
// example "webhook").
func (w *Webhook) Validate(prefix string, v *Invalid) {
	if w.URL == "" {
		v.Add(prefix+".url", "is required")
	} else if len(w.URL) > maxWebhookURLLen {
		v.Add(prefix+".url", "must be at most %d characters", maxWebhookURLLen)
	} else if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.Add(prefix+".url", "must be an absolute http or https URL")
	} else if u.User != nil {
		v.Add(prefix+".url", "must not contain credentials; send them in headers")
	}
	seen := map[string]bool{}
	for i, e := range w.Events {
		if !slices.Contains(Events(), e) {
			v.Add(indexField(prefix+".events", i), "unknown event %q; allowed: %s", e, strings.Join(Events(), ", "))
		} else if seen[e] {
			v.Add(indexField(prefix+".events", i), "%q is listed twice", e)
		}
		seen[e] = true
	}
	if len(w.Headers) > maxWebhookHeaders {
		v.Add(prefix+".headers", "at most %d headers are allowed", maxWebhookHeaders)
	}
	names := make([]string, 0, len(w.Headers))
	for name := range w.Headers {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		value := w.Headers[name]
		field := prefix + ".headers." + name
		lower := strings.ToLower(name)
		switch {
		case !validHeaderName(name):
			v.Add(field, "is not a valid header name (letters, digits and !#$%%&'*+-.^_`|~ only)")
		case slices.Contains(forbiddenHeaders, lower) || strings.HasPrefix(lower, "webhook-"):
			v.Add(field, "cannot be set: trawl sets it")
		case strings.ContainsAny(value, "\r\n\x00"):
			v.Add(field, "must not contain CR, LF or NUL")
		case len(value) > maxHeaderValueLen:
			v.Add(field, "must be at most %d characters", maxHeaderValueLen)
		}
	}
	if w.MaxAttempts < 0 || w.MaxAttempts > MaxWebhookAttempts {
		v.Add(prefix+".maxAttempts", "must be between 1 and %d", MaxWebhookAttempts)
	}
}

func indexField(name string, i int) string {
	return name + "[" + strconv.Itoa(i) + "]"
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// Outbox is the webhook bookkeeping of one job, kept apart from the job
// record: what has been put into events, and what is held back for order.
type Outbox struct {
	JobID int64
	// RowsEventedSeq is the Seq of the last row already put in a data event.
	RowsEventedSeq int64
	// FlushScheduled is set while a flush of the job's waiting rows is due.
	FlushScheduled bool
	// FinishWritten is set once the job's finished event is stored.
	FinishWritten bool
	// GoneAt is set when the receiver answered 410 Gone: no more deliveries
	// are made for this job until a redelivery is asked for.
	GoneAt *time.Time
	// Waiting counts the job's events held back (EventWaiting) until the
	// events before them have ended.
	Waiting int64
}
