package httpapi

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/store"
)

// Jobs creates and stops jobs; *jobs.Service implements it. Errors that are
// *trawl.Error reach the client with their code's status and message; any
// other error is a 500 whose text is logged, never shown.
type Jobs interface {
	// Create validates body (the raw request body, the handler's own copy)
	// for the scraper slug and stores a pending job for the account.
	Create(ctx context.Context, accountID int64, slug string, body []byte) (*trawl.Job, error)
	// Stop stops the account's job id; stopping a finished job changes
	// nothing and returns it as it is.
	Stop(ctx context.Context, accountID, id int64) (*trawl.Job, error)
}

// Store is the part of store.Store the API reads from.
type Store interface {
	// AccountByAPIKey returns the key's account, or an EUNAUTHORIZED error
	// when the key is unknown or revoked.
	AccountByAPIKey(ctx context.Context, key string) (*trawl.Account, error)
	// Job returns the account's job id, or ENOTFOUND (also for another
	// account's job).
	Job(ctx context.Context, accountID, id int64) (*trawl.Job, error)
	// Jobs lists an account's jobs, newest first, with their total count.
	Jobs(ctx context.Context, f store.JobFilter) ([]*trawl.Job, int64, error)
	// Rows returns up to limit rows of a job in storage order after skipping
	// offset, with the job's row total.
	Rows(ctx context.Context, jobID, offset, limit int64) ([]*trawl.Row, int64, error)
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
}

// DataLinks are a terminal job's download links: absolute URLs of the rows as
// a JSON array, CSV and XLSX.
type DataLinks struct {
	JSON string `json:"json" format:"uri" doc:"The rows as a JSON array of row objects."`
	CSV  string `json:"csv" format:"uri" doc:"The rows as CSV."`
	XLSX string `json:"xlsx" format:"uri" doc:"The rows as an Excel workbook."`
}

// Schema documents DataLinks in OpenAPI as a nullable object: the record's
// data field is null until the job is terminal.
func (DataLinks) Schema(huma.Registry) *huma.Schema {
	uri := func(doc string) *huma.Schema {
		return &huma.Schema{Type: huma.TypeString, Format: "uri", Description: doc}
	}
	return &huma.Schema{
		Type:        huma.TypeObject,
		Nullable:    true,
		Description: "Download links, once the job is terminal; null before.",
		Properties: map[string]*huma.Schema{
			"json": uri("The rows as a JSON array of row objects."),
			"csv":  uri("The rows as CSV."),
			"xlsx": uri("The rows as an Excel workbook."),
		},
		Required:             []string{"json", "csv", "xlsx"},
		AdditionalProperties: false,
	}
}

// DefaultMaxBodyBytes is the default cap on a create request body.
const DefaultMaxBodyBytes = 1 << 20

// Config is what the API needs. Jobs and Store are required; every other
// field has a usable zero value.
type Config struct {
	Jobs  Jobs
	Store Store
	// Scrapers are listed by GET /scrapers, in this order, and document the
	// create body in OpenAPI.
	Scrapers []scrape.Info
	// PublicURL is the absolute base of the links the API writes (paging
	// URLs), for example "http://127.0.0.1:8080", without a trailing slash.
	// Empty makes those links relative paths.
	PublicURL string
	// Version is the OpenAPI document's info.version; default "dev".
	Version string
	// Logger gets one Info line per request and the text of every internal
	// error; default: discard.
	Logger *slog.Logger
	// MaxBodyBytes caps a create request body; a larger one is a 413.
	// Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Ready is an optional extra readiness check for /readyz, run after
	// Store.Ping; an error makes /readyz answer 503.
	Ready func(ctx context.Context) error
	// Links returns a job's download links, or nil while it has none. nil
	// Links makes every record's data null.
	Links func(job *trawl.Job) *DataLinks
	// Webhooks serves the delivery log and redelivery; nil leaves those
	// routes out.
	Webhooks Webhooks
	// Accounts serves the account and its webhook secret; nil leaves those
	// routes out.
	Accounts Accounts
	// Exports serves the downloads (signed links and their API-key twins);
	// nil leaves those routes out.
	Exports *Exports
	// Events serves GET /events, the stream of an account's changes (the
	// web console's Events handler), which checks the caller itself; nil
	// leaves the route out.
	Events http.Handler
	// Nodes lists the trawl processes sharing the database and how long ago
	// each renewed its liveness record; nil leaves GET /nodes out.
	Nodes func(ctx context.Context) ([]Node, error)
	// Tasks reports an account's job tasks queued or running and how many
	// it may have at once, for GET /user/me/usage; nil reports none.
	Tasks func(ctx context.Context, accountID int64) (inFlight int64, limit int, err error)
	// Web serves /scrape/web and the catalogue (GET /apis); nil leaves them
	// out.
	Web WebScraper
	// WebConcurrency is how many /scrape/web calls one account may have in
	// flight; default DefaultWebConcurrency. The other synchronous scrapes
	// (Endpoints) share the same per-account bound.
	WebConcurrency int
	// Usage counts credits and enforces quotas (/user/me/usage, 403 past a
	// quota); nil counts nothing and reports every account unlimited.
	Usage Usage
	// Rendering reports the headless browser in GET /user/me; nil reports
	// rendering off.
	Rendering func() Rendering
	// Endpoints are the synchronous scrape endpoints (GET /scrape/…) of the
	// scrapers, each registered at its path (scrapesync.go); they count
	// their credits in Usage and share the /scrape/web concurrency bound.
	Endpoints []scrape.Endpoint
	// Observer, when set, is told of every request answered (route
	// pattern, method, status, duration), for the metrics.
	Observer Observer
}

