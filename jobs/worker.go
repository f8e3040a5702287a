package jobs

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/store"
)

// AddWorkers registers the service's workers with River.
func (s *Service) AddWorkers(w *river.Workers) {
	river.AddWorker(w, &startWorker{s: s})
	river.AddWorker(w, &taskWorker{s: s})
}

// settle ends a transaction that changed job: the job is written (see
// write), then the account's tasks that may go now are handed to the queue,
// in the same transaction. A job's start writes only, and hands out after it
// commits (see handOut); a group commit dispatches once per account.
func (s *Service) settle(tx store.Tx, job *trawl.Job, rowsStored bool) error {
	if err := s.write(tx, job, rowsStored); err != nil {
		return err
	}
	return s.dispatch(tx, job.AccountID)
}

// write writes a job a transaction changed: an in-progress job whose tasks
// are all done is finished, and the webhook service is told when rows were
// stored or the job has ended with nothing in flight. The caller dispatches
// the account's tasks afterwards (settle, or handOut once committed).
func (s *Service) write(tx store.Tx, job *trawl.Job, rowsStored bool) error {
	open, err := tx.HasOpenTasks(job.ID)
	if err != nil {
		return err
	}
	if job.Status == trawl.StatusInProgress && !open {
		now := s.now().UTC()
		job.Status, job.FinishedAt = trawl.StatusFinished, &now
	}
	if err := tx.UpdateJob(job); err != nil {
		return err
	}
	if job.Status.Terminal() && !open {
		return s.events.JobEnded(tx, job)
	}
	if rowsStored {
		return s.events.RowsStored(tx, job)
	}
	return nil
}

type startWorker struct {
	river.WorkerDefaults[StartArgs]
	s *Service
}

// Work moves a pending job to in_progress, sends the started event and
// stores the job's first tasks, all in one transaction; then it hands the
// account's tasks that may go now to the queue. A job found started already
// is handed out again: the run before may have ended between the two.
func (w *startWorker) Work(ctx context.Context, rj *river.Job[StartArgs]) error {
	s := w.s
	var account int64
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		job, err := tx.Job(rj.Args.JobID)
		if err != nil {
			return err
		}
		account = job.AccountID
		if job.Status != trawl.StatusPending {
			return nil // stopped before it started, or started already
		}
		now := s.now().UTC()
		job.Status, job.StartedAt = trawl.StatusInProgress, &now
		sc, ok := s.scrapers.Get(job.Scraper)
		var specs []trawl.TaskSpec
		if ok {
			specs, err = sc.Plan(job)
		} else {
			err = fmt.Errorf("this trawl has no scraper %q", job.Scraper)
		}
		if err != nil {
			job.Status, job.StopReason, job.FinishedAt = trawl.StatusFailed, err.Error(), &now
			return s.write(tx, job, false)
		}
		if err := s.events.JobStarted(tx, job); err != nil {
			return err
		}
		if err := s.addTasks(tx, job, specs); err != nil {
			return err
		}
		return s.write(tx, job, false)
	})
	if trawl.ErrorCode(err) == trawl.ENOTFOUND {
		return river.JobCancel(err)
	} else if err != nil {
		return err
	}
	return s.handOut(account)
}

// addTasks inserts the tasks the job does not have yet. A scraper whose
// tasks yield one row each never gets more tasks than the job's limit.
func (s *Service) addTasks(tx store.Tx, job *trawl.Job, specs []trawl.TaskSpec) error {
	if len(specs) == 0 {
		return nil
	}
	if job.Limit > 0 && s.scrapers.OneRowPerTask(job.Scraper) {
		room := max(job.Limit-job.TaskCount, 0)
		if int64(len(specs)) > room {
			specs = specs[:room]
		}
	}
	tasks, err := tx.InsertTasks(job.ID, specs)
	if err != nil {
		return err
	}
	job.TaskCount += int64(len(tasks))
	return nil // a dispatch hands them to the queue as the account's share allows
}

