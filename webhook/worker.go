package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
)

// The River queues that deliver webhooks. First attempts and retries have
// queues (and worker pools) of their own, so a backlog of retries to a dead
// receiver never delays a first attempt; both are apart from the scraping
// queue.
const (
	QueueWebhook      = "webhook"
	QueueWebhookRetry = "webhook_retry"
)

// DefaultMaxAttempts is how many times an event is tried when its webhook does
// not say.
const DefaultMaxAttempts = 3

// riverMaxAttempts bounds River's own retries of a delivery job, which happen
// only when trawl itself fails (a crash, a database error): a receiver's
// failure is recorded and retried by a new job in the retry queue instead.
const riverMaxAttempts = 5

// DeliverArgs is the River job that makes one HTTP attempt at delivering
// each of its events: one event (a retry, a redelivery), or several of one
// job whose first attempts fall due together, which share the job's read,
// its record transaction and River's bookkeeping.
type DeliverArgs struct {
	EventID string `json:"eventId,omitempty"`
	// Events are the events of a batch; EventID is then empty.
	Events []string `json:"events,omitempty"`
	// Attempt is the number of the attempt this job makes, from 1.
	Attempt int `json:"attempt"`
	// MaxAttempts is the last attempt number that may be made for the event:
	// the webhook's budget, or, for a redelivery, just that one attempt.
	MaxAttempts int `json:"maxAttempts"`
}

// ids lists the events the job attempts.
func (a DeliverArgs) ids() []string {
	if len(a.Events) > 0 {
		return a.Events
	}
	return []string{a.EventID}
}

// queue is the River queue of the job's attempt number.
func (a DeliverArgs) queue() string {
	if a.Attempt > 1 {
		return QueueWebhookRetry
	}
	return QueueWebhook
}

// batchEvents bounds the events of one delivery job: enough to share one
// record transaction among many attempts, few enough that the first of them
// is not held long behind the last.
const batchEvents = 64

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "trawl_webhook_deliver" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueWebhook, MaxAttempts: riverMaxAttempts}
}

// Store is what the webhook service reads and writes; the store implements
// it.
type Store interface {
	InTx(ctx context.Context, fn func(store.Tx) error) error
	Delivery(ctx context.Context, eventIDs ...string) (*store.Delivery, error)
	Events(ctx context.Context, jobID int64) ([]*trawl.Event, error)
	Attempts(ctx context.Context, jobID, offset, limit int64) ([]*trawl.DeliveryAttempt, int64, error)
}

// Observer is told about every attempt, for metrics. Outcome is one of
// "delivered", "retry", "failed" and "gone".
type Observer interface {
	Attempt(outcome, class string, d time.Duration)
	// Delivered reports how long after its event was committed a 2xx came.
	Delivered(sinceEvent time.Duration)
}

// Config configures a Service. Store and Sender are required.
type Config struct {
	Store    Store
	Sender   *Sender
	Schedule Schedule     // delays before attempts 2, 3, …; default DefaultSchedule()
	Logger   *slog.Logger // default: discard
	// PerHostConcurrency bounds the attempts in flight to one receiver on
	// this node, counted by its name and by its address, so a slow receiver
	// holds at most that many workers however many names it has. Default 8.
	PerHostConcurrency int
	// AccountConcurrency bounds one account's attempts in flight on this
	// node, so one account's receivers cannot take every worker; default
	// DefaultAccountConcurrency.
	AccountConcurrency int
	// Resolver resolves receivers' names for the per-receiver limit; default
	// a plain net.Resolver. The attempt itself connects through the guarded
	// client, which checks the address it dials.
	Resolver Resolver
	Observer Observer // optional
	// Links returns a terminal job's download links, which the finished
	// event carries, signed at the time of each attempt; nil sends none.
	Links func(*trawl.Job) any
	Now   func() time.Time
	Batch Batch
	// PublicURL is the base of links in payloads (no trailing slash).
	PublicURL string
}

// Service owns the whole life of webhook events: it builds and stores them
// when the jobs service reports what happened (JobStarted, RowsStored,
// JobEnded), orders and delivers them (one River job per HTTP attempt, every
// attempt recorded together with what follows from it in one transaction),
// and redelivers them on request. It is safe for concurrent use.
type Service struct {
	c         Config
	hosts     *hostLimiter // per receiver, by name and by address
	accounts  *hostLimiter // per account
	endpoints *endpoints
	breakers  *breakers
	rnd       func() float64
}

