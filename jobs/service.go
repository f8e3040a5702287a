package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/riverqueue/river"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/store"
)

// Config configures a Service. Store, Scrapers and Events are required.
type Config struct {
	Store    store.Store
	Scrapers *scrape.Registry
	// Events is told what happened to jobs, in the transaction where it
	// happened; the webhook service builds and delivers the events.
	Events Events
	Logger *slog.Logger     // default: discard
	Now    func() time.Time // default: time.Now
	// Observer, when set, is told about stored rows (for metrics).
	Observer Observer
	// TaskTimeout bounds one task; default 5 minutes. Keep it below the
	// engine's RescueAfter, or a slow task on a live node is run twice.
	TaskTimeout time.Duration
	// AccountConcurrency is how many of one account's tasks may be queued
	// or running at once, across all nodes; default DefaultAccountConcurrency.
	// An account's tasks beyond it wait their turn outside the queue, so one
	// account's large job never fills the queue ahead of other accounts, and
	// an account's jobs take turns.
	AccountConcurrency int
	// HostConcurrency, when set, is how many tasks of one host (a task's
	// TaskSpec.Host) an account may have queued or running at once: the
	// host's politeness limit. Its other tasks wait outside the queue until
	// one of these ends, so a busy host's tasks are not taken by workers only
	// to be put back. Nil: tasks are not held back by host.
	HostConcurrency func(host string) int
}

// DefaultAccountConcurrency is the default of Config.AccountConcurrency.
const DefaultAccountConcurrency = 32

// Events is told, inside the transaction that did it, what happened to a
// job. Each method may write and enqueue in tx.
type Events interface {
	// JobStarted: the job moved to in_progress.
	JobStarted(tx store.Tx, job *trawl.Job) error
	// RowsStored: the transaction stored rows; DataRowsCount counts them.
	RowsStored(tx store.Tx, job *trawl.Job) error
	// JobEnded: the job is terminal and no task is in flight. It may be
	// reported more than once.
	JobEnded(tx store.Tx, job *trawl.Job) error
}

// Observer is told what the service stored.
type Observer interface {
	RowsStored(scraper string, n int)
}

// Service creates, stops and runs jobs. It is safe for concurrent use.
type Service struct {
	store       store.Store
	scrapers    *scrape.Registry
	events      Events
	log         *slog.Logger
	now         func() time.Time
	observer    Observer
	taskTimeout time.Duration
	perAccount  int
	perHost     func(host string) int
	// commits stores task outcomes in group commits: outcomes that arrive
	// while a transaction is being written go together in the next one, so
	// a busy node writes one transaction (and on PostgreSQL takes a job's
	// lock once) for many pages instead of one each. A task is acknowledged
	// to River only after its rows, counters and events are durable.
	commits group[*outcome]
	// claims starts tasks the same way: tasks that workers begin while a
	// claim is being written are claimed together in the next statement.
	claims group[*claim]
	// handOuts dispatches accounts' tasks after the transactions that free
	// their slots or add tasks have committed (see handOut).
	handOuts group[*handOut]
}

// NewService returns a service. Its River workers run once the engine it is
// registered with starts.
func NewService(c Config) *Service {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.TaskTimeout <= 0 {
		c.TaskTimeout = 5 * time.Minute
	}
	if c.AccountConcurrency <= 0 {
		c.AccountConcurrency = DefaultAccountConcurrency
	}
	s := &Service{store: c.Store, scrapers: c.Scrapers, events: c.Events, log: c.Logger, now: c.Now,
		observer: c.Observer, taskTimeout: c.TaskTimeout, perAccount: c.AccountConcurrency,
		perHost: c.HostConcurrency}
	s.commits = group[*outcome]{size: batchSize, run: s.storeOutcomes}
	s.claims = group[*claim]{size: func([]*claim) int { return maxBatch }, run: s.startTasks}
	s.handOuts = group[*handOut]{size: func(h []*handOut) int { return len(h) }, run: s.handOutAll}
	return s
}

// Scrapers returns the registry the service runs.
func (s *Service) Scrapers() *scrape.Registry { return s.scrapers }

// envelope is the part of a create body every scraper shares.
type envelope struct {
	Limit   json.RawMessage `json:"limit"`
	Webhook json.RawMessage `json:"webhook"`
}

