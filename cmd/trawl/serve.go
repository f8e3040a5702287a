package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/egress"
	"github.com/trawlhq/trawl/engine"
	"github.com/trawlhq/trawl/export"
	"github.com/trawlhq/trawl/httpapi"
	"github.com/trawlhq/trawl/jobs"
	"github.com/trawlhq/trawl/metrics"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/scrape/contacts"
	"github.com/trawlhq/trawl/scrape/crawler"
	"github.com/trawlhq/trawl/scrape/googlemaps"
	"github.com/trawlhq/trawl/web"
	"github.com/trawlhq/trawl/webhook"
)

type serveCmd struct {
	dbFlags
	pageFlags
	browserFlags
	scraperFlags
	pprofFlags
	politenessFlags
	Addr                   string        `name:"addr" env:"TRAWL_ADDR" default:"127.0.0.1:8080" help:"Address to listen on (port 0 picks a free port)."`
	APIKey                 string        `name:"api-key" env:"TRAWL_API_KEY" help:"Make sure this API key exists. Unset: the first start creates one and prints it once."`
	PublicURL              string        `name:"public-url" env:"TRAWL_PUBLIC_URL" help:"Public base URL for links (default http://<addr>)."`
	AllowPrivateNetworks   bool          `name:"allow-private-networks" env:"TRAWL_ALLOW_PRIVATE_NETWORKS" help:"Allow scrapes and webhooks to loopback, private and link-local addresses."`
	Role                   string        `name:"role" env:"TRAWL_ROLE" default:"all" enum:"all,api,worker" help:"What this node does: ${enum}."`
	ProxyURLs              []string      `name:"proxy-urls" env:"TRAWL_PROXY_URLS" help:"Outbound proxies for scraping (http://, https:// or socks5://), comma-separated, used in turn; one that refuses connections sits out a while. An entry may end in a label, #type=datacenter&country=US, that proxyType and proxyCountry choose by."`
	UserAgent              string        `name:"user-agent" env:"TRAWL_USER_AGENT" help:"User-Agent of scraper requests (default trawl/<version>)."`
	ScrapeWorkers          int           `name:"scrape-workers" env:"TRAWL_SCRAPE_WORKERS" default:"16" help:"Tasks run at once on this node."`
	AccountConcurrency     int           `name:"account-concurrency" env:"TRAWL_ACCOUNT_CONCURRENCY" default:"32" help:"Tasks of one account queued or running at once, across all nodes; the rest wait their turn, so one account's large job cannot hold up the others."`
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
	GoogleMapsURL          string        `name:"google-maps-url" env:"TRAWL_GOOGLE_MAPS_URL" default:"https://maps.google.com" help:"Base URL of the Google Maps search endpoint (scheme and host; a local fake in tests)."`
	NodeTTL                time.Duration `name:"node-ttl" env:"TRAWL_NODE_TTL" default:"15s" help:"How long a node may go without renewing its liveness record (every few seconds) before another node takes back its running work."`
	RescueAfter            time.Duration `name:"rescue-after" env:"TRAWL_RESCUE_AFTER" default:"10m" help:"Last resort: how long work may run on a node that is still alive before another node takes it. Tasks time out well before."`
}

