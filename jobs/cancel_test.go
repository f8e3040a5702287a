package jobs_test

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/jobs"
	"github.com/trawlhq/trawl/scrape"
)

// chain is a scraper of two tasks: "0" yields a row and finds "1", which
// yields a row.
type chain struct {
	mu   sync.Mutex
	runs map[string]int
}

func (c *chain) Info() scrape.Info { return scrape.Info{Slug: "chain", Name: "Chain"} }

func (c *chain) Parse(json.RawMessage) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }

func (c *chain) Plan(*trawl.Job) ([]trawl.TaskSpec, error) {
	return []trawl.TaskSpec{{Key: "0"}}, nil
}

func (c *chain) Run(_ context.Context, _ *trawl.Job, t *trawl.Task) (*scrape.Result, error) {
	c.mu.Lock()
	c.runs[t.Key]++
	c.mu.Unlock()
	res := &scrape.Result{Credits: 1, Rows: []json.RawMessage{json.RawMessage(`{"task":"` + t.Key + `"}`)}}
	if t.Key == "0" {
		res.Next = []trawl.TaskSpec{{Key: "1"}}
	}
	return res, nil
}

// TestCancelAtInsertKeepsOutcome cancels a task's context at the very moment
// its outcome enqueues the next task, inside the transaction that stores its
// rows. The fetch is done, so the outcome must commit all the same: the
// task runs once and the job ends with both rows.
func TestCancelAtInsertKeepsOutcome(t *testing.T) {
	t.Parallel()
	taskKind := jobs.TaskArgs{}.Kind()
	var cancelTask atomic.Pointer[context.CancelFunc]
	var cancels atomic.Int64
	work := river.WorkerMiddlewareFunc(func(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
		if job.Kind != taskKind {
			return doInner(ctx)
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		cancelTask.Store(&cancel)
		return doInner(ctx)
	})
	insert := river.JobInsertMiddlewareFunc(func(ctx context.Context, params []*rivertype.JobInsertParams,
		doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
		for _, p := range params {
			if p.Kind != taskKind {
				continue
			}
			if cancel := cancelTask.Swap(nil); cancel != nil {
				(*cancel)() // the running task's context ends now
				cancels.Add(1)
			}
		}
		return doInner(ctx)
	})
	c := &chain{runs: map[string]int{}}
	h := newHarness(t, c, harnessOptions{middleware: []rivertype.Middleware{work, insert}})
	job, err := h.svc.Create(t.Context(), h.acc.ID, "chain", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	end := h.waitEnd(t, job.ID)
	if cancels.Load() == 0 {
		t.Fatal("no task was cancelled at its insert: the test proves nothing")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if end.Status != trawl.StatusFinished || end.DataRowsCount != 2 || c.runs["0"] != 1 || c.runs["1"] != 1 {
		t.Fatalf("job %+v after runs %v; want finished with 2 rows, each task run once", end, c.runs)
	}
}