// dispatch enqueues the account's tasks that may go now: as many as keep
// perAccount of them queued or running, and no more of one host than perHost
// allows, in turns across its jobs.
func (s *Service) dispatch(tx store.Tx, accountID int64) error {
	tasks, err := tx.DispatchTasks(accountID, s.perAccount, max(1, s.perAccount/4), s.perHost)
	if err != nil || len(tasks) == 0 {
		return err
	}
	params := make([]river.InsertManyParams, len(tasks))
	for i, t := range tasks {
		params[i] = river.InsertManyParams{Args: TaskArgs{JobID: t.JobID, TaskID: t.ID}}
	}
	if err := tx.Enqueue(params...); err != nil {
		return fmt.Errorf("enqueue tasks of account %d: %w", accountID, err)
	}
	return nil
}

// handOut hands the account's tasks that may go now to the queue, in a
// transaction of its own, after a job's start has committed. Starts that
// finish while a hand-out runs on this node go together in the next one, so
// the account's row, which orders its dispatches, is not locked by every
// start (hundreds a second when clients create jobs in bulk). The start's
// River job completes only after the hand-out, so a node that dies in
// between leaves the job to be run again, and that run hands out again.
func (s *Service) handOut(accountID int64) error {
	c := &handOut{account: accountID}
	s.handOuts.do(c)
	return c.err
}

// handOut is one caller's wait for a hand-out (see Service.handOut).
type handOut struct {
	account int64
	err     error
}

// handOutAll dispatches the tasks of each account of the batch, each in a
// transaction of its own.
func (s *Service) handOutAll(batch []*handOut) {
	errs := map[int64]error{}
	for _, c := range batch {
		if _, done := errs[c.account]; !done {
			errs[c.account] = s.store.InTx(context.Background(), func(tx store.Tx) error { return s.dispatch(tx, c.account) })
		}
	}
	for _, c := range batch {
		c.err = errs[c.account]
	}
}

type taskWorker struct {
	river.WorkerDefaults[TaskArgs]
	s *Service
}

// Timeout bounds one task: a page fetch with its retries and politeness waits.
func (w *taskWorker) Timeout(*river.Job[TaskArgs]) time.Duration { return w.s.taskTimeout }

// Work runs one task: claim it, run the scraper with no transaction open, then
// store its outcome in one transaction.
func (w *taskWorker) Work(ctx context.Context, rj *river.Job[TaskArgs]) error {
	s := w.s
	task, job, err := s.claim(ctx, rj.Args.TaskID)
	if trawl.ErrorCode(err) == trawl.ENOTFOUND {
		return river.JobCancel(err)
	} else if err != nil {
		return err
	}
	if task == nil && job == nil {
		task, job, err = s.claimLocked(ctx, rj.Args.TaskID)
	}
	if trawl.ErrorCode(err) == trawl.ENOTFOUND {
		return river.JobCancel(err)
	} else if err != nil {
		return err
	}
	if task == nil {
		return nil // over: a run before this one stored it
	}
	return s.run(ctx, rj, job, task)
}

// claim moves a task to running, in one statement and without locking its
// job, so that claims do not queue behind the transactions that store
// outcomes; then it reads the job. It returns the task and job to run; a nil
// task with a job when there is nothing to run (the task is over); and
// neither when the job is not in progress, which claimLocked handles (a stop
// or the job's limit cancels pending tasks first, so a task it finds
// running here started before).
func (s *Service) claim(ctx context.Context, taskID int64) (*trawl.Task, *trawl.Job, error) {
	c := &claim{taskID: taskID}
	s.claims.do(c)
	if c.err != nil {
		return nil, nil, c.err
	}
	if c.task == nil {
		if _, err := s.store.Task(ctx, taskID); err != nil {
			return nil, nil, err // ENOTFOUND when there is no such task
		}
		return nil, &trawl.Job{}, nil
	}
	if c.job.Status != trawl.StatusInProgress {
		return nil, nil, nil
	}
	return c.task, c.job, nil
}

