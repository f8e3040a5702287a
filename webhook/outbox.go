package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
)

// Batch bounds the data events: a job's new rows go out when MaxRows of them
// are waiting or Window after the first of them was stored, whichever comes
// first, split so that no event's body is over MaxBytes. So a job of 10,000
// rows is not 10,000 requests, no body is huge, and a slow job's rows are not
// held back for long.
type Batch struct {
	MaxRows  int           // default 100
	MaxBytes int           // default 1 MiB (at least 4 KiB)
	Window   time.Duration // default 2s
}

func (b Batch) withDefaults() Batch {
	if b.MaxRows <= 0 {
		b.MaxRows = 100
	}
	if b.MaxBytes <= 0 {
		b.MaxBytes = 1 << 20
	}
	b.MaxBytes = max(b.MaxBytes, 4<<10)
	if b.Window <= 0 {
		b.Window = 2 * time.Second
	}
	return b
}

// FlushArgs puts a job's rows that no data event carries yet into data
// events, at the end of the batching window.
type FlushArgs struct {
	JobID int64 `json:"jobId"`
}

// Kind implements river.JobArgs.
func (FlushArgs) Kind() string { return "trawl_job_flush_rows" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (FlushArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueWebhook, MaxAttempts: riverMaxAttempts}
}

// JobStarted writes the job's started event, if its webhook wants it. It
// runs in the transaction that started the job.
func (s *Service) JobStarted(tx store.Tx, job *trawl.Job) error {
	if job.Webhook == nil {
		return s.recordNone(tx, job, trawl.EventJobStarted)
	}
	if !job.Webhook.Subscribed(trawl.EventJobStarted) {
		return nil
	}
	ev, err := NewEvent(job, trawl.EventJobStarted, nil, s.c.Now())
	if err != nil {
		return err
	}
	o, err := tx.Outbox(job.ID)
	if err != nil {
		return err
	}
	if err := s.emit(tx, job, o, []*trawl.Event{ev}); err != nil {
		return err
	}
	return tx.UpdateOutbox(o)
}

// RowsStored is told that the transaction stored rows of job (its
// DataRowsCount already counts them). The rows go into data events when a
// batch is full; otherwise a flush at the end of the batching window is made
// sure of.
func (s *Service) RowsStored(tx store.Tx, job *trawl.Job) error {
	if job.Webhook == nil {
		return s.recordRows(tx, job)
	}
	o, err := tx.Outbox(job.ID)
	if err != nil {
		return err
	}
	waiting := job.DataRowsCount - o.RowsEventedSeq
	switch {
	case waiting <= 0:
		return nil
	case len(dataEventNames(job)) == 0:
		o.RowsEventedSeq = job.DataRowsCount // nobody wants rows: no event, no flush
	case waiting >= int64(s.c.Batch.MaxRows):
		if err := s.flush(tx, job, o); err != nil {
			return err
		}
	case !o.FlushScheduled:
		at := s.c.Now().Add(s.c.Batch.Window)
		if err := tx.Enqueue(river.InsertManyParams{Args: FlushArgs{JobID: job.ID}, InsertOpts: &river.InsertOpts{ScheduledAt: at}}); err != nil {
			return fmt.Errorf("schedule row flush of job %d: %w", job.ID, err)
		}
		o.FlushScheduled = true
	default:
		return nil
	}
	return tx.UpdateOutbox(o)
}

// JobEnded is told that job is terminal with no task in flight. Its
// remaining rows go into data events, then its finished event is written,
// once: a second call changes nothing.
func (s *Service) JobEnded(tx store.Tx, job *trawl.Job) error {
	if job.Webhook == nil {
		return s.recordEnd(tx, job)
	}
	o, err := tx.Outbox(job.ID)
	if err != nil || o.FinishWritten {
		return err
	}
	if err := s.flush(tx, job, o); err != nil {
		return err
	}
	o.FinishWritten = true
	if job.Webhook.Subscribed(trawl.EventJobFinished) {
		ev, err := NewEvent(job, trawl.EventJobFinished, nil, s.c.Now())
		if err != nil {
			return err
		}
		if err := s.emit(tx, job, o, []*trawl.Event{ev}); err != nil {
			return err
		}
	}
	return tx.UpdateOutbox(o)
}

