package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/egress"
	"github.com/trawlhq/trawl/export"
	"github.com/trawlhq/trawl/httpapi"
	"github.com/trawlhq/trawl/jobs"
	"github.com/trawlhq/trawl/metrics"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/scrape/contacts"
	"github.com/trawlhq/trawl/scrape/crawler"
	"github.com/trawlhq/trawl/store/sqlite"
	"github.com/trawlhq/trawl/webhook"
)

type serveCmd struct {
	dbFlags
	Addr                   string        `name:"addr" env:"TRAWL_ADDR" default:"127.0.0.1:8080" help:"Address to listen on (port 0 picks a free port)."`
	APIKey                 string        `name:"api-key" env:"TRAWL_API_KEY" help:"Make sure this API key exists. Unset: the first start creates one and prints it once."`
	PublicURL              string        `name:"public-url" env:"TRAWL_PUBLIC_URL" help:"Public base URL for links (default http://<addr>)."`
	AllowPrivateNetworks   bool          `name:"allow-private-networks" env:"TRAWL_ALLOW_PRIVATE_NETWORKS" help:"Allow scrapes and webhooks to loopback, private and link-local addresses."`
	Role                   string        `name:"role" env:"TRAWL_ROLE" default:"all" enum:"all,api,worker" help:"What this node does: ${enum}."`
	ProxyURLs              []string      `name:"proxy-urls" env:"TRAWL_PROXY_URLS" help:"Outbound proxies for scraping (http://, https:// or socks5://), comma-separated, used in turn; one that refuses connections sits out a while."`
	UserAgent              string        `name:"user-agent" env:"TRAWL_USER_AGENT" help:"User-Agent of scraper requests (default trawl/<version>)."`
	ScrapeWorkers          int           `name:"scrape-workers" env:"TRAWL_SCRAPE_WORKERS" default:"16" help:"Tasks run at once on this node."`
	WebhookWorkers         int           `name:"webhook-workers" env:"TRAWL_WEBHOOK_WORKERS" default:"32" help:"Webhook deliveries in flight on this node."`
	WebhookRetrySchedule   string        `name:"webhook-retry-schedule" env:"TRAWL_WEBHOOK_RETRY_SCHEDULE" default:"5s,5m" help:"Delays before webhook attempts 2, 3, … (±20% jitter)."`
	WebhookConnectTimeout  time.Duration `name:"webhook-connect-timeout" env:"TRAWL_WEBHOOK_CONNECT_TIMEOUT" default:"5s" help:"Connect timeout of a webhook delivery."`
	WebhookTimeout         time.Duration `name:"webhook-timeout" env:"TRAWL_WEBHOOK_TIMEOUT" default:"15s" help:"Total timeout of a webhook delivery."`
	WebhookBatchRows       int           `name:"webhook-batch-rows" env:"TRAWL_WEBHOOK_BATCH_ROWS" default:"100" help:"Most rows in one data event."`
	WebhookMaxBodyBytes    int           `name:"webhook-max-body-bytes" env:"TRAWL_WEBHOOK_MAX_BODY_BYTES" default:"1048576" help:"Largest webhook body: data events are split below it, and a larger single row is sent as a reference."`
	WebhookHostConcurrency int           `name:"webhook-host-concurrency" env:"TRAWL_WEBHOOK_HOST_CONCURRENCY" default:"8" help:"Deliveries in flight to one receiver host on this node."`
	WebhookBatchWindow     time.Duration `name:"webhook-batch-window" env:"TRAWL_WEBHOOK_BATCH_WINDOW" default:"2s" help:"Longest wait before new rows are sent."`
	ShutdownTimeout        time.Duration `name:"shutdown-timeout" env:"TRAWL_SHUTDOWN_TIMEOUT" default:"30s" help:"How long a drain may take on SIGINT/SIGTERM before work in flight is cancelled."`
	ExportLinkTTL          time.Duration `name:"export-link-ttl" env:"TRAWL_EXPORT_LINK_TTL" default:"24h" help:"How long the signed download links of a job record stay valid."`
}

