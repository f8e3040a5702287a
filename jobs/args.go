package jobs

import "github.com/riverqueue/river"

// QueueScrape is the River queue that starts jobs and runs their tasks.
const QueueScrape = "scrape"

// taskMaxAttempts bounds how often a task that errors is tried. A page that
// cannot be scraped is a row, not an error, so errors here are rare (a
// database hiccup, a crash).
const taskMaxAttempts = 5

// StartArgs starts a pending job.
type StartArgs struct {
	JobID int64 `json:"jobId"`
}

// Kind implements river.JobArgs.
func (StartArgs) Kind() string { return "trawl_job_start" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (StartArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueScrape, MaxAttempts: taskMaxAttempts}
}

// TaskArgs runs one task of a job.
type TaskArgs struct {
	JobID  int64 `json:"jobId"`
	TaskID int64 `json:"taskId"`
}

// Kind implements river.JobArgs.
func (TaskArgs) Kind() string { return "trawl_job_task" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (TaskArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueScrape, MaxAttempts: taskMaxAttempts}
}
