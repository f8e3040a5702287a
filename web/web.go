package web

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/store"
)

// Jobs creates and stops jobs; *jobs.Service implements it. The console
// calls it exactly as the API does.
type Jobs interface {
	Create(ctx context.Context, accountID int64, slug string, body []byte) (*trawl.Job, error)
	Stop(ctx context.Context, accountID, id int64) (*trawl.Job, error)
}

// Webhooks serves the delivery log and redelivery, as for the API.
type Webhooks interface {
	Attempts(ctx context.Context, jobID, offset, limit int64) ([]*trawl.DeliveryAttempt, int64, error)
	Redeliver(ctx context.Context, accountID, jobID int64, eventID string) (*trawl.Event, error)
	RedeliverFailed(ctx context.Context, accountID, jobID int64) ([]*trawl.Event, error)
}

// Accounts rotates an account's webhook signing secret.
type Accounts interface {
	RotateWebhookSecret(ctx context.Context, accountID int64, next string, previousUntil time.Time) (*trawl.Account, error)
}

// Store is what the console reads, and the API keys it manages.
type Store interface {
	// AccountByAPIKey returns the key's account, or EUNAUTHORIZED.
	AccountByAPIKey(ctx context.Context, key string) (*trawl.Account, error)
	// Job returns the account's job, or ENOTFOUND (also another account's).
	Job(ctx context.Context, accountID, id int64) (*trawl.Job, error)
	Jobs(ctx context.Context, f store.JobFilter) ([]*trawl.Job, int64, error)
	Rows(ctx context.Context, jobID, offset, limit int64) ([]*trawl.Row, int64, error)
	AccountAPIKeys(ctx context.Context, accountID int64) ([]*trawl.APIKey, error)
	CreateAPIKey(ctx context.Context, accountID int64, key string) (*trawl.APIKey, error)
	RevokeAPIKey(ctx context.Context, idOrPrefix string) error
}

// Changes are the reads GET /events polls. Each is scoped to one account
// and returns what changed after since, oldest first.
type Changes interface {
	JobsChangedSince(ctx context.Context, accountID int64, since time.Time, limit int) ([]*trawl.Job, error)
	AttemptsSince(ctx context.Context, accountID int64, since time.Time, limit int) ([]*trawl.DeliveryAttempt, error)
	EventsSince(ctx context.Context, accountID int64, since time.Time, limit int) ([]*trawl.Event, error)
}

// DataLinks are a job's download links.
type DataLinks struct {
	JSON, CSV, XLSX string
}

// MinSecretBytes is the shortest Config.SessionSecret.
const MinSecretBytes = 32

// Config is what the console needs. Jobs, Webhooks, Accounts, Store,
// Changes, SessionSecret, JobJSON and AttemptJSON are required; the other
// fields have usable zero values.
type Config struct {
	Jobs     Jobs
	Webhooks Webhooks
	Accounts Accounts
	Store    Store
	Changes  Changes
	// Scrapers are offered by the new-job form, whose fields come from
	// their parameter schemas.
	Scrapers []scrape.Info
	// PublicURL is the API's absolute base, for the curl commands shown.
	// An https URL also marks the session cookie Secure (trawl behind a
	// TLS-terminating proxy).
	PublicURL string
	// SessionSecret keys the session cookies (MinSecretBytes or more). Nodes
	// that serve the console behind one address must share it.
	SessionSecret []byte
	// SessionTTL is how long a sign-in lasts; default 12 hours.
	SessionTTL time.Duration
	// SecretOverlap is how long a rotated-out signing secret keeps signing;
	// default 24 hours, as for the API.
	SecretOverlap time.Duration
	// Links returns a job's download links; nil shows none.
	Links func(jobID int64) DataLinks
	// JobJSON is the job record as GET /scrapers/jobs/{id} writes it.
	JobJSON func(*trawl.Job) ([]byte, error)
	// AttemptJSON is a delivery attempt as the delivery log lists it.
	AttemptJSON func(*trawl.DeliveryAttempt) ([]byte, error)
	// WebhookBody returns the exact body a delivery of e would carry; nil
	// uses the stored payload as it is.
	WebhookBody func(ctx context.Context, e *trawl.Event) ([]byte, error)
	// PollInterval is how often a stream reads the database; default 1s.
	PollInterval time.Duration
	// Heartbeat is how often an idle stream sends a comment; default 15s.
	Heartbeat time.Duration
	// Logger gets the text of internal errors; default: discard.
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

//go:embed templates static
var files embed.FS

// Console serves the web console and the change stream. It is safe for
// concurrent use.
type Console struct {
	c        Config
	pages    map[string]*template.Template
	static   http.Handler
	sessions *sessions
	mux      *http.ServeMux

	mu     sync.Mutex
	closed chan struct{}
}

// New returns the console. It panics when a required field of c is missing,
// as that is a wiring mistake.
func New(c Config) *Console {
	if c.Jobs == nil || c.Webhooks == nil || c.Accounts == nil || c.Store == nil || c.Changes == nil ||
		c.JobJSON == nil || c.AttemptJSON == nil {
		panic("web: Config needs Jobs, Webhooks, Accounts, Store, Changes, JobJSON and AttemptJSON")
	}
	if len(c.SessionSecret) < MinSecretBytes {
		panic("web: Config.SessionSecret is too short")
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.SecretOverlap <= 0 {
		c.SecretOverlap = 24 * time.Hour
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = 15 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	staticFS, err := fs.Sub(files, "static")
	if err != nil {
		panic(err)
	}
	w := &Console{
		c:        c,
		pages:    parsePages(),
		static:   http.StripPrefix("/console/static/", http.FileServerFS(staticFS)),
		sessions: newSessions(c.SessionSecret, c.SessionTTL, strings.HasPrefix(c.PublicURL, "https://"), c.Now),
		mux:      http.NewServeMux(),
		closed:   make(chan struct{}),
	}
	w.routes()
	return w
}

// Close ends the streams in flight (their clients reconnect elsewhere or
// later) so that a server can shut down; register it with
// http.Server.RegisterOnShutdown. Pages keep working.
func (w *Console) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-w.closed:
	default:
		close(w.closed)
	}
}

// ServeHTTP serves the console's paths: / (a redirect), /console/… and
// /events. Every answer carries the console's security headers.
func (w *Console) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	securityHeaders(rw.Header())
	w.mux.ServeHTTP(rw, r)
}