// New returns a webhook service.
func New(c Config) *Service {
	if len(c.Schedule) == 0 {
		c.Schedule = DefaultSchedule()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.PerHostConcurrency <= 0 {
		c.PerHostConcurrency = 8
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.AccountConcurrency <= 0 {
		c.AccountConcurrency = DefaultAccountConcurrency
	}
	c.Batch = c.Batch.withDefaults()
	return &Service{c: c, hosts: newHostLimiter(c.PerHostConcurrency), accounts: newHostLimiter(c.AccountConcurrency),
		endpoints: newEndpoints(c.Resolver, c.Now), breakers: newBreakers(c.Now), rnd: rand.Float64}
}

// DefaultAccountConcurrency is the default of Config.AccountConcurrency.
const DefaultAccountConcurrency = 16

// acquire takes a slot of each of the endpoint's keys, waiting briefly for
// each, then one of the account's; it returns a func that gives them all
// back, or false and about how long to step aside when one was not free in
// time: a second for a busy receiver, longer for an account at its share
// (its attempts would only come back to find it full again).
func (w *Service) acquire(ctx context.Context, accountID int64, ep endpoint) (func(), time.Duration, bool) {
	var releases []func()
	undo := func() {
		for _, r := range releases {
			r()
		}
	}
	for _, key := range ep.keys() {
		r, ok := w.hosts.acquire(ctx, key, hostWait)
		if !ok {
			undo()
			return nil, time.Second, false
		}
		releases = append(releases, r)
	}
	// An account at its share steps aside almost at once: its events would
	// otherwise hold workers just waiting, which is what the share is to
	// prevent.
	r, ok := w.accounts.acquire(ctx, strconv.FormatInt(accountID, 10), accountWait)
	if !ok {
		undo()
		return nil, 3 * time.Second, false
	}
	releases = append(releases, r)
	return undo, 0, true
}

// accountWait is how long an attempt waits for a slot of its account's
// share before it steps aside.
const accountWait = 10 * time.Millisecond

// AddWorkers registers the service's River workers: delivery attempts and
// row flushes.
func (s *Service) AddWorkers(w *river.Workers) {
	river.AddWorker(w, &deliverWorker{s: s})
	river.AddWorker(w, &flushWorker{s: s})
	river.AddWorker(w, &releaseWorker{s: s})
}

// deliverWorker runs DeliverArgs.
type deliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	s *Service
}

// hostWait is how long an attempt waits for a slot of its receiver's host
// before it steps aside (snoozes for a second or two) and frees its worker
// for other receivers' events.
const hostWait = 50 * time.Millisecond

// Work implements river.Worker.
func (dw *deliverWorker) Work(ctx context.Context, rj *river.Job[DeliverArgs]) error {
	w, args := dw.s, rj.Args
	d, err := w.c.Store.Delivery(ctx, args.ids()...)
	if trawl.ErrorCode(err) == trawl.ENOTFOUND {
		return river.JobCancel(err)
	} else if err != nil {
		return err
	}
	job, account := d.Job, d.Account
	var due []*trawl.Event
	for _, ev := range d.Events {
		// Settled already, or this attempt is recorded (a rerun after a crash).
		if ev.State == trawl.EventPending && ev.Attempts < args.Attempt {
			due = append(due, ev)
		}
	}
	if len(due) == 0 {
		return nil
	}
	if job.Webhook == nil {
		return river.JobCancel(fmt.Errorf("job %d has no webhook", job.ID))
	}
	if d.GoneAt != nil {
		return w.settle(ctx, due, job, func(e *trawl.Event) { e.State = trawl.EventGone })
	}

	// Isolation: an account holds at most its share of this node's
	// attempts, a receiver (by name and by address) at most its own, and a
	// receiver that stopped answering is left alone for a while. An attempt
	// that cannot go now steps aside without spending an attempt.
	ep := w.endpoints.of(ctx, job.Webhook.URL)
	if ok, wait := w.breakers.allow(ep.breakerKey()); !ok {
		return river.JobSnooze(wait + time.Duration(float64(time.Second)*w.rnd()))
	}
	results := make([]Result, len(due))
	var wg sync.WaitGroup
	sent, stepAside := 0, time.Duration(0)
	for i, ev := range due {
		release, wait, ok := w.acquire(ctx, job.AccountID, ep)
		if !ok {
			stepAside = time.Duration(float64(wait) * (0.5 + w.rnd()))
			break
		}
		sent++
		wg.Go(func() {
			defer release()
			results[i] = w.send(ctx, ev, job, account)
		})
	}
	wg.Wait()
	if sent == 0 {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return river.JobSnooze(stepAside)
	}
	// What was not sent, or was cut short by shutdown (that attempt does not
	// count), goes again in a job of its own.
	var attempted []*trawl.Event
	var outcomes []Result
	var rest []string
	for i, ev := range due {
		res := results[i]
		switch {
		case i >= sent:
			rest = append(rest, ev.ID)
		case !res.OK() && ctx.Err() != nil:
			w.breakers.report(ep.breakerKey(), true) // no verdict on the receiver
			rest = append(rest, ev.ID)
		default:
			w.breakers.report(ep.breakerKey(), reached(res))
			attempted = append(attempted, ev)
			outcomes = append(outcomes, res)
		}
	}
	ends, err := w.record(ctx, job, args, attempted, outcomes, rest, stepAside)
	if err != nil {
		return err
	}
	for i, ev := range attempted {
		res := outcomes[i]
		if o := w.c.Observer; o != nil && ends[i] != "" {
			o.Attempt(ends[i], res.ErrorClass, res.Duration)
			if res.OK() {
				o.Delivered(w.c.Now().Sub(ev.CreatedAt))
			}
		}
		if ends[i] == "failed" && res.ErrorClass != "" {
			w.c.Logger.Warn("webhook delivery failed for good", "job", job.ID, "event", ev.ID, "type", ev.Type,
				"attempt", args.Attempt, "class", res.ErrorClass, "err", res.Error)
		}
	}
	return nil
}

// send makes one HTTP attempt at delivering ev.
func (w *Service) send(ctx context.Context, ev *trawl.Event, job *trawl.Job, account *trawl.Account) Result {
	body := []byte(ev.Payload)
	if ev.Type == trawl.EventJobFinished && w.c.Links != nil {
		if links := w.c.Links(job); links != nil {
			var err error
			if body, err = withLinks(ev.Payload, links); err != nil {
				return Result{ErrorClass: ClassInvalid, Error: fmt.Sprintf("event %s: %v", ev.ID, err)}
			}
		}
	}
	now := w.c.Now()
	return w.c.Sender.Send(ctx, Message{
		ID:        ev.ID,
		URL:       job.Webhook.URL,
		Headers:   job.Webhook.Headers,
		Body:      body,
		Timestamp: now,
		Secrets:   account.SigningSecrets(now),
	})
}

// record stores the attempts at events and their consequences in one
// transaction, with a job for the events in rest (not sent: due after
// restDelay), and returns each attempt's outcome ("" for one recorded
// already).
func (w *Service) record(ctx context.Context, job *trawl.Job, args DeliverArgs, events []*trawl.Event, results []Result,
	rest []string, restDelay time.Duration) ([]string, error) {
	outcomes := make([]string, len(events))
	err := w.c.Store.InTx(context.WithoutCancel(ctx), func(tx store.Tx) error {
		clear(outcomes)
		ids := make([]string, len(events))
		for i, ev := range events {
			ids[i] = ev.ID
		}
		// The events are locked: this orders the attempt against new events
		// of the job (see release).
		locked, err := tx.LockEvents(ids)
		if err != nil {
			return err
		}
		byID := make(map[string]*trawl.Event, len(locked))
		for _, e := range locked {
			byID[e.ID] = e
		}
		var attempts []*trawl.DeliveryAttempt
		var changed []*trawl.Event
		var enqueue []river.InsertManyParams
		ended := false
		now := w.c.Now().UTC()
		for i, ev := range events {
			e, res := byID[ev.ID], results[i]
			if e == nil || e.Attempts >= args.Attempt {
				continue // recorded already
			}
			attempts = append(attempts, &trawl.DeliveryAttempt{
				EventID:         e.ID,
				JobID:           e.JobID,
				Attempt:         args.Attempt,
				StatusCode:      res.StatusCode,
				ErrorClass:      res.ErrorClass,
				Error:           res.Error,
				Duration:        res.Duration,
				ResponseExcerpt: res.ResponseExcerpt,
			})
			e.Attempts = args.Attempt
			switch {
			case res.OK():
				outcomes[i], e.State, e.DeliveredAt = "delivered", trawl.EventDelivered, &now
			case res.Gone:
				outcomes[i], e.State = "gone", trawl.EventGone
				if err := markGone(tx, job.ID, now); err != nil {
					return err
				}
			case (res.ErrorClass == ClassBlocked && blockedForGood(job.Webhook.URL)) || res.ErrorClass == ClassInvalid:
				// Waiting will not make the destination allowed or the message valid.
				outcomes[i], e.State = "failed", trawl.EventFailed
			case args.Attempt < args.MaxAttempts:
				outcomes[i] = "retry"
				delay := max(w.c.Schedule.Delay(args.Attempt+1, w.rnd), res.RetryAfter)
				next := DeliverArgs{EventID: e.ID, Attempt: args.Attempt + 1, MaxAttempts: args.MaxAttempts}
				enqueue = append(enqueue, river.InsertManyParams{Args: next,
					InsertOpts: &river.InsertOpts{Queue: QueueWebhookRetry, ScheduledAt: now.Add(delay)}})
			default:
				outcomes[i], e.State = "failed", trawl.EventFailed
			}
			changed = append(changed, e)
			ended = ended || e.State != trawl.EventPending
		}
		if len(rest) > 0 {
			again := DeliverArgs{Attempt: args.Attempt, MaxAttempts: args.MaxAttempts}
			if len(rest) == 1 {
				again.EventID = rest[0]
			} else {
				again.Events = rest
			}
			enqueue = append(enqueue, river.InsertManyParams{Args: again,
				InsertOpts: &river.InsertOpts{Queue: args.queue(), ScheduledAt: now.Add(restDelay)}})
		}
		if err := tx.RecordAttempts(attempts); err != nil {
			return err
		}
		if err := tx.UpdateEvents(changed); err != nil {
			return err
		}
		if len(enqueue) > 0 {
			if err := tx.Enqueue(enqueue...); err != nil {
				return fmt.Errorf("schedule attempts at events of job %d: %w", job.ID, err)
			}
		}
		if !ended {
			return nil
		}
		return w.afterEnd(tx, job)
	})
	return outcomes, err
}

// markGone notes on the job's outbox that its receiver answered 410 Gone.
func markGone(tx store.Tx, jobID int64, now time.Time) error {
	o, err := tx.Outbox(jobID) // locked now: it is written
	if err != nil || o.GoneAt != nil {
		return err
	}
	o.GoneAt = &now
	return tx.UpdateOutbox(o)
}

// afterEnd follows the end of one of job's events: when events of the job
// wait, a release runs after this transaction, under the outbox's lock. The
// count is read after the event's lock was taken: a new event that waits
// for this one locked it first, so its count is seen here.
func (w *Service) afterEnd(tx store.Tx, job *trawl.Job) error {
	waiting, err := tx.OutboxWaiting(job.ID)
	if err != nil || waiting == 0 {
		return err
	}
	return tx.Enqueue(river.InsertManyParams{Args: ReleaseArgs{JobID: job.ID}})
}

// settle ends pending events without an attempt.
func (w *Service) settle(ctx context.Context, events []*trawl.Event, job *trawl.Job, change func(*trawl.Event)) error {
	return w.c.Store.InTx(ctx, func(tx store.Tx) error {
		ids := make([]string, len(events))
		for i, e := range events {
			ids[i] = e.ID
		}
		locked, err := tx.LockEvents(ids)
		if err != nil {
			return err
		}
		var changed []*trawl.Event
		for _, e := range locked {
			if e.State == trawl.EventPending {
				change(e)
				changed = append(changed, e)
			}
		}
		if len(changed) == 0 {
			return nil
		}
		if err := tx.UpdateEvents(changed); err != nil {
			return err
		}
		return w.afterEnd(tx, job)
	})
}
