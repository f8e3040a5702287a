package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/bench/internal/trawlproc"
	"github.com/trawlhq/trawl/egress"
	"github.com/trawlhq/trawl/engine"
	"github.com/trawlhq/trawl/jobs"
	"github.com/trawlhq/trawl/metrics"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/store"
	"github.com/trawlhq/trawl/store/postgres"
	"github.com/trawlhq/trawl/store/sqlite"
	"github.com/trawlhq/trawl/webhook"
)

// path is trawl's real delivery path on a fresh SQLite database in a
// temporary folder, wired as `trawl serve` wires it: the store, River with
// the same queues and fetch settings, the delivery worker with the guarded
// egress client (private networks allowed: the receiver is on loopback), the
// metrics observer and the promoter. One job with a webhook to the receiver
// owns every event.
type path struct {
	dir    string
	db     benchDB
	pool   *sql.DB // the writers (SQLite) or the pool (PostgreSQL)
	dropDB func()
	engine *engine.Engine
	hooks  *webhook.Service
	hook   *http.Client
	job    *trawl.Job
	stages *stages
}

// newPath builds and starts the delivery path for events to url.
func newPath(ctx context.Context, o *options, url string, log *slog.Logger) (_ *path, err error) {
	dir, err := os.MkdirTemp("", "trawl-bench-webhook-*")
	if err != nil {
		return nil, err
	}
	p := &path{dir: dir, stages: &stages{}}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	if p.db, p.pool, p.dropDB, err = openDB(ctx, o, dir, log); err != nil {
		return nil, err
	}

	schedule, err := webhook.ParseSchedule("5s,5m")
	if err != nil {
		return nil, err
	}
	p.hook = egress.NewClient(egress.Options{
		AllowPrivateNetworks: true,
		ConnectTimeout:       5 * time.Second,
		Timeout:              15 * time.Second,
	})
	sender := &webhook.Sender{Client: p.hook, UserAgent: "trawl/bench", IsBlocked: egress.IsBlocked}
	mx := metrics.New(metricsSource{p.db}, log)
	p.hooks = webhook.New(webhook.Config{
		Store:              &timedStore{db: p.db, s: p.stages},
		Sender:             sender,
		Schedule:           schedule,
		Logger:             log,
		PerHostConcurrency: o.hostConcurrency,
		Observer:           observers{mx, p.stages},
	})
	svc := jobs.NewService(jobs.Config{Store: p.db, Scrapers: scrape.NewRegistry(), Events: p.hooks, Logger: log, Observer: mx})
	eng, err := engine.New(engine.Config{
		DB:       p.db,
		Logger:   log,
		Handlers: []engine.Handler{svc, p.hooks},
		Queues: map[string]int{
			jobs.QueueScrape:          16,
			webhook.QueueWebhook:      o.workers,
			webhook.QueueWebhookRetry: max(1, o.workers/2),
		},
		FetchCooldown:     o.fetchCooldown,
		FetchPollInterval: o.fetchPollInterval,
		PromoteInterval:   o.promoteInterval,
	})
	if err != nil {
		return nil, err
	}
	if err := eng.Start(ctx); err != nil {
		return nil, err
	}
	p.engine = eng

	account, err := p.db.CreateAccount(ctx, "bench")
	if err != nil {
		return nil, err
	}
	p.job = &trawl.Job{AccountID: account.ID, Scraper: "crawler", Status: trawl.StatusInProgress,
		Input: json.RawMessage(`{}`), Params: json.RawMessage(`{}`), Webhook: &trawl.Webhook{URL: url}}
	err = p.db.InTx(ctx, func(tx store.Tx) error { return tx.CreateJob(p.job) })
	return p, err
}

// openDB opens and migrates a fresh database: SQLite in dir, or a new
// database on the PostgreSQL server of o.databaseURL, dropped by drop.
func openDB(ctx context.Context, o *options, dir string, log *slog.Logger) (db benchDB, pool *sql.DB, drop func(), err error) {
	if o.databaseURL != "" {
		url, dropDB, err := trawlproc.FreshDatabase(ctx, o.databaseURL, "trawl_bench_webhook")
		if err != nil {
			return nil, nil, nil, err
		}
		pg, err := postgres.Open(ctx, url, nil)
		if err != nil {
			dropDB()
			return nil, nil, nil, err
		}
		db, pool, drop = pg, pg.SQL, dropDB
	} else {
		lite, err := sqlite.Open(dir, nil)
		if err != nil {
			return nil, nil, nil, err
		}
		db, pool = lite, lite.Write
	}
	if err := db.Migrate(ctx, log); err != nil {
		_ = db.Close()
		if drop != nil {
			drop()
		}
		return nil, nil, nil, err
	}
	return db, pool, drop, nil
}

// newEvent builds a data event of the path's job whose body is about
// bodyBytes long: one row with padded text.
func (p *path) newEvent(bodyBytes int) (*trawl.Event, error) {
	return newEvent(p.job, bodyBytes)
}

