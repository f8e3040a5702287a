package trawl

import (
	"encoding/json"
	"time"
)

// Status is where a job is in its life. The only moves are
// pending → in_progress → finished | stopped | failed; the last three are
// terminal.
type Status string

// The job statuses, spelled as clients of the HasData API expect them.
const (
	StatusPending    Status = "pending"
	StatusInProgress Status = "in_progress"
	StatusFinished   Status = "finished"
	StatusStopped    Status = "stopped"
	StatusFailed     Status = "failed"
)

// Statuses lists every status, in life order.
func Statuses() []Status {
	return []Status{StatusPending, StatusInProgress, StatusFinished, StatusStopped, StatusFailed}
}

// Terminal reports whether a job with this status will never run again.
func (s Status) Terminal() bool {
	return s == StatusFinished || s == StatusStopped || s == StatusFailed
}

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	for _, v := range Statuses() {
		if s == v {
			return true
		}
	}
	return false
}

// Stop reasons. A failed job's stop reason is the error text instead.
const (
	StopReasonLimit   = "data_limit_exceeded" // the job stored `limit` rows; its status is finished
	StopReasonStopped = "stopped"             // a client asked to stop it (DELETE)
)

// Job is one scraping job: what a client submitted and how far it has got.
//
// Input is the request body exactly as submitted (the webhook included), so
// the record shows what the client sent. Params is the scraper's own,
// normalised reading of it (defaults filled in), which workers run from.
type Job struct {
	ID            int64
	AccountID     int64
	Scraper       string
	Status        Status
	StopReason    string // "" while none
	Input         json.RawMessage
	Params        json.RawMessage
	Webhook       *Webhook // nil when the job has none
	Limit         int64    // 0 = no limit
	CreditsSpent  int64
	DataRowsCount int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
	StartedAt     *time.Time
	FinishedAt    *time.Time

	// TaskCount is how many tasks the job has been split into so far.
	TaskCount int64
}

// Row is one stored result of a job. Data is the scraper's row object.
type Row struct {
	ID        string // a UUID, as HasData's result rows have
	JobID     int64
	Seq       int64 // the row's place in the job's order of storage, from 1
	Data      json.RawMessage
	CreatedAt time.Time
}

// TaskState is where one unit of a job's work is.
type TaskState string

// The task states. A task is claimed (running) before its network work starts,
// so a stop can tell in-flight work from work not yet begun.
const (
	TaskPending   TaskState = "pending"
	TaskRunning   TaskState = "running"
	TaskDone      TaskState = "done"
	TaskCancelled TaskState = "cancelled"
)

// Task is one unit of a job's work (one page, one search, one site), retried
// on its own. Key is unique within a job, so a unit found twice runs once.
type Task struct {
	ID        int64
	JobID     int64
	Key       string
	Payload   json.RawMessage
	State     TaskState
	CreatedAt time.Time
}

// Account owns API keys and jobs; an account sees only its own jobs.
//
// WebhookSecret signs every delivery of the account's jobs (Standard
// Webhooks). After a rotation each earlier secret keeps signing too, until its
// own ExpiresAt, so receivers can switch without losing a message however
// often the secret is rotated in between.
type Account struct {
	ID              int64
	Name            string
	WebhookSecret   string
	PreviousSecrets []PreviousSecret // newest first
	CreatedAt       time.Time
}

// PreviousSecret is a signing secret replaced by a rotation, still signing
// until ExpiresAt.
type PreviousSecret struct {
	Secret    string    `json:"secret"`
	ExpiresAt time.Time `json:"-"`
}

// MaxSigningSecrets caps how many secrets sign a delivery at once: the current
// one and the newest MaxSigningSecrets-1 earlier ones still in their overlap.
// A rotation past the cap ends the oldest overlap early.
const MaxSigningSecrets = 5

// SigningSecrets returns the secrets that sign a delivery made at now: the
// current one, then every earlier one whose overlap has not ended, newest
// first.
func (a *Account) SigningSecrets(now time.Time) []string {
	out := []string{a.WebhookSecret}
	for _, p := range a.PreviousSecrets {
		if p.Secret != "" && now.Before(p.ExpiresAt) && len(out) < MaxSigningSecrets {
			out = append(out, p.Secret)
		}
	}
	return out
}

// Rotate makes next the signing secret at now and keeps the current one
// signing until until. Earlier secrets keep their own expiry; those already
// expired, and any beyond MaxSigningSecrets, are dropped.
func (a *Account) Rotate(next string, now, until time.Time) {
	kept := []PreviousSecret{{Secret: a.WebhookSecret, ExpiresAt: until}}
	for _, p := range a.PreviousSecrets {
		if now.Before(p.ExpiresAt) && len(kept) < MaxSigningSecrets-1 {
			kept = append(kept, p)
		}
	}
	a.WebhookSecret, a.PreviousSecrets = next, kept
}

// APIKey is an account's credential. Only a hash of the key is stored; Prefix
// (the first characters) lets a person tell keys apart in listings.
type APIKey struct {
	ID         int64
	AccountID  int64
	Prefix     string
	CreatedAt  time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
}

// EventState is where an event's delivery stands.
type EventState string

// The event states.
const (
	EventWaiting   EventState = "waiting"   // held back until the events before it have ended (see Outbox)
	EventPending   EventState = "pending"   // not delivered yet; an attempt is due
	EventDelivered EventState = "delivered" // a 2xx answered
	EventFailed    EventState = "failed"    // out of attempts, or refused for good (blocked, invalid)
	EventGone      EventState = "gone"      // the receiver answered 410 Gone for this job's webhook
	// EventNone marks an event of a job without a webhook: stored so that
	// the event stream (trawl listen) shows it, never delivered. The
	// ordering of deliveries counts it as ended.
	EventNone EventState = "none"
)

// Event is one webhook message waiting in, or sent from, the outbox. ID is the
// webhook-id header: stable across retries and redeliveries so that receivers
// can de-duplicate. Payload is the exact JSON body.
//
// Seq numbers events in the order they were stored, across all accounts, so
// an account's events can be read from any point on.
type Event struct {
	ID          string
	Seq         int64
	AccountID   int64
	JobID       int64
	Type        string
	Payload     json.RawMessage
	State       EventState
	Attempts    int // HTTP attempts made so far
	CreatedAt   time.Time
	DeliveredAt *time.Time
}

// DeliveryAttempt records one HTTP attempt at delivering an event.
type DeliveryAttempt struct {
	ID              int64
	EventID         string
	JobID           int64
	Attempt         int
	StatusCode      int // 0 when no response arrived
	ErrorClass      string
	Error           string
	Duration        time.Duration
	ResponseExcerpt string
	CreatedAt       time.Time

	// EventType and EventState describe the attempt's event as it is now;
	// they are filled when attempts are read back, not stored with them.
	EventType  string
	EventState EventState
}

// TaskSpec describes a task to add to a job: its key, unique within the job
// (a URL, a keyword×location pair), and the scraper's payload.
type TaskSpec struct {
	Key     string
	Payload json.RawMessage
	// Host, when set, is the host (host:port) the task fetches from: an
	// account's tasks of one host are queued only as many at a time as the
	// host may run, so that a busy host's tasks wait without being taken.
	Host string
}
