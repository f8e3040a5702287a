package engine

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
	"github.com/trawlhq/trawl/store"
)

// Database is what the engine runs on: trawl's store (SQLite or
// PostgreSQL) with River's driver over the same connections.
type Database interface {
	RiverDriver() riverdriver.Driver[*sql.Tx]
	// Writer is the pool River and the engine's own statements use.
	Writer() *sql.DB
	// Postgres reports whether the database is PostgreSQL.
	Postgres() bool
	// AttachQueue makes the store's transactions enqueue through q.
	AttachQueue(q store.Queue)
}

// Handler registers the River workers of one part of trawl (the jobs
// service, the webhook engine).
type Handler interface {
	AddWorkers(w *river.Workers)
}

// Config configures an Engine. DB is required; a zero value elsewhere means
// the default.
type Config struct {
	DB       Database
	Logger   *slog.Logger // default: discard
	Handlers []Handler

	// Queues maps each queue this node works to its most workers at once.
	// Empty: the node only enqueues (an api node) and takes back no one's
	// work.
	Queues map[string]int
	// Role names what the node does, for GET /nodes ("all", "api", "worker").
	Role string
	// NodeID names this node; default: the host name and a random suffix.
	NodeID string

	// Heartbeat is how often the node renews its liveness record and looks
	// for dead nodes; default 3s.
	Heartbeat time.Duration
	// NodeTTL is how long a node may go without renewing before the others
	// take back its running work; default 15s. It must be at least twice the
	// heartbeat.
	NodeTTL time.Duration
	// RescueAfter is River's last resort for work that ran this long on a
	// node that is still alive; default 10m. Keep every task's own timeout
	// below it, so that work on a live node is never taken.
	RescueAfter time.Duration
	// JobTimeout bounds River jobs whose workers set no timeout of their
	// own; default min(1m, RescueAfter*9/10).
	JobTimeout time.Duration
	// PromoteInterval is how often due jobs (retries, row flushes) are made
	// available, the precision of every delay; default 200ms.
	PromoteInterval time.Duration
	// FetchCooldown and FetchPollInterval pace River's fetching of work;
	// defaults DefaultFetchCooldown and DefaultFetchPollInterval.
	FetchCooldown     time.Duration
	FetchPollInterval time.Duration

	// Middleware is passed to River (tests use it to act at the moment of
	// an insert).
	Middleware []rivertype.Middleware
	// RetryPolicy decides when a River job that errored runs again; default
	// River's (attempt⁴ seconds). A receiver's failure is not such an error:
	// the webhook service schedules its own retries.
	RetryPolicy river.ClientRetryPolicy
}

// Defaults.
const (
	DefaultHeartbeat       = 3 * time.Second
	DefaultNodeTTL         = 15 * time.Second
	DefaultRescueAfter     = 10 * time.Minute
	DefaultPromoteInterval = 200 * time.Millisecond
	// DefaultFetchCooldown is River's least: new work is fetched within a
	// millisecond of the notification of its insert, which is most of a
	// webhook's latency from commit to receiver. Under load it costs less
	// than it saves: every fetch brings a batch.
	DefaultFetchCooldown = time.Millisecond
	// DefaultFetchPollInterval is how often River looks for work it was not
	// told of (jobs that became due, work of nodes that died).
	DefaultFetchPollInterval = 200 * time.Millisecond
)

