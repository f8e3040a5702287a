package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/store"
	"github.com/trawlhq/trawl/store/sqlite/sqlitetest"
)

// planner plans three tasks and stores nothing when they run.
type planner struct{}

func (planner) Info() scrape.Info                                { return scrape.Info{Slug: "planner"} }
func (planner) Parse(b json.RawMessage) (json.RawMessage, error) { return b, nil }
func (planner) Plan(*trawl.Job) ([]trawl.TaskSpec, error) {
	return []trawl.TaskSpec{{Key: "a"}, {Key: "b"}, {Key: "c"}}, nil
}
func (planner) Run(context.Context, *trawl.Job, *trawl.Task) (*scrape.Result, error) {
	return &scrape.Result{}, nil
}

// dyingQueue records what is enqueued, or fails as a node that dies would.
type dyingQueue struct {
	mu    sync.Mutex
	dead  bool
	tasks int
}

func (q *dyingQueue) InsertTx(_ context.Context, _ *sql.Tx, jobs []river.InsertManyParams) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.dead {
		return errors.New("the node died")
	}
	for _, j := range jobs {
		if _, ok := j.Args.(TaskArgs); ok {
			q.tasks++
		}
	}
	return nil
}

// TestStartHandsOutAgain: a job's start commits its tasks, then hands them
// out in a transaction of its own. When the hand-out does not happen (the
// node dies between the two), the start's River job fails, and its next run
// finds the job started and hands the tasks out.
func TestStartHandsOutAgain(t *testing.T) {
	ctx := t.Context()
	db := sqlitetest.Open(t)
	q := &dyingQueue{dead: true}
	db.AttachQueue(q)
	a, err := db.CreateAccount(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	job := &trawl.Job{AccountID: a.ID, Scraper: "planner", Status: trawl.StatusPending, Input: []byte(`{}`), Params: []byte(`{}`)}
	if err := db.InTx(ctx, func(tx store.Tx) error { return tx.CreateJob(job) }); err != nil {
		t.Fatal(err)
	}
	s := NewService(Config{Store: db, Scrapers: scrape.NewRegistry(planner{}), Events: noEvents{}})
	w := &startWorker{s: s}
	run := &river.Job[StartArgs]{JobRow: &rivertype.JobRow{Attempt: 1}, Args: StartArgs{JobID: job.ID}}

	state := func() string {
		got, err := db.Job(ctx, 0, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		queued, err := db.TasksInFlight(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%s, %d tasks, %d queued, %d enqueued", got.Status, got.TaskCount, queued, q.tasks)
	}
	if err := w.Work(ctx, run); err == nil {
		t.Fatal("the start succeeded with its hand-out failing")
	}
	if got, want := state(), "in_progress, 3 tasks, 0 queued, 0 enqueued"; got != want {
		t.Fatalf("after the first run: %s, want %s", got, want)
	}
	q.mu.Lock()
	q.dead = false
	q.mu.Unlock()
	if err := w.Work(ctx, run); err != nil {
		t.Fatal(err)
	}
	if got, want := state(), "in_progress, 3 tasks, 3 queued, 3 enqueued"; got != want {
		t.Errorf("after the second run: %s, want %s", got, want)
	}
}
