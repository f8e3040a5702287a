package webhook

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
)

// A job without a webhook still has events: they are stored in state
// trawl.EventNone, never enqueued, so that the account's event stream (GET
// /events, and `trawl listen` over it) shows them, and a job can be
// developed against listen before it has a public URL. Its data events do
// not copy rows: each names a range of the job's stored rows (RowRange),
// which ExpandBody reads back when the event is shown, so such a job's
// events take a few hundred bytes per MaxRows rows. They are made when a
// batch of MaxRows rows is full, when rows are stored while earlier ones
// have waited a batching window, and when the job ends (no flush is
// scheduled for such a job), under the name scraper.data.scraped only.

// RowRange names the rows of a data event of a job without a webhook:
// those whose sequence number is in (After, Through].
type RowRange struct {
	After   int64 `json:"after"`
	Through int64 `json:"through"`
}

// rangePayload is the stored payload of such a data event: the payload
// without rows, plus the range they come from.
type rangePayload struct {
	Payload
	Rows *RowRange `json:"trawlRowRange,omitempty"`
}

// recordNone stores an event of type typ of a job without a webhook.
func (s *Service) recordNone(tx store.Tx, job *trawl.Job, typ string) error {
	ev, err := NewEvent(job, typ, nil, s.c.Now())
	if err != nil {
		return err
	}
	ev.AccountID = job.AccountID
	ev.State = trawl.EventNone
	return tx.InsertEvents(ev)
}

// recordRows makes data events of the full batches of rows of a job
// without a webhook.
func (s *Service) recordRows(tx store.Tx, job *trawl.Job) error {
	o, err := tx.Outbox(job.ID)
	if err != nil {
		return err
	}
	waiting := job.DataRowsCount - o.RowsEventedSeq
	if waiting <= 0 {
		return nil
	}
	all := false
	if waiting < int64(s.c.Batch.MaxRows) {
		// Not a full batch: the rows go now if the oldest of them has
		// waited a batching window (no flush is scheduled for such a job,
		// so a job that stores no more rows has them at its end).
		first, err := tx.RowsAfter(job.ID, o.RowsEventedSeq, 1)
		if err != nil || len(first) == 0 || s.c.Now().Sub(first[0].CreatedAt) < s.c.Batch.Window {
			return err
		}
		all = true
	}
	if err := s.recordRanges(tx, job, o, all); err != nil {
		return err
	}
	return tx.UpdateOutbox(o)
}

// recordEnd makes the last data events and the finished event of a job
// without a webhook, once.
func (s *Service) recordEnd(tx store.Tx, job *trawl.Job) error {
	o, err := tx.Outbox(job.ID)
	if err != nil || o.FinishWritten {
		return err
	}
	if err := s.recordRanges(tx, job, o, true); err != nil {
		return err
	}
	if err := s.recordNone(tx, job, trawl.EventJobFinished); err != nil {
		return err
	}
	o.FinishWritten = true
	return tx.UpdateOutbox(o)
}

// recordRanges stores a data event per MaxRows rows not in one yet (and,
// with all, one more for the rest). The caller writes o.
func (s *Service) recordRanges(tx store.Tx, job *trawl.Job, o *trawl.Outbox, all bool) error {
	size := int64(s.c.Batch.MaxRows)
	for {
		waiting := job.DataRowsCount - o.RowsEventedSeq
		if waiting <= 0 || (waiting < size && !all) {
			return nil
		}
		r := RowRange{After: o.RowsEventedSeq, Through: o.RowsEventedSeq + min(waiting, size)}
		ev, err := NewEvent(job, trawl.EventDataScraped, nil, s.c.Now())
		if err != nil {
			return err
		}
		var p rangePayload
		if err := json.Unmarshal(ev.Payload, &p.Payload); err != nil {
			return err
		}
		p.Rows = &r
		if ev.Payload, err = json.Marshal(p); err != nil {
			return err
		}
		ev.AccountID = job.AccountID
		ev.State = trawl.EventNone
		if err := tx.InsertEvents(ev); err != nil {
			return err
		}
		o.RowsEventedSeq = r.Through
	}
}

// RowsFunc reads the inner row objects of a job's rows in (after,
// through], in order.
type RowsFunc func(ctx context.Context, jobID, after, through int64) ([]json.RawMessage, error)

// ExpandBody is the body of e as a delivery would carry it, for an event
// that names its rows by range (a data event of a job without a webhook):
// the rows are read with rows and put under "data". Any other event's
// payload is returned as it is.
func ExpandBody(ctx context.Context, e *trawl.Event, rows RowsFunc) ([]byte, error) {
	if e.State != trawl.EventNone || e.Type != trawl.EventDataScraped {
		return e.Payload, nil
	}
	var p rangePayload
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return nil, fmt.Errorf("read payload of event %s: %w", e.ID, err)
	}
	if p.Rows == nil {
		return e.Payload, nil
	}
	data, err := rows(ctx, e.JobID, p.Rows.After, p.Rows.Through)
	if err != nil {
		return nil, fmt.Errorf("rows of event %s: %w", e.ID, err)
	}
	p.Payload.Data = nonNil(data)
	return json.Marshal(p.Payload)
}