// Run starts trawl and blocks until e.ctx is done, then drains.
func (c *serveCmd) Run(e *env) error {
	if c.Role != "all" {
		return fmt.Errorf("--role %s (TRAWL_ROLE): split roles need the shared PostgreSQL database, which this build does not support yet", c.Role)
	}
	schedule, err := webhook.ParseSchedule(c.WebhookRetrySchedule)
	if err != nil {
		return fmt.Errorf("--webhook-retry-schedule (TRAWL_WEBHOOK_RETRY_SCHEDULE): %w", err)
	}
	proxies, err := scrape.NewProxyPool(c.ProxyURLs, scrape.ProxyPoolOptions{})
	if err != nil {
		return fmt.Errorf("--proxy-urls (TRAWL_PROXY_URLS): %w", err)
	}
	if c.ScrapeWorkers < 1 || c.WebhookWorkers < 1 {
		return errors.New("--scrape-workers and --webhook-workers must be at least 1")
	}
	ctx, log := e.ctx, e.log

	db, err := openDB(ctx, c.dbFlags, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := ensureKey(ctx, db, c.APIKey, e); err != nil {
		return fmt.Errorf("api key: %w", err)
	}
	if c.ExportLinkTTL <= 0 {
		return errors.New("--export-link-ttl (TRAWL_EXPORT_LINK_TTL) must be positive")
	}
	exportKey, err := exportSecret(ctx, db)
	if err != nil {
		return err
	}

	userAgent := c.UserAgent
	if userAgent == "" {
		userAgent = "trawl/" + version + " (+https://github.com/trawlhq/trawl)"
	}
	scrapeClient := egress.NewClient(egress.Options{
		AllowPrivateNetworks: c.AllowPrivateNetworks,
		Timeout:              30 * time.Second,
		FollowRedirects:      true,
		Proxy:                proxies.ProxyFunc(),
	})
	defer scrapeClient.CloseIdleConnections()
	hookClient := egress.NewClient(egress.Options{
		AllowPrivateNetworks: c.AllowPrivateNetworks,
		ConnectTimeout:       c.WebhookConnectTimeout,
		Timeout:              c.WebhookTimeout,
	})
	defer hookClient.CloseIdleConnections()

	fetcher := scrape.NewFetcher(scrape.FetcherOptions{Client: scrapeClient, UserAgent: userAgent, Proxies: proxies})
	scrapers := scrape.NewRegistry(crawler.New(fetcher), contacts.New(fetcher))
	mx := metrics.New(db, log)
	svc := jobs.NewService(jobs.Config{
		Store:    db,
		Scrapers: scrapers,
		Logger:   log,
		Batch:    jobs.Batch{MaxRows: c.WebhookBatchRows, MaxBytes: c.WebhookMaxBodyBytes, Window: c.WebhookBatchWindow},
		Observer: mx,
	})
	sender := &webhook.Sender{Client: hookClient, UserAgent: "trawl/" + version, IsBlocked: egress.IsBlocked}
	workers := river.NewWorkers()
	svc.AddWorkers(workers)
	river.AddWorker(workers, webhook.NewWorker(webhook.Config{
		Outbox:             db,
		Sender:             sender,
		Schedule:           schedule,
		Logger:             log,
		PerHostConcurrency: c.WebhookHostConcurrency,
		Observer:           mx,
	}))

	riverClient, err := river.NewClient(riversqlite.New(db.Write), &river.Config{
		Queues: map[string]river.QueueConfig{
			jobs.QueueScrape:          {MaxWorkers: c.ScrapeWorkers},
			webhook.QueueWebhook:      {MaxWorkers: c.WebhookWorkers},
			webhook.QueueWebhookRetry: {MaxWorkers: max(1, c.WebhookWorkers/2)},
		},
		Workers:              workers,
		Logger:               log.With("component", "river"),
		FetchCooldown:        20 * time.Millisecond,
		FetchPollInterval:    200 * time.Millisecond,
		RescueStuckJobsAfter: 10 * time.Minute,
	})
	if err != nil {
		return fmt.Errorf("river: %w", err)
	}
	svc.SetClient(riverClient)

	// A single SQLite node is the only one that could have been running
	// anything: take back at once what its previous process left running.
	if n, err := db.ReleaseOrphans(ctx); err != nil {
		return err
	} else if n > 0 {
		log.Info("resuming work left running by the previous process", "jobs", n)
	}

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	publicURL := strings.TrimRight(c.PublicURL, "/")
	if publicURL == "" {
		publicURL = "http://" + ln.Addr().String()
	}
	signer, err := export.NewSigner(export.SignerConfig{Secret: exportKey, BaseURL: publicURL, TTL: c.ExportLinkTTL})
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("--public-url (TRAWL_PUBLIC_URL): %w", err)
	}
	var draining atomic.Bool
	handler := httpapi.New(httpapi.Config{
		Jobs:      svc,
		Store:     db,
		Scrapers:  infos(scrapers),
		PublicURL: publicURL,
		Version:   version,
		Logger:    log,
		Webhooks:  webhookAPI{db, svc},
		Accounts:  db,
		Links:     dataLinks(signer),
		Exports:   &httpapi.Exports{Tokens: signer, Rows: db},
		Ready: func(context.Context) error {
			if draining.Load() {
				return errors.New("shutting down")
			}
			return nil
		},
	})
	root := http.NewServeMux()
	root.Handle("GET /metrics", mx.Handler())
	root.Handle("/", handler)
	srv := &http.Server{
		Handler:           root,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	// River runs on a context of its own: the drain below decides when its
	// work stops, not the signal that started the drain.
	if err := riverClient.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start river: %w", err)
	}
	promoteCtx, stopPromote := context.WithCancel(context.WithoutCancel(ctx))
	defer stopPromote()
	go jobs.Promote(promoteCtx, jobs.PromoteInterval, db.PromoteDue, log)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("trawl is listening", "addr", ln.Addr().String(), "public_url", publicURL, "database", db.Path(),
		"allow_private_networks", c.AllowPrivateNetworks)

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server failed", "err", err)
		}
	}
	return c.drain(log, srv, riverClient, &draining)
}

