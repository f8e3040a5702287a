package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/store"
	"github.com/trawlhq/trawl/store/sqlite"
	"github.com/trawlhq/trawl/store/sqlite/sqlitetest"
)

// fakeJobs stands in for the jobs service: it stores jobs as the service
// would and refuses what the service would refuse.
type fakeJobs struct {
	db      *sqlite.DB
	mu      sync.Mutex
	stopped []int64
	created [][]byte
}

func (f *fakeJobs) Create(ctx context.Context, accountID int64, slug string, body []byte) (*trawl.Job, error) {
	f.mu.Lock()
	f.created = append(f.created, body)
	f.mu.Unlock()
	var p struct {
		URLs     []string `json:"urls"`
		MaxDepth any      `json:"maxDepth"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, trawl.Errorf(trawl.EMALFORMED, "bad JSON")
	}
	var v trawl.Invalid
	if len(p.URLs) == 0 {
		v.Add("urls", "is required")
	}
	if d, ok := p.MaxDepth.(float64); p.MaxDepth != nil && (!ok || d > 5) {
		v.Add("maxDepth", "must be an integer between 0 and 5")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	j := &trawl.Job{AccountID: accountID, Scraper: slug, Status: trawl.StatusPending, Input: body, Params: body}
	return j, f.db.InTx(ctx, func(tx store.Tx) error { return tx.CreateJob(j) })
}

func (f *fakeJobs) Stop(ctx context.Context, accountID, id int64) (*trawl.Job, error) {
	j, err := f.db.Job(ctx, accountID, id)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.stopped = append(f.stopped, id)
	f.mu.Unlock()
	return j, nil
}

func (f *fakeJobs) stops() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int64(nil), f.stopped...)
}

// fakeWebhooks reads the log from the store and notes redeliveries.
type fakeWebhooks struct {
	db          *sqlite.DB
	mu          sync.Mutex
	redelivered []string
}

func (f *fakeWebhooks) Attempts(ctx context.Context, jobID, offset, limit int64) ([]*trawl.DeliveryAttempt, int64, error) {
	return f.db.Attempts(ctx, jobID, offset, limit)
}

func (f *fakeWebhooks) Redeliver(ctx context.Context, accountID, jobID int64, eventID string) (*trawl.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.redelivered = append(f.redelivered, eventID)
	return &trawl.Event{ID: eventID}, nil
}

func (f *fakeWebhooks) RedeliverFailed(ctx context.Context, accountID, jobID int64) ([]*trawl.Event, error) {
	return nil, nil
}

// testBundle is one console over a fresh database with two accounts.
type testBundle struct {
	t        *testing.T
	db       *sqlite.DB
	jobs     *fakeJobs
	webhooks *fakeWebhooks
	console  *Console
	srv      *httptest.Server
	a, b     *trawl.Account
	keyA     string
	keyB     string
}

var crawlerInfo = scrape.Info{
	Slug: "crawler", Name: "Website crawler", Description: "Crawls.",
	Columns: []string{"url", "title"},
	Params: map[string]any{"type": "object", "required": []string{"urls"}, "properties": map[string]any{
		"urls":             map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "maxItems": 100, "description": "Start URLs."},
		"maxDepth":         map[string]any{"type": "integer", "minimum": 0, "maximum": 5, "default": 1},
		"outputFormat":     map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": []string{"text", "html"}}, "default": []string{"text"}},
		"respectRobotsTxt": map[string]any{"type": "boolean", "default": true},
		"mode":             map[string]any{"type": "string", "enum": []string{"fast", "slow"}},
		"webhook":          map[string]any{"$ref": "#/components/schemas/Webhook"},
	}},
}

func setup(t *testing.T, mod func(*Config)) *testBundle {
	t.Helper()
	db := sqlitetest.Open(t)
	b := &testBundle{t: t, db: db, jobs: &fakeJobs{db: db}, webhooks: &fakeWebhooks{db: db}}
	b.a, _ = db.CreateAccount(t.Context(), "alpha")
	b.b, _ = db.CreateAccount(t.Context(), "beta")
	b.keyA, b.keyB = trawl.NewAPIKey(), trawl.NewAPIKey()
	if _, err := db.CreateAPIKey(t.Context(), b.a.ID, b.keyA); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateAPIKey(t.Context(), b.b.ID, b.keyB); err != nil {
		t.Fatal(err)
	}
	c := Config{
		Jobs: b.jobs, Webhooks: b.webhooks, Accounts: db, Store: db, Changes: db,
		Scrapers:      []scrape.Info{crawlerInfo},
		PublicURL:     "http://trawl.test",
		SessionSecret: []byte("0123456789abcdef0123456789abcdef"),
		JobJSON: func(j *trawl.Job) ([]byte, error) {
			return json.Marshal(map[string]any{"id": j.ID, "status": j.Status, "dataRowsCount": j.DataRowsCount})
		},
		AttemptJSON: func(a *trawl.DeliveryAttempt) ([]byte, error) {
			return json.Marshal(map[string]any{"id": a.ID, "jobId": a.JobID, "deliveryId": a.EventID})
		},
		PollInterval: 10 * time.Millisecond,
		Heartbeat:    time.Hour,
	}
	if mod != nil {
		mod(&c)
	}
	b.console = New(c)
	b.srv = httptest.NewServer(b.console)
	t.Cleanup(func() {
		b.console.Close()
		b.srv.Close()
	})
	return b
}

// job makes a job of account in the store, changed by mod.
func (b *testBundle) job(accountID int64, mod func(*trawl.Job)) *trawl.Job {
	b.t.Helper()
	j := &trawl.Job{AccountID: accountID, Scraper: "crawler", Status: trawl.StatusPending, Input: json.RawMessage(`{"urls":["https://example.org/"]}`),
		Params: json.RawMessage(`{}`), Webhook: &trawl.Webhook{URL: "https://hooks.example.org/"}}
	err := b.db.InTx(b.t.Context(), func(tx store.Tx) error {
		if err := tx.CreateJob(j); err != nil {
			return err
		}
		if mod != nil {
			mod(j)
			return tx.UpdateJob(j)
		}
		return nil
	})
	if err != nil {
		b.t.Fatal(err)
	}
	return j
}

// browser is a client with a cookie jar that does not follow redirects.
type browser struct {
	b      *testBundle
	client *http.Client
	csrf   string
}

func (b *testBundle) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{b: b, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs in with key and reads the CSRF token from the jobs page.
func (br *browser) signIn(key string) {
	br.b.t.Helper()
	resp, _ := br.post("/console/login", url.Values{"key": {key}, "next": {"/console/"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/" {
		br.b.t.Fatalf("sign in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body := br.get("/console/")
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		br.b.t.Fatalf("no CSRF token on the jobs page:\n%s", body)
	}
	br.csrf = m[1]
}

func (br *browser) get(path string) (*http.Response, string) {
	br.b.t.Helper()
	resp, err := br.client.Get(br.b.srv.URL + path)
	if err != nil {
		br.b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// post sends a form as a browser on this site would: with its Origin.
func (br *browser) post(path string, form url.Values) (*http.Response, string) {
	return br.postFrom(br.b.srv.URL, path, form)
}

func (br *browser) postFrom(origin, path string, form url.Values) (*http.Response, string) {
	br.b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, br.b.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := br.client.Do(req)
	if err != nil {
		br.b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// withCSRF adds the session's token to a form.
func (br *browser) withCSRF(v url.Values) url.Values {
	if v == nil {
		v = url.Values{}
	}
	v.Set("csrf", br.csrf)
	return v
}
