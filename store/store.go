// Package store defines how trawl keeps its data: the Store interface that
// both databases implement, checked by the conformance suite in storetest.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/riverqueue/river"
	"github.com/trawlhq/trawl"
)

// Store is trawl's persistence. Methods on Store run on their own; work that
// must commit together (a row, its counters and its events, and the River jobs
// they cause) runs in InTx.
//
// Reads on Store may be served by a read pool and so may lag a transaction
// that has just committed by nothing more than the commit itself.
//
// A Store is safe for concurrent use.
type Store interface {
	// InTx runs fn in one read-write transaction and commits it when fn
	// returns nil. fn must not call methods of the Store itself (on SQLite the
	// transaction holds the right to write, which the Store's writes wait
	// for), nor do network I/O.
	InTx(ctx context.Context, fn func(Tx) error) error

	// CreateAccount makes an account with a fresh webhook signing secret.
	CreateAccount(ctx context.Context, name string) (*trawl.Account, error)
	Account(ctx context.Context, id int64) (*trawl.Account, error)
	Accounts(ctx context.Context) ([]*trawl.Account, error)
	// RotateWebhookSecret makes next the account's signing secret and keeps
	// the current one signing too until previousUntil; earlier secrets keep
	// signing until their own expiry (see trawl.Account.Rotate).
	RotateWebhookSecret(ctx context.Context, accountID int64, next string, previousUntil time.Time) (*trawl.Account, error)
	// CreateAPIKey stores the hash of key for the account.
	CreateAPIKey(ctx context.Context, accountID int64, key string) (*trawl.APIKey, error)
	// AccountByAPIKey returns the account that owns key, or EUNAUTHORIZED when
	// the key is unknown or revoked.
	AccountByAPIKey(ctx context.Context, key string) (*trawl.Account, error)
	// APIKeyExists reports whether key is stored and not revoked.
	APIKeyExists(ctx context.Context, key string) (bool, error)
	APIKeys(ctx context.Context) ([]*trawl.APIKey, error)
	// RevokeAPIKey revokes the key with the given id or prefix.
	RevokeAPIKey(ctx context.Context, idOrPrefix string) error

	// Job returns the job with id. With accountID > 0 a job of another account
	// is ENOTFOUND, exactly like a missing one.
	Job(ctx context.Context, accountID, id int64) (*trawl.Job, error)
	// Jobs lists an account's jobs, newest first, and their total count.
	Jobs(ctx context.Context, f JobFilter) ([]*trawl.Job, int64, error)
	// Rows returns up to limit rows of a job in storage order, skipping
	// offset, and the job's row total.
	Rows(ctx context.Context, jobID int64, offset, limit int64) ([]*trawl.Row, int64, error)
	Task(ctx context.Context, id int64) (*trawl.Task, error)
	// StartTasks moves the pending or running tasks among ids to running, in
	// one statement, and returns them in no particular order; a task that is
	// done, cancelled or missing is left out.
	StartTasks(ctx context.Context, ids []int64) ([]*trawl.Task, error)
	Event(ctx context.Context, id string) (*trawl.Event, error)
	// Events lists a job's events in creation order.
	Events(ctx context.Context, jobID int64) ([]*trawl.Event, error)
	// Delivery reads, in one query, what attempts at delivering events of
	// one job need: the events found (in creation order; ENOTFOUND when
	// none is), their job, the job's account and whether the job's receiver
	// is gone.
	Delivery(ctx context.Context, eventIDs ...string) (*Delivery, error)
	// Attempts lists a page of a job's delivery attempts, oldest first, each
	// with its event's type and current state, and their total.
	Attempts(ctx context.Context, jobID, offset, limit int64) ([]*trawl.DeliveryAttempt, int64, error)

	// JobsChangedSince lists up to limit of an account's jobs whose
	// UpdatedAt is after since, oldest change first (then by id). It feeds
	// the change stream, which polls it.
	JobsChangedSince(ctx context.Context, accountID int64, since time.Time, limit int) ([]*trawl.Job, error)
	// AttemptsSince lists up to limit of an account's delivery attempts made
	// after since, oldest first, each with its event's type and state.
	AttemptsSince(ctx context.Context, accountID int64, since time.Time, limit int) ([]*trawl.DeliveryAttempt, error)
	// EventsSince lists up to limit of an account's webhook events created
	// after since, oldest first.
	EventsSince(ctx context.Context, accountID int64, since time.Time, limit int) ([]*trawl.Event, error)
	// AccountAPIKeys lists an account's API keys, revoked ones included, in
	// creation order.
	AccountAPIKeys(ctx context.Context, accountID int64) ([]*trawl.APIKey, error)
	// TaskProgress counts a job's tasks: those that ended (done or
	// cancelled) and all of them so far.
	TaskProgress(ctx context.Context, jobID int64) (done, total int64, err error)

	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	Close() error

	// EachRow calls fn with each row of a job whose Seq is at most upTo, in
	// Seq order, and returns fn's first error as it is. It reads the rows a
	// chunk at a time (by count and by size) with no transaction or
	// connection held while fn runs, so neither the database nor the caller
	// holds a whole job in memory, and a slow fn blocks no one. Rows are
	// never changed once stored, so a walk bounded by a DataRowsCount read
	// earlier sees exactly those rows. An unknown job is ENOTFOUND.
	EachRow(ctx context.Context, jobID, upTo int64, fn func(*trawl.Row) error) error
	// Setting returns the server-wide value stored under name, or ENOTFOUND.
	Setting(ctx context.Context, name string) (string, error)
	// EnsureSetting stores value under name unless a value is already there,
	// and returns the value stored. Nodes starting at once all get the same
	// one.
	EnsureSetting(ctx context.Context, name, value string) (string, error)
}