// Run starts trawl and blocks until e.ctx is done, then drains.
func (c *serveCmd) Run(e *env) error {
	schedule, err := webhook.ParseSchedule(c.WebhookRetrySchedule)
	if err != nil {
		return fmt.Errorf("--webhook-retry-schedule (TRAWL_WEBHOOK_RETRY_SCHEDULE): %w", err)
	}
	limits, err := c.politenessFlags.parse()
	if err != nil {
		return err
	}
	proxies, err := scrape.NewProxyPool(c.ProxyURLs, scrape.ProxyPoolOptions{})
	if err != nil {
		return fmt.Errorf("--proxy-urls (TRAWL_PROXY_URLS): %w", err)
	}
	if c.ScrapeWorkers < 1 || c.WebhookWorkers < 1 || c.AccountConcurrency < 1 {
		return errors.New("--scrape-workers, --webhook-workers and --account-concurrency must be at least 1")
	}
	if c.ExportLinkTTL <= 0 {
		return errors.New("--export-link-ttl (TRAWL_EXPORT_LINK_TTL) must be positive")
	}
	if c.RescueAfter < 10*time.Second {
		return errors.New("--rescue-after (TRAWL_RESCUE_AFTER) must be at least 10s")
	}
	if c.NodeTTL < 2*engine.DefaultHeartbeat {
		return fmt.Errorf("--node-ttl (TRAWL_NODE_TTL) must be at least %s (twice the heartbeat)", 2*engine.DefaultHeartbeat)
	}
	if c.Role != roleAll && c.DatabaseURL == "" {
		return fmt.Errorf("--role %s (TRAWL_ROLE): split roles share work through PostgreSQL; set --database-url (TRAWL_DATABASE_URL)", c.Role)
	}
	if c.APIKey != "" {
		if err := trawl.CheckOperatorKey(c.APIKey); err != nil {
			return fmt.Errorf("--api-key (TRAWL_API_KEY) is too weak: %w", err)
		}
	}
	if c.PprofAddr != "" {
		if err := c.checkAddr(); err != nil {
			return err
		}
	}
	ctx, log := e.ctx, e.log.With("role", c.Role)

	db, err := openDB(ctx, c.dbFlags, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if c.Role != roleWorker {
		if err := ensureKey(ctx, db, c.APIKey, e); err != nil {
			return fmt.Errorf("api key: %w", err)
		}
	}
	exportKey, err := exportSecret(ctx, db)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	defer ln.Close()
	ln = httpapi.Listener(ln) // net/http's own 400s in the JSON error shape
	publicURL := strings.TrimRight(c.PublicURL, "/")
	if publicURL == "" {
		publicURL = "http://" + ln.Addr().String()
	}
	signer, err := export.NewSigner(export.SignerConfig{Secret: exportKey, BaseURL: publicURL, TTL: c.ExportLinkTTL})
	if err != nil {
		return fmt.Errorf("--public-url (TRAWL_PUBLIC_URL): %w", err)
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
		MaxIdleConnsPerHost:  max(16, limits.mostInFlight()),
	})
	defer scrapeClient.CloseIdleConnections()
	hookClient := egress.NewClient(egress.Options{
		AllowPrivateNetworks: c.AllowPrivateNetworks,
		ConnectTimeout:       c.WebhookConnectTimeout,
		Timeout:              c.WebhookTimeout,
	})
	defer hookClient.CloseIdleConnections()

	mx := metrics.New(metricsSource{db}, log)
	mx.WatchWriter(db.WriterStats)
	slots := sharedSlots(db, c.DatabaseURL)
	fetcher := scrape.NewFetcher(limits.options(scrape.FetcherOptions{Client: scrapeClient, UserAgent: userAgent, Proxies: proxies,
		Observer: mx}, slots))
	googleMaps, err := googlemaps.New(fetcher, c.GoogleMapsURL)
	if err != nil {
		return fmt.Errorf("--google-maps-url (TRAWL_GOOGLE_MAPS_URL): %w", err)
	}
	pool, err := c.startBrowser(ctx, log, fetcher, proxies, mx, c.AllowPrivateNetworks)
	if err != nil {
		return err
	}
	if pool != nil {
		defer stopBrowser(pool, log)
	}
	shots, err := c.screenshots(db, exportKey, publicURL, log)
	if err != nil {
		return err
	}
	pages, err := c.pageEngine(fetcher, proxies, c.AllowPrivateNetworks, renderer(pool), shots)
	if err != nil {
		return err
	}
	contactsScraper := contacts.New(fetcher)
	contactsScraper.Renderer = renderer(pool)
	more, endpoints, err := c.scraperFlags.build(fetcher, googleMaps, func(ua string) *scrape.Fetcher {
		return scrape.NewFetcher(limits.options(scrape.FetcherOptions{Client: scrapeClient, UserAgent: ua, Proxies: proxies,
			Observer: mx}, slots))
	})
	if err != nil {
		return err
	}
	scrapers := scrape.NewRegistry(append([]scrape.Scraper{crawler.New(pages, fetcher), contactsScraper, googleMaps}, more...)...)
	links := func(j *trawl.Job) any {
		if !j.Status.Terminal() {
			return nil
		}
		return signer.Links(j.ID)
	}
	hooks := webhook.New(webhook.Config{
		Store:              db,
		Sender:             &webhook.Sender{Client: hookClient, UserAgent: "trawl/" + version, IsBlocked: egress.IsBlocked},
		Schedule:           schedule,
		Logger:             log,
		PerHostConcurrency: c.WebhookHostConcurrency,
		// One account's receivers may hold half of this node's delivery
		// workers; the other half stays for everyone else.
		AccountConcurrency: max(1, c.WebhookWorkers/2),
		Observer:           mx,
		Links:              links,
		Batch:              webhook.Batch{MaxRows: c.WebhookBatchRows, MaxBytes: c.WebhookMaxBodyBytes, Window: c.WebhookBatchWindow},
		PublicURL:          publicURL,
	})
	svc := jobs.NewService(jobs.Config{
		Store:    db,
		Scrapers: scrapers,
		Events:   hooks,
		Logger:   log,
		Observer: mx,
		// A task must end before River's last-resort rescue would take it
		// from a live node.
		TaskTimeout:        min(5*time.Minute, c.RescueAfter*9/10),
		AccountConcurrency: c.AccountConcurrency,
		HostConcurrency:    fetcher.HostConcurrency,
	})
	engineConfig := engine.Config{
		DB:          db,
		Logger:      log,
		Handlers:    []engine.Handler{svc, hooks},
		Role:        c.Role,
		NodeTTL:     c.NodeTTL,
		RescueAfter: c.RescueAfter,
	}
	if c.Role != roleAPI {
		// An api node only enqueues; the others work the queues.
		engineConfig.Queues = map[string]int{
			jobs.QueueScrape:          c.ScrapeWorkers,
			webhook.QueueWebhook:      c.WebhookWorkers,
			webhook.QueueWebhookRetry: max(1, c.WebhookWorkers/2),
		}
	}
	eng, err := engine.New(engineConfig)
	if err != nil {
		return err
	}

	var draining atomic.Bool
	ready := func(context.Context) error {
		if draining.Load() {
			return errors.New("shutting down")
		}
		return nil
	}
	var root http.Handler
	var console *web.Console
	if c.Role == roleWorker {
		root = withMetrics(mx.Handler(), probes(db, ready))
	} else {
		var screenshots http.Handler
		if shots != nil {
			screenshots = shots.Handler()
		}
		api := httpapi.Config{
			Jobs:      svc,
			Store:     db,
			Scrapers:  infos(scrapers),
			PublicURL: publicURL,
			Version:   version,
			Logger:    log,
			Webhooks:  hooks,
			Accounts:  db,
			Links:     dataLinks(signer),
			Exports:   &httpapi.Exports{Tokens: signer, Rows: db},
			Nodes:     nodeList(eng),
			Tasks: func(ctx context.Context, accountID int64) (int64, int, error) {
				n, err := db.TasksInFlight(ctx, accountID)
				return n, c.AccountConcurrency, err
			},
			Ready: ready,

			Web:            pages,
			WebConcurrency: c.WebConcurrency,
			Usage:          usageStore(db),
			Rendering:      renderingStatus(pool),
			Endpoints:      endpoints,
			Observer:       mx,
		}
		console = newConsole(db, hooks, svc, scrapers, signer, publicURL, exportKey, httpapi.JobEncoder(api), log)
		api.Events = console.Events()
		root = withMetrics(mx.Handler(), front(console, screenshots, httpapi.New(api)))
	}
	srv := &http.Server{
		Handler:           root,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if console != nil {
		srv.RegisterOnShutdown(console.Close) // open event streams end, so the drain need not wait for them
	}

	stopPprof, err := c.startPprof(log)
	if err != nil {
		return err
	}
	defer stopPprof()
	if err := eng.Start(ctx); err != nil {
		return err
	}
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
	return c.drain(log, srv, eng, &draining)
}

// Node roles.
const (
	roleAll    = "all"
	roleAPI    = "api"
	roleWorker = "worker"
)

// probes is all a worker node serves besides /metrics: liveness and
// readiness.
func probes(db database, ready func(context.Context) error) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := errors.Join(db.Ping(ctx), ready(ctx)); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"unavailable","message":"Not ready."}`))
			return
		}
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"message":"This is a worker node: it serves /healthz, /readyz and /metrics only."}`))
	})
	return mux
}