// flushWorker runs FlushArgs.
type flushWorker struct {
	river.WorkerDefaults[FlushArgs]
	s *Service
}

// Work puts the job's waiting rows into data events.
func (w *flushWorker) Work(ctx context.Context, rj *river.Job[FlushArgs]) error {
	return w.s.withOutbox(ctx, rj.Args.JobID, func(tx store.Tx, job *trawl.Job, o *trawl.Outbox) error {
		o.FlushScheduled = false
		if err := w.s.flush(tx, job, o); err != nil {
			return err
		}
		return tx.UpdateOutbox(o)
	})
}

// withOutbox runs fn in a transaction on a job and its outbox, both locked
// (the job first, as the jobs service locks them). A job that is gone
// cancels the River job that asked.
func (s *Service) withOutbox(ctx context.Context, jobID int64, fn func(store.Tx, *trawl.Job, *trawl.Outbox) error) error {
	err := s.c.Store.InTx(context.WithoutCancel(ctx), func(tx store.Tx) error {
		job, err := tx.Job(jobID)
		if err != nil {
			return err
		}
		o, err := tx.Outbox(job.ID)
		if err != nil {
			return err
		}
		return fn(tx, job, o)
	})
	if trawl.ErrorCode(err) == trawl.ENOTFOUND {
		return river.JobCancel(err)
	}
	return err
}

// ReleaseArgs releases a job's events that no longer have to wait, after
// one of its events ended.
type ReleaseArgs struct {
	JobID int64 `json:"jobId"`
}

// Kind implements river.JobArgs.
func (ReleaseArgs) Kind() string { return "trawl_webhook_release" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (ReleaseArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueWebhook, MaxAttempts: riverMaxAttempts}
}

// releaseWorker runs ReleaseArgs.
type releaseWorker struct {
	river.WorkerDefaults[ReleaseArgs]
	s *Service
}

// Work releases the job's events that may go now, under the outbox's lock.
func (w *releaseWorker) Work(ctx context.Context, rj *river.Job[ReleaseArgs]) error {
	return w.s.withOutbox(ctx, rj.Args.JobID, w.s.release)
}

// dataEventNames lists the data events (under either name) the job's webhook
// wants.
func dataEventNames(job *trawl.Job) []string {
	var names []string
	for _, name := range []string{trawl.EventDataScraped, trawl.EventDataRowsAdded} {
		if job.Webhook.Subscribed(name) {
			names = append(names, name)
		}
	}
	return names
}

// payloadOverhead is room left in a data event's body for everything but its
// rows: the event name, ids, counts, timestamp and brackets.
const payloadOverhead = 1024

// rowReference stands in for a row too large for a webhook body: its id and
// where to fetch it.
func (s *Service) rowReference(job *trawl.Job, r *trawl.Row) (json.RawMessage, error) {
	return json.Marshal(map[string]any{
		"rowId":      r.ID,
		"tooLarge":   true,
		"size":       len(r.Data),
		"resultsUrl": fmt.Sprintf("%s/scrapers/jobs/%d/results?page=%d&limit=1", s.c.PublicURL, job.ID, r.Seq),
	})
}