// JobFilter selects jobs for Store.Jobs.
type JobFilter struct {
	AccountID int64
	Status    trawl.Status // "" = any
	Scraper   string       // "" = any; else only jobs of this scraper's slug
	Offset    int64
	Limit     int64
	// BeforeID, when > 0, keeps only jobs with a smaller id, so a listing
	// can be read a few jobs at a time without a job created meanwhile
	// shifting the rest. The jobs are then not counted: the total is 0.
	BeforeID int64
}

// EventFilter selects a job's events for Tx.FindEvents.
type EventFilter struct {
	States     []trawl.EventState // required
	Type       string             // only events of this type; "" = any
	ExceptType string             // no events of this type; "" = none excluded
	Limit      int                // 0 = all
	// Lock locks the events found until the transaction ends (on
	// PostgreSQL): one that is ending waits for this transaction, and this
	// one for it.
	Lock bool
}

// Delivery is what attempts at delivering events of one job need.
type Delivery struct {
	Events  []*trawl.Event
	Job     *trawl.Job
	Account *trawl.Account
	// GoneAt is set when the job's receiver answered 410 Gone.
	GoneAt *time.Time
}

// Queue inserts River jobs inside a transaction. The engine implements it
// and attaches itself to the store it runs on; a store with no queue
// attached refuses to enqueue.
type Queue interface {
	InsertTx(ctx context.Context, tx *sql.Tx, jobs []river.InsertManyParams) error
}