func newEvent(job *trawl.Job, bodyBytes int) (*trawl.Event, error) {
	row := func(text string) []json.RawMessage {
		b, _ := json.Marshal(map[string]any{"url": "https://example.com/page", "statusCode": 200,
			"statusText": "OK", "title": "Example page", "depth": 1, "text": text})
		return []json.RawMessage{b}
	}
	now := time.Now()
	ev, err := webhook.NewEvent(job, trawl.EventDataScraped, row(""), now)
	if err != nil || len(ev.Payload) >= bodyBytes {
		return ev, err
	}
	return webhook.NewEvent(job, trawl.EventDataScraped, row(strings.Repeat("x", bodyBytes-len(ev.Payload))), now)
}

// commit stores events and enqueues their first delivery attempts in one
// transaction, as the webhook service does for the rows a job stores.
func (p *path) commit(ctx context.Context, events []*trawl.Event) error {
	return p.db.InTx(ctx, func(tx store.Tx) error {
		return p.hooks.Emit(tx, p.job, events)
	})
}

// settled counts the events no longer pending.
func (p *path) settled(ctx context.Context) (int, error) {
	var n int
	err := p.pool.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE state <> 'pending'`).Scan(&n)
	return n, err
}

// waitSettled polls until want events are settled or within passes, and
// returns when the last of them settled (zero when they did not).
func (p *path) waitSettled(ctx context.Context, want int, within time.Duration) (time.Time, error) {
	deadline := time.Now().Add(within)
	for {
		n, err := p.settled(ctx)
		if err != nil {
			return time.Time{}, err
		}
		if n >= want {
			return time.Now(), nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return time.Time{}, nil
		}
		time.Sleep(5 * time.Millisecond) // polling interval
	}
}

// close stops everything and removes the database.
func (p *path) close() {
	if p.engine != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = p.engine.Stop(ctx)
		cancel()
	}
	if p.hook != nil {
		p.hook.CloseIdleConnections()
	}
	if p.db != nil {
		_ = p.db.Close()
	}
	if p.dropDB != nil {
		p.dropDB()
	}
	_ = os.RemoveAll(p.dir)
}

// stages adds up where the delivery worker spends its time, read from the
// Outbox calls it makes and the Observer calls it reports. It is safe for
// concurrent use.
type stages struct {
	read, record     timer
	send             timer
	delivered, other atomic.Int64
}

// timer is a count of calls and their total duration.
type timer struct{ n, ns atomic.Int64 }

func (t *timer) since(start time.Time) {
	t.n.Add(1)
	t.ns.Add(int64(time.Since(start)))
}

// mean is the average call, zero when there was none.
func (t *timer) mean() time.Duration {
	n := t.n.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(t.ns.Load() / n)
}

// Attempt implements webhook.Observer.
func (s *stages) Attempt(outcome, _ string, d time.Duration) {
	s.send.n.Add(1)
	s.send.ns.Add(int64(d))
	if outcome == "delivered" {
		s.delivered.Add(1)
	} else {
		s.other.Add(1)
	}
}

// Delivered implements webhook.Observer.
func (s *stages) Delivered(time.Duration) {}

// observers tells each of its observers.
type observers []webhook.Observer

func (o observers) Attempt(outcome, class string, d time.Duration) {
	for _, x := range o {
		x.Attempt(outcome, class, d)
	}
}

func (o observers) Delivered(d time.Duration) {
	for _, x := range o {
		x.Delivered(d)
	}
}

// timedStore is the store as the webhook service sees it, timing the calls
// of the delivery worker. It adds two clock reads per call and nothing else.
type timedStore struct {
	db benchDB
	s  *stages
}

func (o *timedStore) InTx(ctx context.Context, fn func(store.Tx) error) error {
	defer o.s.record.since(time.Now())
	return o.db.InTx(ctx, fn)
}

func (o *timedStore) Delivery(ctx context.Context, ids ...string) (*store.Delivery, error) {
	defer o.s.read.since(time.Now())
	return o.db.Delivery(ctx, ids...)
}

func (o *timedStore) Events(ctx context.Context, jobID int64) ([]*trawl.Event, error) {
	return o.db.Events(ctx, jobID)
}

func (o *timedStore) Attempts(ctx context.Context, jobID, offset, limit int64) ([]*trawl.DeliveryAttempt, int64, error) {
	return o.db.Attempts(ctx, jobID, offset, limit)
}

// benchDB is what the bench needs of either database.
type benchDB interface {
	store.Store
	engine.Database
	JobCounts(ctx context.Context) (map[string]int64, error)
	Migrate(ctx context.Context, log *slog.Logger) error
	WriterStats() sql.DBStats
}

// metricsSource answers the metrics' questions as trawl serve does.
type metricsSource struct{ db benchDB }

func (m metricsSource) JobCounts(ctx context.Context) (map[string]int64, error) {
	return m.db.JobCounts(ctx)
}

func (m metricsSource) QueueDepth(ctx context.Context) (map[[2]string]int64, error) {
	return engine.QueueDepth(ctx, m.db)
}
