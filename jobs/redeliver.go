package jobs

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
	"github.com/trawlhq/trawl/webhook"
)

// Redeliver sends one event of the account's job again: one more attempt,
// under the same webhook-id. An event still pending is a conflict. A job
// whose receiver answered 410 Gone gets its webhook back: asking for a
// redelivery says the receiver is there again.
func (s *Service) Redeliver(ctx context.Context, accountID, jobID int64, eventID string) (*trawl.Event, error) {
	var out *trawl.Event
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		job, err := accountJob(tx, accountID, jobID)
		if err != nil {
			return err
		}
		e, err := tx.Event(eventID)
		if err != nil {
			return err
		}
		if e.JobID != jobID {
			return trawl.Errorf(trawl.ENOTFOUND, "Delivery %q not found for job %d.", eventID, jobID)
		}
		if e.State == trawl.EventPending {
			return trawl.Errorf(trawl.ECONFLICT, "Delivery %q is still pending: attempt %d is due.", eventID, e.Attempts+1)
		}
		out = e
		return s.redeliver(ctx, tx, job, []*trawl.Event{e})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RedeliverFailed sends again every event of the account's job whose
// attempts ran out, and returns them.
func (s *Service) RedeliverFailed(ctx context.Context, accountID, jobID int64) ([]*trawl.Event, error) {
	events, err := s.store.Events(ctx, jobID)
	if err != nil {
		return nil, err
	}
	var failed []*trawl.Event
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		job, err := accountJob(tx, accountID, jobID)
		if err != nil {
			return err
		}
		failed = failed[:0]
		for _, ev := range events {
			if ev.State != trawl.EventFailed {
				continue
			}
			e, err := tx.Event(ev.ID) // re-read: it may have moved since
			if err != nil {
				return err
			}
			if e.State == trawl.EventFailed {
				failed = append(failed, e)
			}
		}
		return s.redeliver(ctx, tx, job, failed)
	})
	if err != nil {
		return nil, err
	}
	return failed, nil
}

func (s *Service) redeliver(ctx context.Context, tx store.Tx, job *trawl.Job, events []*trawl.Event) error {
	if len(events) == 0 {
		return nil
	}
	if job.Webhook == nil {
		return trawl.Errorf(trawl.ECONFLICT, "Job %d has no webhook.", job.ID)
	}
	if job.WebhookGoneAt != nil {
		job.WebhookGoneAt = nil
		if err := tx.UpdateJob(job); err != nil {
			return err
		}
	}
	params := make([]river.InsertManyParams, 0, len(events))
	for _, e := range events {
		e.State = trawl.EventPending
		if err := tx.UpdateEvent(e); err != nil {
			return err
		}
		params = append(params, webhook.Redelivery(e))
	}
	if _, err := s.river.InsertManyTx(ctx, tx.SQL(), params); err != nil {
		return fmt.Errorf("enqueue redelivery: %w", err)
	}
	return nil
}