func (c *Config) withDefaults() (Config, error) {
	o := *c
	if o.DB == nil {
		return o, errors.New("engine: Config.DB is required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Role == "" {
		o.Role = "all"
	}
	if o.NodeID == "" {
		host, _ := os.Hostname()
		if host == "" {
			host = "node"
		}
		var b [4]byte
		_, _ = rand.Read(b[:])
		o.NodeID = host + "-" + hex.EncodeToString(b[:])
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = DefaultHeartbeat
	}
	if o.NodeTTL <= 0 {
		o.NodeTTL = DefaultNodeTTL
	}
	if o.NodeTTL < 2*o.Heartbeat {
		return o, fmt.Errorf("engine: NodeTTL (%s) must be at least twice Heartbeat (%s)", o.NodeTTL, o.Heartbeat)
	}
	if o.RescueAfter <= 0 {
		o.RescueAfter = DefaultRescueAfter
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = min(time.Minute, o.RescueAfter*9/10)
	}
	if o.JobTimeout >= o.RescueAfter {
		return o, fmt.Errorf("engine: JobTimeout (%s) must be below RescueAfter (%s)", o.JobTimeout, o.RescueAfter)
	}
	if o.PromoteInterval <= 0 {
		o.PromoteInterval = DefaultPromoteInterval
	}
	if o.FetchCooldown <= 0 {
		o.FetchCooldown = DefaultFetchCooldown
	}
	if o.FetchPollInterval <= 0 {
		o.FetchPollInterval = DefaultFetchPollInterval
	}
	for q, n := range o.Queues {
		if n < 1 {
			return o, fmt.Errorf("engine: queue %q needs at least one worker, not %d", q, n)
		}
	}
	return o, nil
}

// Engine is trawl's one owner of River: the client, its queues and workers,
// the promotion of due jobs, node liveness and the takeover of a dead node's
// work. Its methods are safe for concurrent use.
type Engine struct {
	c      Config
	river  *river.Client[*sql.Tx]
	sql    riverSQL
	mu     sync.Mutex
	cancel context.CancelFunc // stops the loops; nil while not started
	loops  sync.WaitGroup
}

// New builds the engine on c.DB and attaches it to the store, whose
// transactions enqueue through it from then on. It starts nothing: call
// Start.
func New(c Config) (*Engine, error) {
	cfg, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	workers := river.NewWorkers()
	for _, h := range cfg.Handlers {
		h.AddWorkers(workers)
	}
	rc := &river.Config{
		ID:                   cfg.NodeID,
		Workers:              workers,
		Logger:               cfg.Logger.With("component", "river"),
		FetchCooldown:        cfg.FetchCooldown,
		FetchPollInterval:    cfg.FetchPollInterval,
		RescueStuckJobsAfter: cfg.RescueAfter,
		JobTimeout:           cfg.JobTimeout,
		Middleware:           cfg.Middleware,
		RetryPolicy:          cfg.RetryPolicy,
	}
	if len(cfg.Queues) > 0 {
		rc.Queues = map[string]river.QueueConfig{}
		for q, n := range cfg.Queues {
			rc.Queues[q] = river.QueueConfig{MaxWorkers: n}
		}
	}
	client, err := river.NewClient(cfg.DB.RiverDriver(), rc)
	if err != nil {
		return nil, fmt.Errorf("river: %w", err)
	}
	e := &Engine{c: cfg, river: client, sql: newRiverSQL(cfg.DB.Writer(), cfg.DB.Postgres())}
	cfg.DB.AttachQueue(e)
	return e, nil
}

// NodeID is the name this node announces itself under.
func (e *Engine) NodeID() string { return e.c.NodeID }

// works reports whether this node runs workers.
func (e *Engine) works() bool { return len(e.c.Queues) > 0 }

// InsertTx implements store.Queue: River inserts jobs in the caller's
// transaction.
func (e *Engine) InsertTx(ctx context.Context, tx *sql.Tx, jobs []river.InsertManyParams) error {
	if _, err := e.river.InsertManyTx(ctx, tx, jobs); err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	return nil
}

// Start announces the node and, on a node that works, takes back the work of
// dead nodes, starts River's workers and the loops that promote due jobs and
// renew the node. On SQLite only one process uses the database, so any other
// node on record is dead: its work is taken back at once. ctx bounds the
// start only; the engine runs until Stop.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cancel != nil {
		return errors.New("engine: already started")
	}
	if err := e.sql.announce(ctx, e.c.NodeID, e.c.Role); err != nil {
		return err
	}
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if e.works() {
		ttl := e.c.NodeTTL
		if !e.c.DB.Postgres() {
			ttl = 0 // a single SQLite node: whoever else is on record is gone
		}
		if err := e.takeOver(ctx, ttl); err != nil {
			cancel()
			return err
		}
		// River runs on a context of its own: Stop decides when its work
		// ends, not the caller's signal.
		if err := e.river.Start(loopCtx); err != nil {
			cancel()
			return fmt.Errorf("start river: %w", err)
		}
		e.loops.Add(1)
		go func() {
			defer e.loops.Done()
			e.every(loopCtx, e.c.PromoteInterval, "promote due jobs", func(ctx context.Context) error {
				_, err := e.sql.promoteDue(ctx)
				return err
			})
		}()
	}
	e.loops.Add(1)
	go func() {
		defer e.loops.Done()
		e.every(loopCtx, e.c.Heartbeat, "renew node", e.heartbeat)
	}()
	e.cancel = cancel
	return nil
}

