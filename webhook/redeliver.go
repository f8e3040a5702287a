package webhook

import (
	"context"

	"github.com/riverqueue/river"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
)

// Redeliver sends one event of the account's job again: one more attempt,
// under the same webhook-id. An event still pending or waiting is a
// conflict. A job whose receiver answered 410 Gone gets its webhook back:
// asking for a redelivery says the receiver is there again.
func (s *Service) Redeliver(ctx context.Context, accountID, jobID int64, eventID string) (*trawl.Event, error) {
	var out *trawl.Event
	err := s.c.Store.InTx(ctx, func(tx store.Tx) error {
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
		switch e.State {
		case trawl.EventPending:
			return trawl.Errorf(trawl.ECONFLICT, "Delivery %q is still pending: attempt %d is due.", eventID, e.Attempts+1)
		case trawl.EventWaiting:
			return trawl.Errorf(trawl.ECONFLICT, "Delivery %q has not been sent yet: it waits for the job's earlier events.", eventID)
		case trawl.EventNone:
			return trawl.Errorf(trawl.ECONFLICT, "Event %q belongs to a job without a webhook: there is nowhere to deliver it.", eventID)
		}
		out = e
		return s.redeliver(tx, job, []*trawl.Event{e})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RedeliverFailed sends again every event of the account's job whose
// attempts ran out, and returns them.
func (s *Service) RedeliverFailed(ctx context.Context, accountID, jobID int64) ([]*trawl.Event, error) {
	events, err := s.c.Store.Events(ctx, jobID)
	if err != nil {
		return nil, err
	}
	var failed []*trawl.Event
	err = s.c.Store.InTx(ctx, func(tx store.Tx) error {
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
		return s.redeliver(tx, job, failed)
	})
	if err != nil {
		return nil, err
	}
	return failed, nil
}

// Attempts lists a page of a job's delivery attempts, oldest first, and
// their total: the delivery log.
func (s *Service) Attempts(ctx context.Context, jobID, offset, limit int64) ([]*trawl.DeliveryAttempt, int64, error) {
	return s.c.Store.Attempts(ctx, jobID, offset, limit)
}

func (s *Service) redeliver(tx store.Tx, job *trawl.Job, events []*trawl.Event) error {
	if len(events) == 0 {
		return nil
	}
	if job.Webhook == nil {
		return trawl.Errorf(trawl.ECONFLICT, "Job %d has no webhook.", job.ID)
	}
	o, err := tx.Outbox(job.ID)
	if err != nil {
		return err
	}
	if o.GoneAt != nil {
		o.GoneAt = nil
		if err := tx.UpdateOutbox(o); err != nil {
			return err
		}
	}
	params := make([]river.InsertManyParams, 0, len(events))
	for _, e := range events {
		e.State = trawl.EventPending
		if err := tx.UpdateEvent(e); err != nil {
			return err
		}
		n := e.Attempts + 1
		params = append(params, river.InsertManyParams{Args: DeliverArgs{EventID: e.ID, Attempt: n, MaxAttempts: n}})
	}
	return tx.Enqueue(params...)
}

// accountJob reads (and on PostgreSQL locks) the account's job id; another
// account's job is ENOTFOUND, exactly like a missing one.
func accountJob(tx store.Tx, accountID, id int64) (*trawl.Job, error) {
	j, err := tx.Job(id)
	if err != nil {
		return nil, err
	}
	if accountID > 0 && j.AccountID != accountID {
		return nil, trawl.Errorf(trawl.ENOTFOUND, "job %d not found", id)
	}
	return j, nil
}
