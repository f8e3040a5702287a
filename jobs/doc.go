// Package jobs is the jobs service: it creates and stops scraper jobs and
// runs them on the engine's scrape queue. Creating a job stores it and
// enqueues its start in one transaction; the start worker splits the job into
// tasks; each task worker fetches outside any transaction and then, in one
// transaction, stores its rows, bumps the job's counters and adds follow-up
// tasks. What happened (the job started, rows were stored, the job ended) is
// reported to [Events] in that same transaction; the webhook service turns
// it into events. A crash at any instant leaves all of that or none of it,
// and a task that was cut short runs again without storing its rows twice.
package jobs