// drain stops taking work, lets requests and jobs in flight finish within the
// shutdown timeout, and cancels what is left after it. A job cut short is not
// lost: it runs again at the next start, or on another node.
func (c *serveCmd) drain(log *slog.Logger, srv *http.Server, eng *engine.Engine, draining *atomic.Bool) error {
	draining.Store(true)
	log.Info("draining: finishing requests and work in flight", "timeout", c.ShutdownTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("http shutdown: %w", err))
	}
	if err := eng.Stop(ctx); err != nil {
		errs = append(errs, err)
	}
	log.Info("stopped")
	return errors.Join(errs...)
}

// nodeList lists the nodes sharing the database for GET /nodes.
func nodeList(eng *engine.Engine) func(context.Context) ([]httpapi.Node, error) {
	return func(ctx context.Context) ([]httpapi.Node, error) {
		nodes, err := eng.Nodes(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]httpapi.Node, 0, len(nodes))
		for _, n := range nodes {
			out = append(out, httpapi.Node{ID: n.ID, Role: n.Role, Host: n.Host, StartedAt: n.StartedAt, RenewedAt: n.RenewedAt,
				Age: n.Age, Alive: n.Alive})
		}
		return out, nil
	}
}

// metricsSource answers the metrics' questions: jobs from the store, queues
// from the engine's tables.
type metricsSource struct{ db database }

