package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
)

// testDeliveryBatch stores a batch of events in one call, reads them back
// for delivery in one call, and records attempts at them together.
func testDeliveryBatch(t *testing.T, s store.Store) {
	a := mustAccount(t, s, "a")
	j := mustJob(t, s, a.ID, nil)
	other := mustJob(t, s, a.ID, nil)
	const n = 600 // more than one statement's worth
	events := make([]*trawl.Event, n)
	for i := range events {
		events[i] = &trawl.Event{ID: fmt.Sprintf("b%d-%03d", j.ID, i), AccountID: a.ID, JobID: j.ID, Type: trawl.EventDataScraped,
			Payload: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))}
	}
	stray := &trawl.Event{ID: fmt.Sprintf("b%d-other", other.ID), AccountID: a.ID, JobID: other.ID, Type: trawl.EventJobStarted,
		Payload: json.RawMessage(`{}`)}
	err := s.InTx(ctx(t), func(tx store.Tx) error {
		if err := tx.InsertEvents(events...); err != nil {
			return err
		}
		return tx.InsertEvents(stray)
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range events {
		if e.Seq == 0 || e.State != trawl.EventPending || (i > 0 && e.Seq <= events[i-1].Seq) {
			t.Fatalf("event %d: seq %d state %q after insert (previous seq %d)", i, e.Seq, e.State, events[max(i-1, 0)].Seq)
		}
	}
	stored, err := s.Events(ctx(t), j.ID)
	if err != nil || len(stored) != n || string(stored[599].Payload) != `{"n":599}` || stored[5].ID != events[5].ID {
		t.Fatalf("stored events: %d, %v", len(stored), err)
	}

	// Read for delivery: asked in any order, answered in creation order;
	// unknown ids are left out.
	ids := []string{events[3].ID, "nope", events[1].ID, events[2].ID}
	d, err := s.Delivery(ctx(t), ids...)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range d.Events {
		got = append(got, e.ID)
	}
	if want := []string{events[1].ID, events[2].ID, events[3].ID}; !slices.Equal(got, want) || d.Job.ID != j.ID ||
		d.Account.ID != a.ID || string(d.Events[0].Payload) != `{"n":1}` {
		t.Fatalf("delivery of %v: events %v job %d account %d", ids, got, d.Job.ID, d.Account.ID)
	}
	if _, err := s.Delivery(ctx(t), events[0].ID, stray.ID); err == nil {
		t.Error("events of two jobs were read as one delivery")
	}
	_, err = s.Delivery(ctx(t), "nope", "nada")
	wantCode(t, err, trawl.ENOTFOUND)

	// Attempts at three events recorded together: two delivered, one to
	// retry.
	at := time.Now().UTC().Truncate(time.Microsecond)
	err = s.InTx(ctx(t), func(tx store.Tx) error {
		locked, err := tx.LockEvents([]string{events[2].ID, events[1].ID, "nope", events[3].ID})
		if err != nil {
			return err
		}
		if len(locked) != 3 || locked[0].ID != events[1].ID || locked[2].ID != events[3].ID {
			return fmt.Errorf("locked %d events, first %s", len(locked), locked[0].ID)
		}
		var attempts []*trawl.DeliveryAttempt
		for i, e := range locked {
			e.Attempts = 1
			code := 200
			if i == 2 {
				code = 503
			} else {
				e.State, e.DeliveredAt = trawl.EventDelivered, &at
			}
			attempts = append(attempts, &trawl.DeliveryAttempt{EventID: e.ID, JobID: j.ID, Attempt: 1, StatusCode: code,
				Duration: time.Millisecond})
		}
		if err := tx.RecordAttempts(attempts); err != nil {
			return err
		}
		return tx.UpdateEvents(locked)
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []trawl.EventState{trawl.EventDelivered, trawl.EventDelivered, trawl.EventPending} {
		e, err := s.Event(ctx(t), events[i+1].ID)
		if err != nil || e.State != want || e.Attempts != 1 || (want == trawl.EventDelivered) != (e.DeliveredAt != nil) ||
			(e.DeliveredAt != nil && !e.DeliveredAt.Equal(at)) {
			t.Errorf("event %d after the batch: %+v, %v; want %s", i+1, e, err, want)
		}
	}
	if e, _ := s.Event(ctx(t), events[0].ID); e.State != trawl.EventPending || e.Attempts != 0 {
		t.Errorf("an event outside the batch changed: %+v", e)
	}
	log, total, err := s.Attempts(ctx(t), j.ID, 0, 10)
	if err != nil || total != 3 || len(log) != 3 || log[2].StatusCode != 503 {
		t.Fatalf("delivery log: %d of %d, %v", len(log), total, err)
	}
	err = s.InTx(ctx(t), func(tx store.Tx) error {
		return tx.UpdateEvents([]*trawl.Event{{ID: "nope", State: trawl.EventFailed}})
	})
	wantCode(t, err, trawl.ENOTFOUND)
}