// heartbeat renews the node and, on a node that works, takes back the work
// of nodes that stopped renewing.
func (e *Engine) heartbeat(ctx context.Context) error {
	renewed, err := e.sql.renew(ctx, e.c.NodeID, e.c.Role)
	if err != nil {
		return err
	}
	if !renewed {
		e.c.Logger.Warn("this node was taken for dead (it did not renew in time); its work in flight may run twice",
			"node", e.c.NodeID, "ttl", e.c.NodeTTL)
	}
	if !e.works() {
		return nil
	}
	return e.takeOver(ctx, e.c.NodeTTL)
}

// takeOver makes available again the running work of every node that has
// not renewed within ttl, and forgets nodes long gone.
func (e *Engine) takeOver(ctx context.Context, ttl time.Duration) error {
	n, dead, err := e.sql.takeOver(ctx, e.c.NodeID, ttl)
	if err != nil {
		return err
	}
	if n > 0 {
		e.c.Logger.Info("took back the work of dead nodes", "jobs", n, "nodes", dead)
	}
	return nil
}

// every calls fn every interval until ctx ends, logging its errors.
func (e *Engine) every(ctx context.Context, interval time.Duration, what string, fn func(context.Context) error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				e.c.Logger.Warn(what, "err", err)
			}
		}
	}
}

// Stop stops taking work, lets the work in flight finish until ctx ends,
// cancels what is left then (it runs again, here or on another node), and
// takes the node off the record. A node that only enqueues just leaves.
func (e *Engine) Stop(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cancel == nil {
		return nil
	}
	var errs []error
	if e.works() {
		if err := e.river.Stop(ctx); err != nil {
			e.c.Logger.Warn("work still in flight at the shutdown deadline; cancelling it (it runs again later)")
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if err := e.river.StopAndCancel(cctx); err != nil {
				errs = append(errs, fmt.Errorf("river stop: %w", err))
			}
			cancel()
		}
	}
	e.cancel()
	e.loops.Wait()
	e.cancel = nil
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := e.sql.leave(lctx, e.c.NodeID); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Node is one trawl process as the liveness record shows it.
type Node struct {
	ID        string    `json:"id"`
	Role      string    `json:"role"`
	Host      string    `json:"host"`
	StartedAt time.Time `json:"startedAt"`
	RenewedAt time.Time `json:"renewedAt"`
	// Age is how long ago the node last renewed, by the database's clock.
	Age time.Duration `json:"-"`
	// Alive is whether it renewed within the node TTL.
	Alive bool `json:"alive"`
}

// Nodes lists the nodes on record, live ones first.
func (e *Engine) Nodes(ctx context.Context) ([]Node, error) {
	return e.sql.nodes(ctx, e.c.NodeTTL)
}

// QueueDepth counts River's unfinished jobs in db by queue and state. It
// needs no engine, so that metrics can be built before one.
func QueueDepth(ctx context.Context, db Database) (map[[2]string]int64, error) {
	return newRiverSQL(db.Writer(), db.Postgres()).queueDepth(ctx)
}
