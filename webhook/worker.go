package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
	"github.com/trawlhq/trawl"
)

// QueueWebhook is the River queue that delivers webhooks, apart from the
// scraping queue so that slow scrapes never hold deliveries back.
const QueueWebhook = "webhook"

// DefaultMaxAttempts is how many times an event is tried when its webhook does
// not say.
const DefaultMaxAttempts = 3

// DeliverArgs is the River job that delivers one event.
type DeliverArgs struct {
	EventID string `json:"eventId"`
}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "trawl_webhook_deliver" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueWebhook, MaxAttempts: DefaultMaxAttempts}
}

// Deliveries returns the River insert parameters that deliver events of job,
// each with the job's webhook attempt budget.
func Deliveries(job *trawl.Job, events []*trawl.Event) []river.InsertManyParams {
	attempts := DefaultMaxAttempts
	if job.Webhook != nil && job.Webhook.MaxAttempts > 0 {
		attempts = job.Webhook.MaxAttempts
	}
	out := make([]river.InsertManyParams, 0, len(events))
	for _, e := range events {
		out = append(out, river.InsertManyParams{
			Args:       DeliverArgs{EventID: e.ID},
			InsertOpts: &river.InsertOpts{Queue: QueueWebhook, MaxAttempts: attempts},
		})
	}
	return out
}

// Outbox is what the delivery worker reads and writes; the store implements
// it.
type Outbox interface {
	Event(ctx context.Context, id string) (*trawl.Event, error)
	Job(ctx context.Context, accountID, id int64) (*trawl.Job, error)
	RecordAttempt(ctx context.Context, a *trawl.DeliveryAttempt) error
}

// Worker delivers events: one River job per event, one HTTP attempt per River
// attempt, every attempt recorded. It is safe for concurrent use.
type Worker struct {
	river.WorkerDefaults[DeliverArgs]
	outbox   Outbox
	sender   *Sender
	schedule Schedule
	log      *slog.Logger
	rnd      func() float64
}

// NewWorker returns a delivery worker. schedule holds the delays before
// attempts 2, 3, …
func NewWorker(outbox Outbox, sender *Sender, schedule Schedule, log *slog.Logger) *Worker {
	if len(schedule) == 0 {
		schedule = DefaultSchedule()
	}
	return &Worker{outbox: outbox, sender: sender, schedule: schedule, log: log, rnd: rand.Float64}
}

// Work implements river.Worker.
func (w *Worker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	ev, err := w.outbox.Event(ctx, job.Args.EventID)
	if trawl.ErrorCode(err) == trawl.ENOTFOUND {
		return river.JobCancel(err)
	} else if err != nil {
		return err
	}
	j, err := w.outbox.Job(ctx, 0, ev.JobID)
	if err != nil {
		return err
	}
	if j.Webhook == nil {
		return river.JobCancel(fmt.Errorf("job %d has no webhook", j.ID))
	}
	res := w.sender.Send(ctx, Message{
		ID:      ev.ID,
		URL:     j.Webhook.URL,
		Headers: j.Webhook.Headers,
		Body:    ev.Payload,
	})
	attempt := &trawl.DeliveryAttempt{
		EventID:         ev.ID,
		JobID:           ev.JobID,
		Attempt:         job.Attempt,
		StatusCode:      res.StatusCode,
		ErrorClass:      res.ErrorClass,
		Error:           res.Error,
		Duration:        res.Duration,
		ResponseExcerpt: res.ResponseExcerpt,
	}
	// The attempt happened; record it even when trawl is shutting down.
	if err := w.outbox.RecordAttempt(context.WithoutCancel(ctx), attempt); err != nil {
		w.log.Error("record delivery attempt", "event", ev.ID, "err", err)
	}
	if res.OK() {
		return nil
	}
	err = fmt.Errorf("deliver %s of job %d (attempt %d): %s", ev.Type, ev.JobID, job.Attempt, res.Error)
	if res.ErrorClass == ClassBlocked || res.ErrorClass == ClassInvalid {
		// Waiting will not make the destination allowed or the message valid.
		return river.JobCancel(err)
	}
	return err
}

// NextRetry implements river.Worker: the configured schedule with jitter.
func (w *Worker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	return time.Now().Add(w.schedule.Delay(job.Attempt+1, w.rnd))
}

// Timeout implements river.Worker. The sender's client enforces the real
// limit; this only keeps a wedged attempt from holding a worker slot.
func (w *Worker) Timeout(*river.Job[DeliverArgs]) time.Duration { return time.Minute }