// Tx is one read-write transaction. Reads in it see its own writes.
type Tx interface {
	// Enqueue inserts River jobs that start only if the transaction commits.
	// It runs under the transaction's own context, so the insert can no
	// more be cancelled on its own than the rest of the transaction.
	Enqueue(jobs ...river.InsertManyParams) error

	// CreateJob inserts job, sets its ID and timestamps, and starts its
	// outbox.
	CreateJob(job *trawl.Job) error
	// Job reads a job for update: on PostgreSQL the row stays locked until the
	// transaction ends.
	Job(id int64) (*trawl.Job, error)
	// UpdateJob writes the job's status, stop reason, counters and
	// timestamps, and sets UpdatedAt.
	UpdateJob(job *trawl.Job) error

	// InsertTasks adds tasks to a job, skipping any whose key the job already
	// has, and returns those it inserted. The job's TaskCount (as stored) grows
	// by their number.
	InsertTasks(jobID int64, specs []trawl.TaskSpec) ([]*trawl.Task, error)
	// Task reads a task.
	Task(id int64) (*trawl.Task, error)
	// SetTaskState moves a task from one of the states in from to state, and
	// reports whether it did.
	SetTaskState(id int64, state trawl.TaskState, from ...trawl.TaskState) (bool, error)
	// SetTasksState is SetTaskState for several tasks in one statement; it
	// returns the ids of the tasks it moved, in no particular order.
	SetTasksState(ids []int64, state trawl.TaskState, from ...trawl.TaskState) ([]int64, error)
	// DispatchTasks picks the account's tasks to hand to the queue now and
	// marks them queued: as many as keep at most limit of the account's tasks
	// queued or running at once, taken in turns from the account's jobs
	// (burst from each in a turn), oldest first within a job. The caller
	// enqueues them in the same transaction. A task with a host is taken only
	// while fewer than hostLimit(host) of the account's tasks of that host
	// are queued or running; a nil hostLimit sets no such limit. While some
	// of the account's tasks are in flight and fewer than burst slots are
	// free, it hands out none: they are handed out a turn at a time.
	DispatchTasks(accountID int64, limit, burst int, hostLimit func(host string) int) ([]*trawl.Task, error)
	// CancelPendingTasks cancels the job's tasks that have not started.
	CancelPendingTasks(jobID int64) (int64, error)
	// HasOpenTasks reports whether any task of the job is pending or running.
	HasOpenTasks(jobID int64) (bool, error)

	// InsertRows appends rows to a job, numbering them after the job's
	// current DataRowsCount; the caller updates the job's counters.
	InsertRows(job *trawl.Job, data []json.RawMessage) ([]*trawl.Row, error)
	// RowsAfter returns up to limit rows of a job with Seq > seq, in order.
	RowsAfter(jobID, seq, limit int64) ([]*trawl.Row, error)

	// Outbox reads a job's webhook bookkeeping for update: on PostgreSQL the
	// row stays locked until the transaction ends, which orders every
	// decision about the job's events.
	Outbox(jobID int64) (*trawl.Outbox, error)
	// OutboxWaiting reads, without locking, how many of a job's events wait.
	OutboxWaiting(jobID int64) (int64, error)
	// UpdateOutbox writes a job's webhook bookkeeping.
	UpdateOutbox(o *trawl.Outbox) error
	// FindEvents lists a job's events that f selects, in creation order,
	// without their payloads.
	FindEvents(jobID int64, f EventFilter) ([]*trawl.Event, error)
	// InsertEvents stores outbox events, in as few statements as it can,
	// and sets their Seq and CreatedAt (and their State to pending when
	// unset).
	InsertEvents(es ...*trawl.Event) error
	// Event reads an event for update.
	Event(id string) (*trawl.Event, error)
	// EventWithOutbox reads an event (locked for update) and its job's
	// outbox (not locked: its fields may be older than the transaction's
	// next statement; Outbox locks it), in one query.
	EventWithOutbox(id string) (*trawl.Event, *trawl.Outbox, error)
	// UpdateEvent writes an event's state, attempt count and delivery time.
	UpdateEvent(e *trawl.Event) error
	// RecordAttempt stores one delivery attempt and sets its ID.
	RecordAttempt(a *trawl.DeliveryAttempt) error
	// LockEvents reads events (locked for update, in creation order, without
	// payloads); ids not found are left out.
	LockEvents(ids []string) ([]*trawl.Event, error)
	// RecordAttempts stores delivery attempts in one statement; it does not
	// set their IDs.
	RecordAttempts(as []*trawl.DeliveryAttempt) error
	// UpdateEvents writes events' states, attempt counts and delivery times.
	UpdateEvents(es []*trawl.Event) error
}

type foregroundKey struct{}

// Foreground marks ctx as work someone is waiting on (an API request). A
// database with one writer (SQLite) gives the writer to foreground work
// before background work (jobs, deliveries, River's own bookkeeping), so that
// a create answers in milliseconds however busy the node is.
func Foreground(ctx context.Context) context.Context {
	return context.WithValue(ctx, foregroundKey{}, true)
}

// IsForeground reports whether ctx was marked by Foreground.
func IsForeground(ctx context.Context) bool {
	v, _ := ctx.Value(foregroundKey{}).(bool)
	return v
}