// drain stops taking work, lets requests and jobs in flight finish within the
// shutdown timeout, and cancels what is left after it. A job cut short is not
// lost: it runs again at the next start.
func (c *serveCmd) drain(log *slog.Logger, srv *http.Server, rc *river.Client[*sql.Tx], draining *atomic.Bool) error {
	draining.Store(true)
	log.Info("draining: finishing requests and work in flight", "timeout", c.ShutdownTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("http shutdown: %w", err))
	}
	if err := rc.Stop(ctx); err != nil {
		log.Warn("work still in flight at the shutdown timeout; cancelling it (it resumes at the next start)")
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer ccancel()
		if err := rc.StopAndCancel(cctx); err != nil {
			errs = append(errs, fmt.Errorf("river stop: %w", err))
		}
	}
	log.Info("stopped")
	return errors.Join(errs...)
}

// webhookAPI serves the delivery log from the store and redelivery from the
// jobs service.
type webhookAPI struct {
	db  *sqlite.DB
	svc *jobs.Service
}

func (w webhookAPI) Attempts(ctx context.Context, jobID, offset, limit int64) ([]*trawl.DeliveryAttempt, int64, error) {
	return w.db.Attempts(ctx, jobID, offset, limit)
}

func (w webhookAPI) Events(ctx context.Context, jobID int64) ([]*trawl.Event, error) {
	return w.db.Events(ctx, jobID)
}

func (w webhookAPI) Redeliver(ctx context.Context, accountID, jobID int64, eventID string) (*trawl.Event, error) {
	return w.svc.Redeliver(ctx, accountID, jobID, eventID)
}

func (w webhookAPI) RedeliverFailed(ctx context.Context, accountID, jobID int64) ([]*trawl.Event, error) {
	return w.svc.RedeliverFailed(ctx, accountID, jobID)
}

func infos(r *scrape.Registry) []scrape.Info {
	var out []scrape.Info
	for _, s := range r.All() {
		out = append(out, s.Info())
	}
	return out
}