// Events returns the handler of GET /events alone, for mounting under the
// API's router.
func (w *Console) Events() http.Handler { return http.HandlerFunc(w.events) }

func (w *Console) routes() {
	m := w.mux
	m.HandleFunc("GET /{$}", func(rw http.ResponseWriter, r *http.Request) {
		http.Redirect(rw, r, "/console/", http.StatusSeeOther)
	})
	m.Handle("GET /console/static/", w.static)
	m.HandleFunc("GET /console/login", w.loginPage)
	m.HandleFunc("POST /console/login", w.login)
	m.HandleFunc("POST /console/logout", w.signedIn(w.logout))
	m.HandleFunc("GET /console/{$}", w.signedIn(w.jobsPage))
	m.HandleFunc("GET /console/new", w.signedIn(w.newJobPage))
	m.HandleFunc("POST /console/new", w.signedIn(w.createJob))
	m.HandleFunc("GET /console/jobs/{id}", w.signedIn(w.jobPage))
	m.HandleFunc("POST /console/jobs/{id}/stop", w.signedIn(w.stopJob))
	m.HandleFunc("POST /console/jobs/{id}/redeliver-failed", w.signedIn(w.redeliverFailed))
	m.HandleFunc("POST /console/jobs/{id}/deliveries/{eid}/redeliver", w.signedIn(w.redeliver))
	m.HandleFunc("GET /console/account", w.signedIn(w.accountPage))
	m.HandleFunc("POST /console/account/rotate", w.signedIn(w.rotateSecret))
	m.HandleFunc("POST /console/account/keys", w.signedIn(w.createKey))
	m.HandleFunc("POST /console/account/keys/{id}/revoke", w.signedIn(w.revokeKey))
	m.HandleFunc("/console/", func(rw http.ResponseWriter, r *http.Request) {
		w.notFound(rw, r, nil)
	})
	m.HandleFunc("GET /events", w.events)
}

// securityHeaders are sent with every console answer: scripts and styles
// only from the console's own files (no inline script runs, whatever a
// page's content says), no framing, no referrer leaving the site (same-origin: with no-referrer, browsers send "Origin: null" on form posts, which the CSRF check must refuse).
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// session is a signed-in request's context.
type session struct {
	account *trawl.Account
	key     string // the API key signed in with
	csrf    string
}

// signedIn runs h with the request's session, or sends the browser to the
// sign-in page. A POST must carry the session's CSRF token and, when the
// browser sends one, an Origin of this server.
func (w *Console) signedIn(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		s, err := w.session(r)
		if err != nil {
			if trawl.ErrorCode(err) != trawl.EUNAUTHORIZED {
				w.internal(rw, r, err)
				return
			}
			w.sessions.clear(rw, r)
			if r.Method != http.MethodGet {
				http.Error(rw, "Your session has ended: sign in again.", http.StatusUnauthorized)
				return
			}
			http.Redirect(rw, r, "/console/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !w.sessions.validPost(r, s.csrf) {
			http.Error(rw, "This form has expired or came from another site: reload the page and try again.", http.StatusForbidden)
			return
		}
		rw.Header().Set("Cache-Control", "no-store")
		h(rw, r, s)
	}
}

// session reads the session cookie and checks its key: a revoked key ends
// every session made with it.
func (w *Console) session(r *http.Request) (*session, error) {
	v, ok := w.sessions.read(r)
	if !ok {
		return nil, trawl.Errorf(trawl.EUNAUTHORIZED, "not signed in")
	}
	a, err := w.c.Store.AccountByAPIKey(r.Context(), v.Key)
	if err != nil {
		return nil, err
	}
	return &session{account: a, key: v.Key, csrf: v.CSRF}, nil
}

// internal answers a failure the viewer cannot fix, logging its text.
func (w *Console) internal(rw http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	w.c.Logger.ErrorContext(r.Context(), "console request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	w.render(rw, r, http.StatusInternalServerError, "error", &view{Title: "Something went wrong"},
		errorPage{Message: "Something went wrong on the server. The error has been logged; try again."})
}

// notFound answers an unknown page or another account's job.
func (w *Console) notFound(rw http.ResponseWriter, r *http.Request, s *session) {
	v := &view{Title: "Not found"}
	if s != nil {
		v.Account, v.CSRF = s.account, s.csrf
	}
	w.render(rw, r, http.StatusNotFound, "error", v, errorPage{Message: "There is nothing here. It may belong to another account, or the link is wrong."})
}

type errorPage struct{ Message string }

func (w *Console) scraper(slug string) (scrape.Info, bool) {
	for _, s := range w.c.Scrapers {
		if s.Slug == slug {
			return s, true
		}
	}
	return scrape.Info{}, false
}
