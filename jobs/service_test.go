package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/engine"
	"github.com/trawlhq/trawl/jobs"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/store"
	"github.com/trawlhq/trawl/store/sqlite"
	"github.com/trawlhq/trawl/webhook"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fake is a scraper whose tasks each yield rowsPerTask rows; the task keyed
// "bad" always errors.
type fake struct {
	tasks       int
	rowsPerTask int
	rowBytes    int

	mu   sync.Mutex
	runs map[string]int
}

func (f *fake) Info() scrape.Info { return scrape.Info{Slug: "fake", Name: "Fake"} }

func (f *fake) Parse(body json.RawMessage) (json.RawMessage, error) {
	return json.RawMessage(`{}`), nil
}

func (f *fake) Plan(*trawl.Job) ([]trawl.TaskSpec, error) {
	var specs []trawl.TaskSpec
	for i := range f.tasks {
		specs = append(specs, trawl.TaskSpec{Key: fmt.Sprint(i)})
	}
	specs = append(specs, trawl.TaskSpec{Key: "bad"})
	return specs, nil
}

func (f *fake) Run(_ context.Context, _ *trawl.Job, t *trawl.Task) (*scrape.Result, error) {
	f.mu.Lock()
	f.runs[t.Key]++
	f.mu.Unlock()
	if t.Key == "bad" {
		return nil, errors.New("always fails")
	}
	res := &scrape.Result{Credits: 1}
	for i := range f.rowsPerTask {
		row, _ := json.Marshal(map[string]any{"task": t.Key, "n": i, "pad": strings.Repeat("x", f.rowBytes)})
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

type harness struct {
	db  *sqlite.DB
	svc *jobs.Service
	acc *trawl.Account
}

// accept answers every webhook delivery with 204, without a network.
type accept struct{}

func (accept) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: r}, nil
}

type harnessOptions struct {
	batch      webhook.Batch
	middleware []rivertype.Middleware
	observer   jobs.Observer
}

func newHarness(t *testing.T, sc scrape.Scraper, o harnessOptions) *harness {
	t.Helper()
	db, err := sqlite.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	if err := db.Migrate(t.Context(), log); err != nil {
		t.Fatal(err)
	}
	hooks := webhook.New(webhook.Config{
		Store:     db,
		Sender:    &webhook.Sender{Client: &http.Client{Transport: accept{}}, UserAgent: "trawl/test"},
		Logger:    log,
		Batch:     o.batch,
		PublicURL: "http://trawl.test",
	})
	svc := jobs.NewService(jobs.Config{Store: db, Scrapers: scrape.NewRegistry(sc), Events: hooks, Logger: log, Observer: o.observer})
	eng, err := engine.New(engine.Config{
		DB:          db,
		Logger:      log,
		Handlers:    []engine.Handler{svc, hooks},
		Queues:      map[string]int{jobs.QueueScrape: 4, webhook.QueueWebhook: 4, webhook.QueueWebhookRetry: 1},
		RetryPolicy: fastRetry{},
		Middleware:  o.middleware,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancelStop := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancelStop()
		if err := eng.Stop(stop); err != nil {
			t.Errorf("stop engine: %v", err)
		}
		_ = db.Close()
	})
	acc, err := db.CreateAccount(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}
	return &harness{db: db, svc: svc, acc: acc}
}