// claim is a task a worker is about to run, claimed with the others that
// workers begin meanwhile (see Service.claims).
type claim struct {
	taskID int64
	task   *trawl.Task // the task, running; nil when it is over or missing
	job    *trawl.Job  // the task's job, when task is set
	err    error
}

// startTasks moves the claimed tasks to running in one statement and reads
// their jobs, each once. It does not stop when one caller's context ends:
// the others' claims go on.
func (s *Service) startTasks(batch []*claim) {
	ctx := context.Background()
	ids := make([]int64, len(batch))
	for i, c := range batch {
		ids[i] = c.taskID
	}
	tasks, err := s.store.StartTasks(ctx, ids)
	if err != nil {
		for _, c := range batch {
			c.err = err
		}
		return
	}
	byID := make(map[int64]*trawl.Task, len(tasks))
	jobs := map[int64]*trawl.Job{}
	jobErrs := map[int64]error{}
	for _, t := range tasks {
		byID[t.ID] = t
		if _, ok := jobs[t.JobID]; !ok {
			jobs[t.JobID], jobErrs[t.JobID] = s.store.Job(ctx, 0, t.JobID)
		}
	}
	for _, c := range batch {
		if c.task = byID[c.taskID]; c.task == nil {
			continue
		}
		if c.err = jobErrs[c.task.JobID]; c.err == nil {
			job := *jobs[c.task.JobID] // a copy each: a worker may change its own
			c.job = &job
		}
	}
}

// claimLocked claims a task with its job locked: the job is not in
// progress, so the task is cancelled (and the job settled) unless it has
// started meanwhile.
func (s *Service) claimLocked(ctx context.Context, taskID int64) (*trawl.Task, *trawl.Job, error) {
	var job *trawl.Job
	var task *trawl.Task
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		if task, err = tx.Task(taskID); err != nil {
			return err
		}
		if job, err = tx.Job(task.JobID); err != nil {
			return err
		}
		if task.State == trawl.TaskDone || task.State == trawl.TaskCancelled {
			task = nil
			return nil
		}
		if job.Status != trawl.StatusInProgress {
			// Stopped or over before this task began: it never will.
			if _, err := tx.SetTaskState(task.ID, trawl.TaskCancelled, trawl.TaskPending, trawl.TaskRunning); err != nil {
				return err
			}
			task = nil
			return s.settle(tx, job, false)
		}
		_, err = tx.SetTaskState(task.ID, trawl.TaskRunning, trawl.TaskPending, trawl.TaskRunning)
		return err
	})
	return task, job, err
}

// run runs a claimed task and stores its outcome.
func (s *Service) run(ctx context.Context, rj *river.Job[TaskArgs], job *trawl.Job, task *trawl.Task) error {
	sc, ok := s.scrapers.Get(job.Scraper)
	if !ok {
		return river.JobCancel(fmt.Errorf("this trawl has no scraper %q", job.Scraper))
	}
	res, runErr := sc.Run(ctx, job, task)
	var busy *scrape.BusyError
	if errors.As(runErr, &busy) {
		// Not a failure: the host is saturated. Come back when it is free,
		// spread a little so that the waiting tasks do not return at once.
		return river.JobSnooze(min(busy.Wait, time.Minute) + time.Duration(rand.Int64N(int64(200*time.Millisecond))))
	}
	if runErr != nil {
		if ctx.Err() != nil || rj.Attempt < rj.MaxAttempts {
			// Shutting down, or worth another try: River runs it again.
			return fmt.Errorf("task %d of job %d: %w", task.ID, job.ID, runErr)
		}
		// Out of attempts: the task ends without rows so that the job can
		// finish.
		s.log.Error("task failed", "job", job.ID, "task", task.ID, "key", task.Key, "err", runErr)
		res = &scrape.Result{}
	}
	// The outcome is stored whatever happens to ctx from here: the fetch is
	// done, and a cancel must not roll back what it found.
	stored, err := s.commit(&outcome{taskID: task.ID, jobID: job.ID, res: res})
	if err == nil && stored > 0 && s.observer != nil {
		s.observer.RowsStored(job.Scraper, stored)
	}
	return err
}
