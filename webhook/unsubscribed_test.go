package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
	"github.com/trawlhq/trawl/webhook"
)

// TestJobWithoutWebhookRecordsEvents: a job with no webhook gets its
// started, data and finished events stored in state none, never delivered;
// data events name their rows by range (one per full batch while the job
// runs, the rest at its end), and ExpandBody gives each its rows.
func TestJobWithoutWebhookRecordsEvents(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	ctx := t.Context()
	job := &trawl.Job{AccountID: b.account.ID, Scraper: "crawler", Status: trawl.StatusInProgress,
		Input: json.RawMessage(`{}`), Params: json.RawMessage(`{}`)}
	store1 := func(n int) {
		err := b.db.InTx(ctx, func(tx store.Tx) error {
			var data []json.RawMessage
			for i := range n {
				data = append(data, fmt.Appendf(nil, `{"n":%d}`, job.DataRowsCount+int64(i)+1))
			}
			if _, err := tx.InsertRows(job, data); err != nil {
				return err
			}
			job.DataRowsCount += int64(n)
			if err := tx.UpdateJob(job); err != nil {
				return err
			}
			return b.svc.RowsStored(tx, job)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := b.db.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateJob(job); err != nil {
			return err
		}
		return b.svc.JobStarted(tx, job)
	}); err != nil {
		t.Fatal(err)
	}
	store1(60) // no full batch (100) yet: no data event
	store1(90) // one full batch
	store1(10) // 60 waiting
	job.Status = trawl.StatusFinished
	for range 2 { // a second JobEnded changes nothing
		if err := b.db.InTx(ctx, func(tx store.Tx) error {
			if err := tx.UpdateJob(job); err != nil {
				return err
			}
			return b.svc.JobEnded(tx, job)
		}); err != nil {
			t.Fatal(err)
		}
	}

	events, err := b.db.Events(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	var got []int
	rows := func(ctx context.Context, jobID, after, through int64) ([]json.RawMessage, error) {
		list, _, err := b.db.Rows(ctx, jobID, after, through-after)
		var out []json.RawMessage
		for _, r := range list {
			out = append(out, r.Data)
		}
		return out, err
	}
	for _, e := range events {
		types = append(types, e.Type)
		if e.State != trawl.EventNone {
			t.Errorf("event %s (%s) in state %q, want none", e.ID, e.Type, e.State)
		}
		if e.Type != trawl.EventDataScraped {
			continue
		}
		if len(e.Payload) > 400 {
			t.Errorf("a data event stores %d bytes: it copies its rows", len(e.Payload))
		}
		body, err := webhook.ExpandBody(ctx, e, rows)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Event string `json:"event"`
			Data  []struct {
				N int `json:"n"`
			} `json:"data"`
			Range any `json:"trawlRowRange"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		if p.Event != trawl.EventDataScraped || p.Range != nil {
			t.Errorf("expanded body %s", body)
		}
		if len(p.Data) == 0 || len(p.Data) > 100 {
			t.Errorf("a data event of %d rows, want 1 to a batch (100)", len(p.Data))
		}
		for _, d := range p.Data {
			got = append(got, d.N)
		}
	}
	// Started first, finished last, and data events between: at least the
	// full batch and the rest at the end (more if the stores were a
	// batching window apart).
	if n := len(types); n < 4 || types[0] != trawl.EventJobStarted || types[n-1] != trawl.EventJobFinished {
		t.Errorf("events %v", types)
	}
	for _, typ := range types[1 : len(types)-1] {
		if typ != trawl.EventDataScraped {
			t.Errorf("events %v", types)
		}
	}
	if len(got) != 160 || got[0] != 1 || got[159] != 160 {
		t.Errorf("the data events carry %d rows (%v…), want 1..160 in order", len(got), got[:min(len(got), 3)])
	}
	for i := range got {
		if got[i] != i+1 {
			t.Fatalf("row %d is %d", i+1, got[i])
		}
	}
	if n := len(b.attempts(job.ID)); n != 0 {
		t.Errorf("%d delivery attempts for a job without a webhook", n)
	}
	if _, err := b.svc.Redeliver(ctx, b.account.ID, job.ID, events[0].ID); trawl.ErrorCode(err) != trawl.ECONFLICT {
		t.Errorf("redeliver an event of a job without a webhook: %v, want a conflict", err)
	}
}

// TestJobWithoutWebhookRowsAfterAWindow: rows stored while earlier ones
// have waited a batching window go out at once, not at the next full batch.
func TestJobWithoutWebhookRowsAfterAWindow(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	ctx := t.Context()
	later := func() time.Time { return time.Now().Add(time.Hour) } // every stored row has waited long
	svc := webhook.New(webhook.Config{Store: b.db, Now: later})
	job := &trawl.Job{AccountID: b.account.ID, Scraper: "crawler", Status: trawl.StatusInProgress,
		Input: json.RawMessage(`{}`), Params: json.RawMessage(`{}`)}
	for i := range 3 {
		err := b.db.InTx(ctx, func(tx store.Tx) error {
			if i == 0 {
				if err := tx.CreateJob(job); err != nil {
					return err
				}
			}
			if _, err := tx.InsertRows(job, []json.RawMessage{json.RawMessage(`{}`), json.RawMessage(`{}`)}); err != nil {
				return err
			}
			job.DataRowsCount += 2
			if err := tx.UpdateJob(job); err != nil {
				return err
			}
			return svc.RowsStored(tx, job)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	events, err := b.db.Events(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 {
		t.Fatalf("%d data events for 3 stores of rows that had waited, want 3", len(events))
	}
}
