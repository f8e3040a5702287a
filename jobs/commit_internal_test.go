package jobs

import (
	"encoding/json"
	"testing"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/store"
	"github.com/trawlhq/trawl/store/sqlite"
	"github.com/trawlhq/trawl/store/sqlite/sqlitetest"
)

// noEvents is the webhook service for tests that do not look at events.
type noEvents struct{}

func (noEvents) JobStarted(store.Tx, *trawl.Job) error { return nil }
func (noEvents) RowsStored(store.Tx, *trawl.Job) error { return nil }
func (noEvents) JobEnded(store.Tx, *trawl.Job) error   { return nil }

// running makes a job in progress with tasks a and b, both running, on a
// fresh database, and a service on it with no engine: nothing here enqueues.
func running(t *testing.T, status trawl.Status) (*Service, *sqlite.DB, *trawl.Job, []*trawl.Task) {
	t.Helper()
	db := sqlitetest.Open(t)
	acc, err := db.CreateAccount(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}
	job := &trawl.Job{AccountID: acc.ID, Scraper: "fake", Status: status, Input: json.RawMessage(`{}`),
		Params: json.RawMessage(`{}`)}
	var tasks []*trawl.Task
	err = db.InTx(t.Context(), func(tx store.Tx) error {
		if err := tx.CreateJob(job); err != nil {
			return err
		}
		tasks, err = tx.InsertTasks(job.ID, []trawl.TaskSpec{{Key: "a"}, {Key: "b"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.StartTasks(t.Context(), []int64{tasks[0].ID, tasks[1].ID}); err != nil {
		t.Fatal(err)
	}
	return NewService(Config{Store: db, Scrapers: scrape.NewRegistry(), Events: noEvents{}}), db, job, tasks
}

// TestOutcomesAloneAfterABatchFails stores a batch in which one outcome
// cannot be stored (its job is gone): the batch's transaction fails, and
// each outcome is then stored alone, so the good one keeps its row.
func TestOutcomesAloneAfterABatchFails(t *testing.T) {
	t.Parallel()
	s, db, job, tasks := running(t, trawl.StatusInProgress)
	good := &outcome{taskID: tasks[0].ID, jobID: job.ID, res: &scrape.Result{Credits: 1, Rows: []json.RawMessage{json.RawMessage(`{"n":1}`)}}}
	bad := &outcome{taskID: tasks[1].ID, jobID: job.ID + 1000, res: &scrape.Result{Credits: 1}}
	s.storeOutcomes([]*outcome{good, bad})
	if good.err != nil || good.stored != 1 {
		t.Errorf("the good outcome: stored %d, %v; want 1 row", good.stored, good.err)
	}
	if trawl.ErrorCode(bad.err) != trawl.ENOTFOUND || bad.stored != 0 {
		t.Errorf("the bad outcome: stored %d, %v; want not found", bad.stored, bad.err)
	}
	a, _ := db.Task(t.Context(), tasks[0].ID)
	b, _ := db.Task(t.Context(), tasks[1].ID)
	if a.State != trawl.TaskDone || b.State != trawl.TaskRunning {
		t.Errorf("tasks after: %s and %s, want done and still running", a.State, b.State)
	}
	if j, _ := db.Job(t.Context(), 0, job.ID); j.DataRowsCount != 1 || j.CreditsSpent != 1 {
		t.Errorf("job after: %d rows, %d credits; want 1 and 1", j.DataRowsCount, j.CreditsSpent)
	}
}

// TestClaimOfAStoppedJob claims tasks of a job that was stopped: a pending
// or running task is cancelled and none is handed back to run; a task that
// ended is left as it is.
func TestClaimOfAStoppedJob(t *testing.T) {
	t.Parallel()
	s, db, job, tasks := running(t, trawl.StatusStopped)
	task, got, err := s.claimLocked(t.Context(), tasks[0].ID)
	if err != nil || task != nil || got == nil || got.ID != job.ID {
		t.Fatalf("claim: task %+v, job %+v, %v; want no task and the job", task, got, err)
	}
	if a, _ := db.Task(t.Context(), tasks[0].ID); a.State != trawl.TaskCancelled {
		t.Errorf("the claimed task is %s, want cancelled", a.State)
	}
	err = db.InTx(t.Context(), func(tx store.Tx) error {
		_, err := tx.SetTaskState(tasks[1].ID, trawl.TaskDone, trawl.TaskRunning)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if task, _, err := s.claimLocked(t.Context(), tasks[1].ID); err != nil || task != nil {
		t.Errorf("claim of a done task: %+v, %v; want nothing to run", task, err)
	}
	if b, _ := db.Task(t.Context(), tasks[1].ID); b.State != trawl.TaskDone {
		t.Errorf("the done task is %s, want done", b.State)
	}
}

// TestBatchSize: a batch takes outcomes until maxBatch of them or, past the
// first, until their follow-up tasks would exceed maxBatchNext.
func TestBatchSize(t *testing.T) {
	with := func(next ...int) []*outcome {
		var out []*outcome
		for _, n := range next {
			out = append(out, &outcome{res: &scrape.Result{Next: make([]trawl.TaskSpec, n)}})
		}
		return out
	}
	many := make([]int, maxBatch+10)
	for _, c := range []struct {
		name  string
		queue []*outcome
		want  int
	}{
		{"one", with(0), 1},
		{"pages without links", with(many...), maxBatch},
		{"one page with more links than a batch takes", with(maxBatchNext*3, 1, 1), 1},
		{"links add up past the bound", with(100, 100, 56, 1, 1), 3},
		{"a big page after small ones waits", with(1, 2, maxBatchNext), 2},
	} {
		if got := batchSize(c.queue); got != c.want {
			t.Errorf("%s: batchSize = %d, want %d", c.name, got, c.want)
		}
	}
}
