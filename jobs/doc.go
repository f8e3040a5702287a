// Package jobs runs scraper jobs on River. Creating a job stores it and
// enqueues its start in one transaction; the start worker splits the job into
// tasks; each task worker fetches outside any transaction and then, in one
// transaction, stores its rows, bumps the job's counters, adds follow-up
// tasks, writes the webhook events these cause to the outbox and enqueues
// their delivery. A crash at any instant leaves all of that or none of it, and
// a task that was cut short runs again without storing its rows twice.
package jobs