// server holds one API's dependencies and its router.
type server struct {
	jobs      Jobs
	store     Store
	scrapers  []scrape.Info
	publicURL string
	version   string
	log       *slog.Logger
	maxBody   int64
	ready     func(ctx context.Context) error
	links     func(job *trawl.Job) *DataLinks
	webhooks  Webhooks
	accounts  Accounts
	nodes     func(ctx context.Context) ([]Node, error)
	tasks     func(ctx context.Context, accountID int64) (int64, int, error)
	exports   *Exports
	web       WebScraper
	webSlots  *slots
	usage     Usage
	rendering func() Rendering
	endpoints []scrape.Endpoint
	observer  Observer

	mux *http.ServeMux
	// patterns lists every pattern registered on mux, in order, so a test can
	// check that the OpenAPI document covers them all.
	patterns []string
	spec     spec
	handler  http.Handler
}

// New returns the API's handler. It is safe for concurrent use. New panics
// when c.Jobs or c.Store is nil, as wiring them is a programming error.
func New(c Config) http.Handler {
	return newServer(c).handler
}

func newServer(c Config) *server {
	if c.Jobs == nil || c.Store == nil {
		panic("httpapi: Config.Jobs and Config.Store are required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	s := &server{
		jobs:      c.Jobs,
		store:     c.Store,
		scrapers:  c.Scrapers,
		publicURL: c.PublicURL,
		version:   c.Version,
		log:       c.Logger,
		maxBody:   c.MaxBodyBytes,
		ready:     c.Ready,
		links:     c.Links,
		webhooks:  c.Webhooks,
		accounts:  c.Accounts,
		exports:   c.Exports,
		nodes:     c.Nodes,
		tasks:     c.Tasks,
		web:       c.Web,
		webSlots:  &slots{limit: cmp.Or(max(c.WebConcurrency, 0), DefaultWebConcurrency), inUse: map[int64]int{}},
		usage:     c.Usage,
		rendering: c.Rendering,
		endpoints: c.Endpoints,
		observer:  c.Observer,
		mux:       http.NewServeMux(),
	}
	api := humago.New(recordingMux{s}, s.humaConfig())
	api.UseMiddleware(s.authenticate)
	s.addRoutes(api)
	if s.webhooks != nil {
		s.addWebhookRoutes(api)
	}
	if s.nodes != nil {
		s.addNodeRoutes(api)
	}
	if s.accounts != nil {
		s.addAccountRoutes(api)
	}
	if s.exports != nil {
		s.addExportRoutes(api)
	}
	if c.Events != nil {
		s.addEventRoutes(api, c.Events)
	}
	s.finishSpec(api)
	s.handler = s.instrument(http.HandlerFunc(s.route))
	return s
}

// humaConfig is huma's default configuration without the parts that would
// change response bodies ($schema links) or need the network (the docs UI).
// The spec is served by our own routes (see spec.go), marshalled once.
func (s *server) humaConfig() huma.Config {
	cfg := huma.DefaultConfig("trawl", s.version)
	cfg.OpenAPIPath = ""
	cfg.DocsPath = ""
	cfg.SchemasPath = ""
	cfg.CreateHooks = nil
	cfg.Transformers = []huma.Transformer{s.rewriteError}
	cfg.Info.Description = "Self-hosted Scraper Jobs API, compatible with HasData's hosted API. " +
		"Every operation but the probes and this document needs an API key in the x-api-key header " +
		"(or Authorization: Bearer <key>)."
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		securityAPIKey: {Type: "apiKey", In: "header", Name: "x-api-key", Description: "The account's API key."},
		securityBearer: {Type: "http", Scheme: "bearer", Description: "The same API key, as a bearer token."},
	}
	if s.publicURL != "" {
		cfg.Servers = []*huma.Server{{URL: s.publicURL}}
	}
	return cfg
}

// recordingMux is the mux huma registers on; it notes each pattern.
type recordingMux struct{ s *server }

func (m recordingMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.s.patterns = append(m.s.patterns, pattern)
	m.s.mux.HandleFunc(pattern, h)
}

func (m recordingMux) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.s.mux.ServeHTTP(w, r) }
