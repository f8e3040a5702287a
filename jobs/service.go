package jobs

import (
	"bytes"
	"context"
	"database/sql"
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

// Batch bounds the data events: a job's new rows go out when MaxRows of them
// are waiting or Window after the first of them was stored, whichever comes
// first, split so that no event's body is over MaxBytes. So a job of 10,000
// rows is not 10,000 requests, no body is huge, and a slow job's rows are not
// held back for long.
type Batch struct {
	MaxRows  int           // default 100
	MaxBytes int           // default 1 MiB (at least 4 KiB)
	Window   time.Duration // default 2s
}

func (b Batch) withDefaults() Batch {
	if b.MaxRows <= 0 {
		b.MaxRows = 100
	}
	if b.MaxBytes <= 0 {
		b.MaxBytes = 1 << 20
	}
	b.MaxBytes = max(b.MaxBytes, 4<<10)
	if b.Window <= 0 {
		b.Window = 2 * time.Second
	}
	return b
}

// Config configures a Service. Store and Scrapers are required.
type Config struct {
	Store    store.Store
	Scrapers *scrape.Registry
	Logger   *slog.Logger     // default: discard
	Now      func() time.Time // default: time.Now
	Batch    Batch
	// PublicURL is the base of links in webhook payloads (no trailing slash).
	PublicURL string
	// Observer, when set, is told about stored rows (for metrics).
	Observer Observer
	// TaskTimeout bounds one task; default 5 minutes. Keep it below River's
	// RescueStuckJobsAfter, or a slow task is run twice.
	TaskTimeout time.Duration
}

// Observer is told what the service stored.
type Observer interface {
	RowsStored(scraper string, n int)
}

// Service creates, stops and runs jobs. It is safe for concurrent use.
type Service struct {
	store       store.Store
	scrapers    *scrape.Registry
	log         *slog.Logger
	now         func() time.Time
	batch       Batch
	publicURL   string
	observer    Observer
	taskTimeout time.Duration
	river       *river.Client[*sql.Tx]
}

// NewService returns a service. Call SetClient before Create or Stop.
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
	return &Service{store: c.Store, scrapers: c.Scrapers, log: c.Logger, now: c.Now, batch: c.Batch.withDefaults(),
		publicURL: c.PublicURL, observer: c.Observer, taskTimeout: c.TaskTimeout}
}

// SetClient gives the service the River client it enqueues with. The client
// is made after the service because its workers need the service.
func (s *Service) SetClient(c *river.Client[*sql.Tx]) { s.river = c }

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
		_, err := s.river.InsertTx(ctx, tx.SQL(), StartArgs{JobID: job.ID}, nil)
		return err
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
		return s.settle(ctx, tx, j, false)
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