// flush puts every row of job that no data event carries yet into data
// events, split so that none holds more than MaxRows rows or MaxBytes of
// body; a row too large for any body goes as a reference to where it can be
// fetched. The caller writes o.
func (s *Service) flush(tx store.Tx, job *trawl.Job, o *trawl.Outbox) error {
	names := dataEventNames(job)
	if len(names) == 0 {
		o.RowsEventedSeq = max(o.RowsEventedSeq, job.DataRowsCount)
		return nil
	}
	now := s.c.Now()
	budget := s.c.Batch.MaxBytes - payloadOverhead
	var events []*trawl.Event
	emit := func(batch []json.RawMessage) error {
		for _, name := range names {
			ev, err := NewEvent(job, name, batch, now)
			if err != nil {
				return err
			}
			events = append(events, ev)
		}
		return nil
	}
	for o.RowsEventedSeq < job.DataRowsCount {
		rows, err := tx.RowsAfter(job.ID, o.RowsEventedSeq, int64(s.c.Batch.MaxRows))
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return fmt.Errorf("job %d: rows after %d are missing", job.ID, o.RowsEventedSeq)
		}
		var batch []json.RawMessage
		size := 0
		for _, r := range rows {
			data := r.Data
			if len(data) > budget {
				// Too large for any body: send where to fetch it instead.
				ref, err := s.rowReference(job, r)
				if err != nil {
					return err
				}
				data = ref
			}
			if len(batch) > 0 && size+len(data)+1 > budget {
				if err := emit(batch); err != nil {
					return err
				}
				batch, size = nil, 0
			}
			batch = append(batch, data)
			size += len(data) + 1
		}
		if err := emit(batch); err != nil {
			return err
		}
		o.RowsEventedSeq = rows[len(rows)-1].Seq
	}
	return s.emit(tx, job, o, events)
}

// open is the states of an event that has not ended.
var open = []trawl.EventState{trawl.EventWaiting, trawl.EventPending}

// anyEvent reports whether the job has an event that f selects. With
// f.Lock it locks every such event (a job's open events are few but for a
// backlog of data events, asked for only by the finished event).
func anyEvent(tx store.Tx, jobID int64, f store.EventFilter) (bool, error) {
	if !f.Lock {
		f.Limit = 1
	}
	found, err := tx.FindEvents(jobID, f)
	return len(found) > 0, err
}

// emit stores new events of job in the outbox and enqueues the delivery of
// those that may go now; the others wait (see release). Per job, the started
// event goes before any other, and the finished event only once every other
// event has ended; an ordered webhook gets one event at a time. o is the
// job's outbox, locked by the transaction; the caller writes it. What is
// asked of the database is whether an event is open, never the list of them,
// so a job with a long backlog costs no more than any other.
func (s *Service) emit(tx store.Tx, job *trawl.Job, o *trawl.Outbox, events []*trawl.Event) error {
	if len(events) == 0 {
		return nil
	}
	var anyOpen, startedOpen *bool // asked at most once each
	ask := func(v **bool, f store.EventFilter) (bool, error) {
		if *v == nil {
			found, err := anyEvent(tx, job.ID, f)
			if err != nil {
				return false, err
			}
			*v = &found
		}
		return **v, nil
	}
	var due []*trawl.Event
	for i, ev := range events {
		ev.AccountID = job.AccountID
		ev.State = trawl.EventPending
		var wait bool
		var err error
		switch {
		case job.Webhook.Ordered || ev.Type == trawl.EventJobFinished:
			// One at a time, or last: anything open comes first. The open
			// events are locked, so that one ending now waits for this
			// transaction and then sees the event that waits for it.
			wait = i > 0
			if !wait {
				wait, err = ask(&anyOpen, store.EventFilter{States: open, Lock: true})
			}
		case ev.Type != trawl.EventJobStarted:
			// The started event comes first.
			for _, before := range events[:i] {
				wait = wait || before.Type == trawl.EventJobStarted
			}
			if !wait {
				wait, err = ask(&startedOpen, store.EventFilter{States: open, Type: trawl.EventJobStarted, Lock: true})
			}
		}
		if err != nil {
			return err
		}
		if wait {
			ev.State = trawl.EventWaiting
			o.Waiting++
		} else {
			due = append(due, ev)
		}
	}
	// Inserted together, after the questions: none of them asks about an
	// event of this batch.
	if err := tx.InsertEvents(events...); err != nil {
		return err
	}
	if err := tx.Enqueue(s.deliveries(job, due)...); err != nil {
		return fmt.Errorf("enqueue deliveries of job %d: %w", job.ID, err)
	}
	return nil
}