func (m metricsSource) JobCounts(ctx context.Context) (map[string]int64, error) {
	return m.db.JobCounts(ctx)
}

// QueueDepth counts every queue's unfinished River jobs by state, with a
// zero for each of trawl's queues and states that has none, so the series
// are there even when the queues are empty.
func (m metricsSource) QueueDepth(ctx context.Context) (map[[2]string]int64, error) {
	depth, err := engine.QueueDepth(ctx, m.db)
	if err != nil {
		return nil, err
	}
	for _, q := range []string{jobs.QueueScrape, webhook.QueueWebhook, webhook.QueueWebhookRetry} {
		for _, st := range []string{"available", "running", "scheduled", "retryable"} {
			if _, ok := depth[[2]string{q, st}]; !ok {
				depth[[2]string{q, st}] = 0
			}
		}
	}
	return depth, nil
}

func infos(r *scrape.Registry) []scrape.Info {
	var out []scrape.Info
	for _, s := range r.All() {
		out = append(out, s.Info())
	}
	return out
}

// withMetrics serves GET /metrics from metrics and everything else from
// rest, without a mux of its own in between (a mux would redirect paths
// with ".." or "//" before the API could answer them).
func withMetrics(metrics, rest http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			metrics.ServeHTTP(w, r)
			return
		}
		rest.ServeHTTP(w, r)
	})
}
