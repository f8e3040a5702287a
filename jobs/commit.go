package jobs

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/store"
)

// maxBatch bounds how many task outcomes one transaction stores.
const maxBatch = 64

// outcome is a task that ran and waits for its result to be stored.
type outcome struct {
	taskID, jobID int64
	sc            scrape.Scraper
	res           *scrape.Result

	stored int   // rows stored, once committed
	err    error // the commit's error

	wake     chan struct{} // one send: finished, or lead the next batch
	finished bool          // set under committer.mu before wake
}

// committer stores task outcomes in group commits: outcomes that arrive
// while a transaction is being written wait and go together in the next
// one, so a busy node writes one transaction (and on PostgreSQL takes a
// job's lock once) for many pages instead of one each. Each caller returns
// only once its outcome is committed, so a task is acknowledged to River
// only after its rows, counters and events are durable. There is no
// goroutine: the first caller to find no transaction running writes the
// batch, then hands the turn to the oldest waiter.
type committer struct {
	s     *Service
	mu    sync.Mutex
	queue []*outcome
	busy  bool
}

// commit stores o with whatever other outcomes are waiting, and returns
// how many rows o stored. It does not give up when its caller's context
// ends: the fetch is done, and a cancel must not drop what it found.
func (c *committer) commit(o *outcome) (int, error) {
	o.wake = make(chan struct{}, 1)
	c.mu.Lock()
	c.queue = append(c.queue, o)
	if c.busy {
		c.mu.Unlock()
		<-o.wake
		if o.finished {
			return o.stored, o.err
		}
		// Our turn to write: o is at the head of the queue.
	} else {
		c.busy = true
		c.mu.Unlock()
	}
	c.mu.Lock()
	n := min(len(c.queue), maxBatch)
	batch := append([]*outcome(nil), c.queue[:n]...)
	c.queue = c.queue[n:]
	c.mu.Unlock()

	c.s.storeOutcomes(batch)

	c.mu.Lock()
	for _, b := range batch {
		if b != o {
			b.finished = true
			b.wake <- struct{}{}
		}
	}
	if len(c.queue) > 0 {
		c.queue[0].wake <- struct{}{} // not finished: it writes the next batch
	} else {
		c.busy = false
	}
	c.mu.Unlock()
	return o.stored, o.err
}

// storeOutcomes stores a batch in one transaction. If that fails, each is
// tried in a transaction of its own, so one outcome that cannot be stored
// does not fail the others.
func (s *Service) storeOutcomes(batch []*outcome) {
	ctx := context.Background() // see commit: outcomes are stored whatever happens to the task's ctx
	err := s.store.InTx(ctx, func(tx store.Tx) error { return s.completeAll(tx, batch) })
	if err == nil || len(batch) == 1 {
		for _, o := range batch {
			if err != nil {
				o.stored = 0
			}
			o.err = err
		}
		return
	}
	for _, o := range batch {
		o.err = s.store.InTx(ctx, func(tx store.Tx) error { return s.completeAll(tx, []*outcome{o}) })
		if o.err != nil {
			o.stored = 0
		}
	}
}

// completeAll stores the outcomes of tasks that ran: each job of the batch is
// read (and locked) once, takes its tasks' rows, credits and follow-up tasks
// in order, and is settled once.
//
// Rows are locked in one order, jobs by id and then accounts by id (settle
// dispatches), so that two batches on two nodes do not deadlock.
func (s *Service) completeAll(tx store.Tx, batch []*outcome) error {
	batch = slices.Clone(batch)
	slices.SortStableFunc(batch, func(a, b *outcome) int { return cmp.Compare(a.jobID, b.jobID) })
	var order []*trawl.Job
	jobs := map[int64]*trawl.Job{}
	rowsStored := map[int64]bool{}
	for _, o := range batch {
		o.stored = 0
		done, err := tx.SetTaskState(o.taskID, trawl.TaskDone, trawl.TaskRunning)
		if err != nil {
			return err
		}
		if !done {
			continue // another run of this task got here first
		}
		job := jobs[o.jobID]
		if job == nil {
			if job, err = tx.Job(o.jobID); err != nil {
				return err
			}
			jobs[o.jobID] = job
			order = append(order, job)
		}
		if o.stored, err = s.apply(tx, job, o.sc, o.res); err != nil {
			return err
		}
		rowsStored[job.ID] = rowsStored[job.ID] || o.stored > 0
	}
	slices.SortStableFunc(order, func(a, b *trawl.Job) int { return cmp.Compare(a.AccountID, b.AccountID) })
	for _, job := range order {
		if err := s.settle(tx, job, rowsStored[job.ID]); err != nil {
			return err
		}
	}
	return nil
}