// release moves to pending, and enqueues, the events of job that no longer
// have to wait, now that one of its events has ended. o is the job's outbox,
// read (and on PostgreSQL locked) in this transaction, which orders this
// against emit; release writes it when it changes.
func (s *Service) release(tx store.Tx, job *trawl.Job, o *trawl.Outbox) error {
	if o.Waiting == 0 {
		return nil
	}
	var due []*trawl.Event
	if job.Webhook.Ordered {
		pending, err := anyEvent(tx, job.ID, store.EventFilter{States: []trawl.EventState{trawl.EventPending}})
		if err != nil || pending {
			return err
		}
		if due, err = tx.FindEvents(job.ID, store.EventFilter{States: []trawl.EventState{trawl.EventWaiting}, Limit: 1}); err != nil {
			return err
		}
	} else {
		started, err := anyEvent(tx, job.ID, store.EventFilter{States: open, Type: trawl.EventJobStarted})
		if err != nil {
			return err
		}
		if !started {
			// Everything that waited for the started event goes now.
			if due, err = tx.FindEvents(job.ID, store.EventFilter{States: []trawl.EventState{trawl.EventWaiting},
				ExceptType: trawl.EventJobFinished}); err != nil {
				return err
			}
		}
		others := len(due) > 0 || started
		if !others {
			if others, err = anyEvent(tx, job.ID, store.EventFilter{States: open, ExceptType: trawl.EventJobFinished}); err != nil {
				return err
			}
		}
		if !others {
			finished, err := tx.FindEvents(job.ID, store.EventFilter{States: []trawl.EventState{trawl.EventWaiting},
				Type: trawl.EventJobFinished})
			if err != nil {
				return err
			}
			due = append(due, finished...)
		}
	}
	if len(due) == 0 {
		return nil
	}
	for _, ev := range due {
		ev.State = trawl.EventPending
		if err := tx.UpdateEvent(ev); err != nil {
			return err
		}
		o.Waiting--
	}
	if err := tx.Enqueue(s.deliveries(job, due)...); err != nil {
		return fmt.Errorf("enqueue deliveries of job %d: %w", job.ID, err)
	}
	return tx.UpdateOutbox(o)
}

// deliveries returns the River insert parameters for the first attempts at
// delivering events of job: one delivery job per batch of them.
func (s *Service) deliveries(job *trawl.Job, events []*trawl.Event) []river.InsertManyParams {
	attempts := DefaultMaxAttempts
	if job.Webhook != nil && job.Webhook.MaxAttempts > 0 {
		attempts = job.Webhook.MaxAttempts
	}
	var out []river.InsertManyParams
	for batch := range slices.Chunk(events, batchEvents) {
		args := DeliverArgs{Attempt: 1, MaxAttempts: attempts}
		if len(batch) == 1 {
			args.EventID = batch[0].ID
		} else {
			for _, e := range batch {
				args.Events = append(args.Events, e.ID)
			}
		}
		out = append(out, river.InsertManyParams{Args: args})
	}
	return out
}

// Emit stores events of job built by NewEvent, in tx, and enqueues those
// that may go now, under the same ordering rules as the events the service
// builds itself. The jobs service never needs it (it reports what happened
// instead); it is for tools that send events of their choosing, such as the
// delivery benchmark.
func (s *Service) Emit(tx store.Tx, job *trawl.Job, events []*trawl.Event) error {
	o, err := tx.Outbox(job.ID)
	if err != nil {
		return err
	}
	if err := s.emit(tx, job, o, events); err != nil {
		return err
	}
	return tx.UpdateOutbox(o)
}
