package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
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
		for _, d := range p.Data {
			got = append(got, d.N)
		}
	}
	want := []string{trawl.EventJobStarted, trawl.EventDataScraped, trawl.EventDataScraped, trawl.EventJobFinished}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
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
