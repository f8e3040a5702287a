package jobs

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
	"github.com/trawlhq/trawl/webhook"
)

// settle ends a transaction that changed job. It finishes an in-progress job
// whose tasks are all done; puts waiting rows into data events when a batch is
// full, when flush is set or when the job is over (and otherwise makes sure a
// flush is scheduled); writes the finished event once the job is terminal and
// nothing is in flight; then writes the job and enqueues the deliveries.
func (s *Service) settle(ctx context.Context, tx store.Tx, job *trawl.Job, flush bool) error {
	open, err := tx.HasOpenTasks(job.ID)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	if job.Status == trawl.StatusInProgress && !open {
		job.Status, job.FinishedAt = trawl.StatusFinished, &now
	}
	final := job.Status.Terminal() && !open && !job.FinishNotified

	var events []*trawl.Event
	waiting := job.DataRowsCount - job.RowsEventedSeq
	switch {
	case waiting <= 0:
	case len(dataEventNames(job)) == 0:
		job.RowsEventedSeq = job.DataRowsCount // nobody wants rows: no event, no flush

	case final || flush || waiting >= int64(s.batch.MaxRows):
		evs, err := s.dataEvents(tx, job)
		if err != nil {
			return err
		}
		events = append(events, evs...)
	case !job.FlushScheduled:
		_, err := s.river.InsertTx(ctx, tx.SQL(), FlushArgs{JobID: job.ID}, &river.InsertOpts{ScheduledAt: now.Add(s.batch.Window)})
		if err != nil {
			return fmt.Errorf("schedule row flush: %w", err)
		}
		job.FlushScheduled = true
	}
	if final {
		job.FinishNotified = true
		if job.Webhook.Subscribed(trawl.EventJobFinished) {
			ev, err := webhook.NewEvent(job, trawl.EventJobFinished, nil, now)
			if err != nil {
				return err
			}
			events = append(events, ev)
		}
	}
	if err := tx.UpdateJob(job); err != nil {
		return err
	}
	return s.enqueue(ctx, tx, job, events)
}

// notify writes one event of type typ, if the job's webhook wants it.
func (s *Service) notify(ctx context.Context, tx store.Tx, job *trawl.Job, typ string) error {
	if !job.Webhook.Subscribed(typ) {
		return nil
	}
	ev, err := webhook.NewEvent(job, typ, nil, s.now())
	if err != nil {
		return err
	}
	return s.enqueue(ctx, tx, job, []*trawl.Event{ev})
}

// enqueue stores events in the outbox and enqueues their delivery, in tx.
func (s *Service) enqueue(ctx context.Context, tx store.Tx, job *trawl.Job, events []*trawl.Event) error {
	if len(events) == 0 {
		return nil
	}
	for _, ev := range events {
		if err := tx.InsertEvent(ev); err != nil {
			return err
		}
	}
	if _, err := s.river.InsertManyTx(ctx, tx.SQL(), webhook.Deliveries(job, events)); err != nil {
		return fmt.Errorf("enqueue deliveries of job %d: %w", job.ID, err)
	}
	return nil
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
		"resultsUrl": fmt.Sprintf("%s/scrapers/jobs/%d/results?page=%d&limit=1", s.publicURL, job.ID, r.Seq),
	})
}

// dataEvents puts every row of job that no data event carries yet into data
// events, split so that none holds more than MaxRows rows or MaxBytes of
// body; a row too large for any body goes as a
// reference to where it can be fetched. A job whose webhook does not want rows
// only moves its mark.
func (s *Service) dataEvents(tx store.Tx, job *trawl.Job) ([]*trawl.Event, error) {
	job.FlushScheduled = false
	names := dataEventNames(job)
	if len(names) == 0 {
		job.RowsEventedSeq = job.DataRowsCount
		return nil, nil
	}
	now := s.now()
	budget := s.batch.MaxBytes - payloadOverhead
	var events []*trawl.Event
	emit := func(batch []json.RawMessage) error {
		for _, name := range names {
			ev, err := webhook.NewEvent(job, name, batch, now)
			if err != nil {
				return err
			}
			events = append(events, ev)
		}
		return nil
	}
	for job.RowsEventedSeq < job.DataRowsCount {
		rows, err := tx.RowsAfter(job.ID, job.RowsEventedSeq, int64(s.batch.MaxRows))
		if err != nil {
			return nil, err
		}
		if len(rows) == 0 {
			return nil, fmt.Errorf("job %d: rows after %d are missing", job.ID, job.RowsEventedSeq)
		}
		var batch []json.RawMessage
		size := 0
		for _, r := range rows {
			data := r.Data
			if len(data) > budget {
				// Too large for any body: send where to fetch it instead.
				ref, err := s.rowReference(job, r)
				if err != nil {
					return nil, err
				}
				data = ref
			}
			if len(batch) > 0 && size+len(data)+1 > budget {
				if err := emit(batch); err != nil {
					return nil, err
				}
				batch, size = nil, 0
			}
			batch = append(batch, data)
			size += len(data) + 1
		}
		if err := emit(batch); err != nil {
			return nil, err
		}
		job.RowsEventedSeq = rows[len(rows)-1].Seq
	}
	return events, nil
}