// outbox reads a job's webhook bookkeeping.
func (h *harness) outbox(t *testing.T, id int64) *trawl.Outbox {
	t.Helper()
	var o *trawl.Outbox
	err := h.db.InTx(t.Context(), func(tx store.Tx) error {
		var err error
		o, err = tx.Outbox(id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// fastRetry retries failed tasks after a few milliseconds, not River's
// seconds.
type fastRetry struct{}

func (fastRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(5 * time.Millisecond) }

func (h *harness) waitEnd(t *testing.T, id int64) *trawl.Job {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		// The job's last transaction ends its last task and writes its
		// finished event: read those first, and the job read after them is
		// at least that new. (A stopped job is terminal before its tasks in
		// flight are done.)
		var open, written bool
		err := h.db.InTx(t.Context(), func(tx store.Tx) error {
			var err error
			if open, err = tx.HasOpenTasks(id); err != nil {
				return err
			}
			o, err := tx.Outbox(id)
			written = err == nil && o.FinishWritten
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		j, err := h.db.Job(t.Context(), 0, id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status.Terminal() && !open && (j.Webhook == nil || written) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d did not end: %+v", id, j)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
}

// TestLimitWithManyRowsPerTask checks that a limit cuts a task's rows
// exactly, and that a task out of attempts does not keep the job open.
func TestLimitWithManyRowsPerTask(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		limit, want int64
		reason      string
	}{
		{limit: 0, want: 60},
		{limit: 23, want: 23, reason: trawl.StopReasonLimit},
		{limit: 60, want: 60, reason: trawl.StopReasonLimit},
		{limit: 1000, want: 60},
	} {
		t.Run(fmt.Sprint(tt.limit), func(t *testing.T) {
			t.Parallel()
			f := &fake{tasks: 3, rowsPerTask: 20, runs: map[string]int{}}
			h := newHarness(t, f, harnessOptions{})
			job, err := h.svc.Create(t.Context(), h.acc.ID, "fake", fmt.Appendf(nil, `{"limit": %d}`, tt.limit))
			if err != nil {
				t.Fatal(err)
			}
			end := h.waitEnd(t, job.ID)
			if end.DataRowsCount != tt.want || end.Status != trawl.StatusFinished || end.StopReason != tt.reason {
				t.Fatalf("job ended %+v, want %d rows, finished, stop reason %q", end, tt.want, tt.reason)
			}
			rows, total, err := h.db.Rows(t.Context(), job.ID, 0, 1000)
			if err != nil || int64(len(rows)) != tt.want || total != tt.want {
				t.Fatalf("%d rows stored (total %d), %v; want %d", len(rows), total, err, tt.want)
			}
			// Nobody wants these rows (no webhook): no flush is ever scheduled.
			var flushes int
			if err := h.db.Write.QueryRow(`SELECT count(*) FROM river_job WHERE kind = ?`, webhook.FlushArgs{}.Kind()).Scan(&flushes); err != nil || flushes != 0 {
				t.Errorf("%d row flushes scheduled for a job without a webhook (%v), want 0", flushes, err)
			}
			if tt.reason == "" {
				f.mu.Lock()
				bad := f.runs["bad"]
				f.mu.Unlock()
				if bad != 5 {
					t.Errorf("the failing task ran %d times, want its 5 attempts", bad)
				}
			}
		})
	}
}

// TestDataEventsSplitBySize checks that rows are batched into events that
// stay under the body limit, and that a row too large for any body goes as
// a reference.
func TestDataEventsSplitBySize(t *testing.T) {
	t.Parallel()
	f := &fake{tasks: 4, rowsPerTask: 10, rowBytes: 1000, runs: map[string]int{}}
	h := newHarness(t, f, harnessOptions{batch: webhook.Batch{MaxRows: 100, MaxBytes: 8 << 10}})
	job, err := h.svc.Create(t.Context(), h.acc.ID, "fake", []byte(`{"webhook": {"url": "https://hooks.example.org/x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	end := h.waitEnd(t, job.ID)
	events, err := h.db.Events(t.Context(), job.ID)
	if err != nil {
		t.Fatal(err)
	}
	var rows int
	var types []string
	for _, e := range events {
		types = append(types, e.Type)
		if len(e.Payload) > 8<<10 {
			t.Errorf("%s event of %d bytes, over the 8 KiB limit", e.Type, len(e.Payload))
		}
		if e.Type == trawl.EventDataScraped {
			var p struct{ Data []json.RawMessage }
			if err := json.Unmarshal(e.Payload, &p); err != nil {
				t.Fatal(err)
			}
			rows += len(p.Data)
		}
	}
	if int64(rows) != end.DataRowsCount || rows != 40 {
		t.Errorf("data events carry %d rows, job has %d", rows, end.DataRowsCount)
	}
	if types[0] != trawl.EventJobStarted || types[len(types)-1] != trawl.EventJobFinished || len(types) < 2+5 {
		t.Errorf("events %v: want started first, finished last, rows split in at least 5 events", types)
	}

	huge := &fake{tasks: 1, rowsPerTask: 1, rowBytes: 20 << 10, runs: map[string]int{}}
	h2 := newHarness(t, huge, harnessOptions{batch: webhook.Batch{MaxBytes: 8 << 10}})
	job2, err := h2.svc.Create(t.Context(), h2.acc.ID, "fake", []byte(`{"webhook": {"url": "https://hooks.example.org/x", "events": ["scraper.data.scraped"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	h2.waitEnd(t, job2.ID)
	events, _ = h2.db.Events(t.Context(), job2.ID)
	if len(events) != 1 {
		t.Fatalf("%d events, want the one data event", len(events))
	}
	var p struct {
		Data []struct {
			RowID      string `json:"rowId"`
			TooLarge   bool   `json:"tooLarge"`
			ResultsURL string `json:"resultsUrl"`
		}
	}
	if err := json.Unmarshal(events[0].Payload, &p); err != nil || len(p.Data) != 1 || !p.Data[0].TooLarge ||
		p.Data[0].RowID == "" || p.Data[0].ResultsURL != fmt.Sprintf("http://trawl.test/scrapers/jobs/%d/results?page=1&limit=1", job2.ID) {
		t.Errorf("reference payload %s: %v", events[0].Payload, err)
	}
}

// TestStopBeforeStart stops a job whose start has not run: it ends stopped,
// with a finished event and no started event.
func TestStopBeforeStart(t *testing.T) {
	t.Parallel()
	f := &fake{tasks: 2, rowsPerTask: 1, runs: map[string]int{}}
	h := newHarness(t, f, harnessOptions{})
	var job *trawl.Job
	// Create and stop in one go: the start job may or may not have run; both
	// orders must end the same way.
	job, err := h.svc.Create(t.Context(), h.acc.ID, "fake", []byte(`{"webhook": {"url": "https://hooks.example.org/x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	stopped, err := h.svc.Stop(t.Context(), h.acc.ID, job.ID)
	if err != nil || stopped.Status != trawl.StatusStopped {
		t.Fatalf("stop: %+v, %v", stopped, err)
	}
	end := h.waitEnd(t, job.ID)
	if end.Status != trawl.StatusStopped || end.StopReason != trawl.StopReasonStopped {
		t.Fatalf("job ended %+v", end)
	}
	events, _ := h.db.Events(t.Context(), job.ID)
	finished := 0
	for _, e := range events {
		if e.Type == trawl.EventJobFinished {
			finished++
		}
	}
	if finished != 1 {
		t.Errorf("%d finished events, want 1", finished)
	}
	if _, err := h.svc.Stop(t.Context(), h.acc.ID+1, job.ID); trawl.ErrorCode(err) != trawl.ENOTFOUND {
		t.Errorf("another account's stop: %v", err)
	}
}