// Create validates body for the scraper slug and stores a pending job for the
// account, enqueueing its start in the same transaction.
func (s *Service) Create(ctx context.Context, accountID int64, slug string, body []byte) (*trawl.Job, error) {
	sc, ok := s.scrapers.Get(slug)
	if !ok {
		return nil, trawl.Errorf(trawl.ENOTFOUND, "Scraper %q not found; available: %v.", slug, s.scrapers.Slugs())
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, trawl.Errorf(trawl.EMALFORMED, "The request body must be a JSON object.")
	}
	var env envelope
	if err := json.Unmarshal(trimmed, &env); err != nil {
		return nil, trawl.Errorf(trawl.EMALFORMED, "The request body is not valid JSON: %v.", err)
	}
	var inv trawl.Invalid
	limit := parseLimit(env.Limit, &inv)
	hook := parseWebhook(env.Webhook, &inv)
	params, err := sc.Parse(trimmed)
	if err != nil {
		if te, ok := err.(*trawl.Error); ok && te.Code == trawl.EINVALID {
			inv.Fields = append(inv.Fields, te.Fields...)
			if len(te.Fields) == 0 {
				inv.Add("body", "%s", te.Message)
			}
		} else {
			return nil, err
		}
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, trimmed); err != nil {
		return nil, trawl.Errorf(trawl.EMALFORMED, "The request body is not valid JSON: %v.", err)
	}
	job := &trawl.Job{
		AccountID: accountID,
		Scraper:   slug,
		Status:    trawl.StatusPending,
		Input:     compact.Bytes(),
		Params:    params,
		Webhook:   hook,
		Limit:     limit,
	}
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateJob(job); err != nil {
			return err
		}
		return tx.Enqueue(river.InsertManyParams{Args: StartArgs{JobID: job.ID}})
	})
	if err != nil {
		return nil, fmt.Errorf("create job: %w", err)
	}
	return job, nil
}

func parseLimit(raw json.RawMessage, inv *trawl.Invalid) int64 {
	if !scrape.Present(raw) {
		return 0
	}
	n, err := scrape.StrictInt(raw)
	if err != nil || n < 0 {
		inv.Add("limit", "must be a whole number from 0 (no limit) up to %d", math.MaxInt32)
		return 0
	}
	return int64(n)
}

func parseWebhook(raw json.RawMessage, inv *trawl.Invalid) *trawl.Webhook {
	if !scrape.Present(raw) {
		return nil
	}
	if raw[0] != '{' {
		inv.Add("webhook", "must be an object with url, events and headers")
		return nil
	}
	var w trawl.Webhook
	if err := json.Unmarshal(raw, &w); err != nil {
		inv.Add("webhook", "has a field of the wrong type: %s", typeErrorText(err))
		return nil
	}
	w.Validate("webhook", inv)
	return &w
}

// typeErrorText turns a json type error into a short field-naming text.
func typeErrorText(err error) string {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		return fmt.Sprintf("%s must be %s, not %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
	}
	return err.Error()
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "bool":
		return "true or false"
	default:
		return "a number"
	}
}

// Stop stops a job: tasks not yet begun are cancelled, tasks in flight finish
// and keep their rows, and the job's status becomes stopped at once. The
// finished event goes out when the last task in flight is done. Stopping a
// job that has already ended changes nothing.
func (s *Service) Stop(ctx context.Context, accountID, id int64) (*trawl.Job, error) {
	var job *trawl.Job
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		j, err := accountJob(tx, accountID, id)
		if err != nil {
			return err
		}
		job = j
		if j.Status.Terminal() {
			return nil
		}
		now := s.now().UTC()
		j.Status, j.StopReason, j.FinishedAt = trawl.StatusStopped, trawl.StopReasonStopped, &now
		if _, err := tx.CancelPendingTasks(j.ID); err != nil {
			return err
		}
		return s.settle(tx, j, false)
	})
	if err != nil {
		return nil, fmt.Errorf("stop job %d: %w", id, err)
	}
	return job, nil
}

// accountJob reads (and on PostgreSQL locks) the account's job id; another
// account's job is ENOTFOUND, exactly like a missing one.
func accountJob(tx store.Tx, accountID, id int64) (*trawl.Job, error) {
	j, err := tx.Job(id)
	if err != nil {
		return nil, err
	}
	if accountID > 0 && j.AccountID != accountID {
		return nil, trawl.Errorf(trawl.ENOTFOUND, "job %d not found", id)
	}
	return j, nil
}
