package jobs_test

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/jobs"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/store"
)

// gated is a scraper of ten tasks that each wait for the gate to open.
type gated struct {
	gate    chan struct{}
	started atomic.Int64
}

func (*gated) Info() scrape.Info                              { return scrape.Info{Slug: "gated", Name: "Gated"} }
func (*gated) Parse(json.RawMessage) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }

func (*gated) Plan(*trawl.Job) ([]trawl.TaskSpec, error) {
	specs := make([]trawl.TaskSpec, 10)
	for i := range specs {
		specs[i] = trawl.TaskSpec{Key: string(rune('a' + i))}
	}
	return specs, nil
}

func (g *gated) Run(ctx context.Context, _ *trawl.Job, t *trawl.Task) (*scrape.Result, error) {
	g.started.Add(1)
	select {
	case <-g.gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return &scrape.Result{Credits: 1, Rows: []json.RawMessage{json.RawMessage(`{"key":"` + t.Key + `"}`)}}, nil
}

// rowCounter is a jobs.Observer.
type rowCounter struct {
	mu   sync.Mutex
	rows map[string]int
}

func (c *rowCounter) RowsStored(scraper string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rows[scraper] += n
}

// TestStopWithTasksInFlight stops a job while tasks run and others wait:
// those waiting never run, those running finish and keep their rows, and
// the finished event is written once, when the last of them is done.
func TestStopWithTasksInFlight(t *testing.T) {
	t.Parallel()
	g := &gated{gate: make(chan struct{})}
	counter := &rowCounter{rows: map[string]int{}}
	h := newHarness(t, g, harnessOptions{observer: counter})
	job, err := h.svc.Create(t.Context(), h.acc.ID, "gated", []byte(`{"webhook":{"url":"https://hooks.example.org/x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for g.started.Load() < 4 { // the harness runs 4 tasks at once
		if time.Now().After(deadline) {
			t.Fatalf("%d tasks started", g.started.Load())
		}
		time.Sleep(5 * time.Millisecond) // polling interval
	}
	stopped, err := h.svc.Stop(t.Context(), h.acc.ID, job.ID)
	if err != nil || stopped.Status != trawl.StatusStopped {
		t.Fatalf("stop: %+v, %v", stopped, err)
	}
	if o := h.outbox(t, job.ID); o.FinishWritten {
		t.Fatal("the finished event was written while tasks were in flight")
	}
	close(g.gate)
	end := h.waitEnd(t, job.ID)
	if end.Status != trawl.StatusStopped || end.DataRowsCount != 4 || g.started.Load() != 4 {
		t.Fatalf("job %+v after %d task runs: want stopped with the 4 rows of the tasks in flight", end, g.started.Load())
	}
	counter.mu.Lock()
	if counter.rows["gated"] != 4 {
		t.Errorf("observer saw %d rows, want 4", counter.rows["gated"])
	}
	counter.mu.Unlock()
	events, _ := h.db.Events(t.Context(), job.ID)
	var types []string
	for _, e := range events {
		types = append(types, e.Type)
	}
	if len(types) < 3 || types[0] != trawl.EventJobStarted || types[len(types)-1] != trawl.EventJobFinished {
		t.Errorf("events %v: want started, the rows, finished", types)
	}
}

// TestOrphanedWork checks what happens to work whose job or scraper is
// gone: a start for a missing job is cancelled, a job whose scraper this
// trawl no longer has fails with a clear reason, and its tasks are dropped.
func TestOrphanedWork(t *testing.T) {
	t.Parallel()
	h := newHarness(t, &strict{}, harnessOptions{})
	var gone, running *trawl.Job
	err := h.db.InTx(t.Context(), func(tx store.Tx) error {
		gone = &trawl.Job{AccountID: h.acc.ID, Scraper: "retired", Status: trawl.StatusPending, Input: json.RawMessage(`{}`), Params: json.RawMessage(`{}`)}
		if err := tx.CreateJob(gone); err != nil {
			return err
		}
		running = &trawl.Job{AccountID: h.acc.ID, Scraper: "retired", Status: trawl.StatusInProgress, Input: json.RawMessage(`{}`), Params: json.RawMessage(`{}`)}
		if err := tx.CreateJob(running); err != nil {
			return err
		}
		tasks, err := tx.InsertTasks(running.ID, []trawl.TaskSpec{{Key: "a"}})
		if err != nil {
			return err
		}
		return tx.Enqueue(
			river.InsertManyParams{Args: jobs.StartArgs{JobID: gone.ID}},
			river.InsertManyParams{Args: jobs.StartArgs{JobID: gone.ID + 1000}},
			river.InsertManyParams{Args: jobs.TaskArgs{JobID: running.ID, TaskID: tasks[0].ID}},
			river.InsertManyParams{Args: jobs.TaskArgs{JobID: running.ID, TaskID: tasks[0].ID + 1000}},
		)
	})
	if err != nil {
		t.Fatal(err)
	}
	end := h.waitEnd(t, gone.ID)
	if end.Status != trawl.StatusFailed || end.StopReason != `this trawl has no scraper "retired"` {
		t.Errorf("job of a retired scraper: %+v", end)
	}
	var left int
	deadline := time.Now().Add(20 * time.Second)
	for {
		if err := h.db.Write.QueryRow(`SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded')`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d River jobs still open: orphaned work was not dropped", left)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
}
