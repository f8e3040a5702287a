package jobs

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/store"
)

// maxBatch bounds how many task outcomes one transaction stores, and
// maxBatchNext how many follow-up tasks they may bring between them (a crawl's
// home page brings hundreds): a batch takes outcomes while both hold, and at
// least one. On SQLite a transaction holds the only writer, so a bounded
// batch bounds what a create waits for.
const (
	maxBatch     = 64
	maxBatchNext = 256
)

// outcome is a task that ran and waits for its result to be stored.
type outcome struct {
	taskID, jobID int64
	res           *scrape.Result

	stored int   // rows stored, once committed
	err    error // the commit's error
}

// commit stores o in a group commit with the other outcomes waiting (see
// Service.commits), and returns how many rows o stored. It does not give up
// when its caller's context ends: the fetch is done, and a cancel must not
// drop what it found.
func (s *Service) commit(o *outcome) (int, error) {
	s.commits.do(o)
	return o.stored, o.err
}

// batchSize is how many of the outcomes waiting, oldest first, go in the
// next batch: at least one, and as many more as maxBatch and maxBatchNext
// allow.
func batchSize(queue []*outcome) int {
	next := 0
	for i, o := range queue {
		next += len(o.res.Next)
		if i == maxBatch || (i > 0 && next > maxBatchNext) {
			return i
		}
	}
	return len(queue)
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

// completeAll stores the outcomes of tasks that ran: the tasks are marked
// done in one statement, and each job of the batch is read (and locked)
// once, takes its tasks' rows, credits and follow-up tasks in order, and is
// settled once.
//
// Rows are locked in one order, jobs by id and then accounts by id (the
// dispatches), so that two batches on two nodes do not deadlock.
func (s *Service) completeAll(tx store.Tx, batch []*outcome) error {
	ids := make([]int64, 0, len(batch))
	for _, o := range batch {
		o.stored = 0
		ids = append(ids, o.taskID)
	}
	moved, err := tx.SetTasksState(ids, trawl.TaskDone, trawl.TaskRunning)
	if err != nil {
		return err
	}
	done := make(map[int64]bool, len(moved))
	for _, id := range moved {
		done[id] = true
	}
	byJob := map[int64][]*outcome{}
	var jobIDs []int64
	for _, o := range batch {
		if !done[o.taskID] {
			continue // another run of this task got here first
		}
		done[o.taskID] = false // the same task twice in a batch counts once
		if byJob[o.jobID] == nil {
			jobIDs = append(jobIDs, o.jobID)
		}
		byJob[o.jobID] = append(byJob[o.jobID], o)
	}
	slices.Sort(jobIDs)
	var jobs []*trawl.Job
	rowsStored := map[int64]bool{}
	for _, id := range jobIDs {
		job, err := tx.Job(id)
		if err != nil {
			return err
		}
		n, err := s.apply(tx, job, byJob[id])
		if err != nil {
			return err
		}
		rowsStored[id] = n > 0
		jobs = append(jobs, job)
	}
	var accounts []int64
	for _, job := range jobs {
		if err := s.write(tx, job, rowsStored[job.ID]); err != nil {
			return err
		}
		accounts = append(accounts, job.AccountID)
	}
	// One dispatch per account, last: it sees every slot the batch freed
	// and every task it added, and the account's row is locked only until
	// the commit. Batches are written one at a time per node, so they do
	// not queue on that row the way every job's start would.
	slices.Sort(accounts)
	for _, id := range slices.Compact(accounts) {
		if err := s.dispatch(tx, id); err != nil {
			return err
		}
	}
	return nil
}

// apply adds the outcomes of a job's tasks that ran, in order, to the job
// (read and locked in tx), and returns how many rows they stored: rows up to
// the job's limit, credits, and the follow-up tasks, each kind in one
// statement. The caller writes the job and dispatches.
func (s *Service) apply(tx store.Tx, job *trawl.Job, outs []*outcome) (int, error) {
	base := *job // the counts before these outcomes: InsertRows numbers rows after them
	var rows []json.RawMessage
	var next []trawl.TaskSpec
	limitReached := false
	for _, o := range outs {
		job.CreditsSpent += o.res.Credits
		r := o.res.Rows
		if job.Limit > 0 {
			room := max(job.Limit-job.DataRowsCount, 0)
			if int64(len(r)) > room {
				r = r[:room]
			}
		}
		if job.Status == trawl.StatusFinished || job.Status == trawl.StatusFailed {
			r = nil // the job ended (its limit was reached) while this task ran
		}
		rows = append(rows, r...)
		job.DataRowsCount += int64(len(r))
		o.stored = len(r)
		if job.Status != trawl.StatusInProgress {
			continue
		}
		if job.Limit > 0 && job.DataRowsCount >= job.Limit {
			now := s.now().UTC()
			job.Status, job.StopReason, job.FinishedAt = trawl.StatusFinished, trawl.StopReasonLimit, &now
			limitReached = true
		} else {
			next = append(next, o.res.Next...)
		}
	}
	if len(rows) > 0 {
		if _, err := tx.InsertRows(&base, rows); err != nil {
			return 0, err
		}
	}
	if limitReached {
		_, err := tx.CancelPendingTasks(job.ID)
		return len(rows), err
	}
	return len(rows), s.addTasks(tx, job, next)
}
