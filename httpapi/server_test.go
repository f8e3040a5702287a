package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/jobs"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/store"
)

// The real dependencies satisfy the API's interfaces.
var (
	_ Jobs  = (*jobs.Service)(nil)
	_ Store = store.Store(nil)
)

// Fixture keys: key-1 belongs to account 1, key-2 to account 2.
const (
	key1 = "key-1"
	key2 = "key-2"
)

var (
	t0 = time.Date(2025, 5, 2, 17, 26, 0, 123456789, time.FixedZone("EEST", 3*3600))
	t1 = t0.Add(2 * time.Second)
	t2 = t0.Add(95 * time.Second)
)

// fakeStore is an in-memory Store.
type fakeStore struct {
	mu       sync.Mutex
	accounts map[string]*trawl.Account
	jobs     map[int64]*trawl.Job
	rows     map[int64][]*trawl.Row
	keyErr   error // when set, AccountByAPIKey fails with it
	err      error // when set, Job, Jobs and Rows fail with it
	pingErr  error
	filters  []store.JobFilter
}

func (s *fakeStore) AccountByAPIKey(_ context.Context, key string) (*trawl.Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keyErr != nil {
		return nil, s.keyErr
	}
	a, ok := s.accounts[key]
	if !ok {
		return nil, trawl.Errorf(trawl.EUNAUTHORIZED, "The API key is unknown or revoked.")
	}
	return a, nil
}

func (s *fakeStore) Job(_ context.Context, accountID, id int64) (*trawl.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	j, ok := s.jobs[id]
	if !ok || (accountID > 0 && j.AccountID != accountID) {
		return nil, trawl.Errorf(trawl.ENOTFOUND, "job %d not found", id)
	}
	c := *j
	return &c, nil
}

func (s *fakeStore) Jobs(_ context.Context, f store.JobFilter) ([]*trawl.Job, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.filters = append(s.filters, f)
	if s.err != nil {
		return nil, 0, s.err
	}
	var all []*trawl.Job
	for id := int64(1000); id > 0; id-- { // newest (highest id) first
		if j, ok := s.jobs[id]; ok && j.AccountID == f.AccountID && (f.Status == "" || j.Status == f.Status) &&
			(f.BeforeID == 0 || id < f.BeforeID) {
			all = append(all, j)
		}
	}
	lo, hi := window(int64(len(all)), f.Offset, f.Limit)
	return all[lo:hi], int64(len(all)), nil
}

func (s *fakeStore) Rows(_ context.Context, jobID, offset, limit int64) ([]*trawl.Row, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, 0, s.err
	}
	rows := s.rows[jobID]
	lo, hi := window(int64(len(rows)), offset, limit)
	return rows[lo:hi], int64(len(rows)), nil
}

// window returns the bounds of limit items after offset out of n, without
// overflowing for huge offsets.
func window(n, offset, limit int64) (lo, hi int64) {
	if offset >= n {
		return n, n
	}
	return offset, offset + min(limit, n-offset)
}

func (s *fakeStore) Ping(context.Context) error { return s.pingErr }

// fakeJobs is a Jobs whose behaviour each test sets. By default Create
// stores a pending job 42 (EMALFORMED unless the body is JSON), and Stop
// stops a job of the fake store.
type fakeJobs struct {
	store  *fakeStore
	create func(accountID int64, slug string, body []byte) (*trawl.Job, error)

	mu     sync.Mutex
	bodies [][]byte
}

func (f *fakeJobs) Create(_ context.Context, accountID int64, slug string, body []byte) (*trawl.Job, error) {
	f.mu.Lock()
	f.bodies = append(f.bodies, body)
	f.mu.Unlock()
	if f.create != nil {
		return f.create(accountID, slug, body)
	}
	if !json.Valid(body) {
		return nil, trawl.Errorf(trawl.EMALFORMED, "The request body is not valid JSON.")
	}
	return &trawl.Job{ID: 42, AccountID: accountID, Scraper: slug, Status: trawl.StatusPending,
		Input: body, CreatedAt: t0, UpdatedAt: t0}, nil
}

func (f *fakeJobs) Stop(ctx context.Context, accountID, id int64) (*trawl.Job, error) {
	j, err := f.store.Job(ctx, accountID, id)
	if err != nil {
		return nil, err
	}
	if !j.Status.Terminal() {
		j.Status, j.StopReason, j.FinishedAt, j.UpdatedAt = trawl.StatusStopped, trawl.StopReasonStopped, &t2, t2
	}
	return j, nil
}

// syncBuffer is a log sink safe for the handler's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type testBundle struct {
	config  Config
	store   *fakeStore
	jobs    *fakeJobs
	logs    *syncBuffer
	server  *server
	handler http.Handler
}

// setup builds an API over fakes holding: job 7 (account 1, finished at its
// limit, 250 rows), job 8 (account 2) and job 9 (account 1, in progress).
// opts adjust the config before the server is built.
func setup(t *testing.T, opts ...func(*Config)) *testBundle {
	t.Helper()
	st := &fakeStore{
		accounts: map[string]*trawl.Account{key1: {ID: 1, Name: "one"}, key2: {ID: 2, Name: "two"}},
		jobs: map[int64]*trawl.Job{
			7: {ID: 7, AccountID: 1, Scraper: "crawler", Status: trawl.StatusFinished, StopReason: trawl.StopReasonLimit,
				Input:        json.RawMessage(`{"urls":["https://example.com"],"limit":250}`),
				CreditsSpent: 260, DataRowsCount: 250, CreatedAt: t0, UpdatedAt: t2, StartedAt: &t1, FinishedAt: &t2},
			8: {ID: 8, AccountID: 2, Scraper: "crawler", Status: trawl.StatusPending, Input: json.RawMessage(`{}`), CreatedAt: t0, UpdatedAt: t0},
			9: {ID: 9, AccountID: 1, Scraper: "contacts", Status: trawl.StatusInProgress,
				Input:        json.RawMessage(`{"urls":["https://example.org"]}`),
				CreditsSpent: 3, DataRowsCount: 2, CreatedAt: t0, UpdatedAt: t1, StartedAt: &t1},
		},
		rows: map[int64][]*trawl.Row{},
	}
	for i := int64(1); i <= 250; i++ {
		st.rows[7] = append(st.rows[7], &trawl.Row{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), JobID: 7, Seq: i,
			Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)), CreatedAt: t1})
	}
	logs := &syncBuffer{}
	b := &testBundle{store: st, jobs: &fakeJobs{store: st}, logs: logs}
	cfg := Config{
		Jobs:      b.jobs,
		Store:     st,
		PublicURL: "http://trawl.test",
		Version:   "test",
		Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Scrapers: []scrape.Info{{
			Slug: "crawler", Name: "Website crawler", Description: "Crawls websites.",
			Params: map[string]any{"type": "object", "required": []any{"urls"},
				"properties": map[string]any{"urls": map[string]any{"type": "array", "items": map[string]any{"type": "string"}}}},
			Columns: []string{"url", "title"},
		}},
	}
	for _, o := range opts {
		o(&cfg)
	}
	b.config = cfg
	b.server = newServer(cfg)
	b.handler = b.server.handler
	return b
}

// do serves one request with key1 unless headers say otherwise; headers are
// name, value pairs, and a value of "" removes the header.
func (b *testBundle) do(t *testing.T, method, target, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, target, nil)
	} else {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	}
	r.Header.Set("x-api-key", key1)
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			r.Header.Del(headers[i])
		} else {
			r.Header.Set(headers[i], headers[i+1])
		}
	}
	w := httptest.NewRecorder()
	b.handler.ServeHTTP(w, r)
	return w
}

// apiError is an error response as a client reads it.
type apiError struct {
	Message string             `json:"message"`
	Errors  []trawl.FieldError `json:"errors"`
}

// wantError checks that w is an error response with status, in the error
// shape, and returns it.
func wantError(t *testing.T, w *httptest.ResponseRecorder, status int) apiError {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status: got %d, want %d; body %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type: got %q, want application/json", ct)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, w.Body)
	}
	for k := range raw {
		if k != "message" && k != "errors" {
			t.Errorf("unexpected key %q in error body %s", k, w.Body)
		}
	}
	var e apiError
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatal(err)
	}
	if e.Message == "" {
		t.Errorf("error without a message: %s", w.Body)
	}
	return e
}

// wantOK checks for a 200 and decodes the body into v.
func wantOK(t *testing.T, w *httptest.ResponseRecorder, v any) {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status: got %d, want 200; body %s", w.Code, w.Body)
	}
	if v != nil {
		if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
			t.Fatalf("decode %s: %v", w.Body, err)
		}
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func TestNewPanicsWithoutDependencies(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("New without Jobs and Store: got no panic, want one")
		}
	}()
	New(Config{})
}

func TestStatusOf(t *testing.T) {
	t.Parallel()
	tests := map[string]int{
		trawl.EMALFORMED:    400,
		trawl.EUNAUTHORIZED: 401,
		trawl.ENOTFOUND:     404,
		trawl.ECONFLICT:     409,
		trawl.ETOOLARGE:     413,
		trawl.EINVALID:      422,
		trawl.EINTERNAL:     500,
		"something-new":     500,
	}
	for code, want := range tests {
		if got := statusOf(code); got != want {
			t.Errorf("statusOf(%q): got %d, want %d", code, got, want)
		}
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		name, sent string
		echoed     bool
	}{
		{"echoed", "req-123", true},
		{"generated when absent", "", false},
		{"replaced when it has spaces", "a b", false},
		{"replaced when too long", strings.Repeat("x", 129), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := b.do(t, http.MethodGet, "/healthz", "", "X-Request-Id", tt.sent)
			got := w.Header().Get("X-Request-Id")
			if tt.echoed && got != tt.sent {
				t.Errorf("X-Request-Id: got %q, want %q", got, tt.sent)
			}
			if !tt.echoed && (got == "" || got == tt.sent) {
				t.Errorf("X-Request-Id: got %q, want a new id", got)
			}
		})
	}
}

func TestRequestLogHasNoKeys(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.do(t, http.MethodGet, "/scrapers/jobs/9?x=1", "", "X-Request-Id", "log-check")
	b.do(t, http.MethodGet, "/scrapers/jobs/9", "", "x-api-key", "", "Authorization", "Bearer "+key1)
	b.do(t, http.MethodGet, "/scrapers/jobs/9", "", "x-api-key", "secret-wrong-key")
	logs := b.logs.String()
	for _, want := range []string{"method=GET", "path=/scrapers/jobs/9", "status=200", "status=401", "duration=", "request_id=log-check", "account_id=1"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	for _, leak := range []string{key1, "secret-wrong-key", "Bearer"} {
		if strings.Contains(logs, leak) {
			t.Errorf("logs contain %q:\n%s", leak, logs)
		}
	}
}

func TestPanicIsA500(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.jobs.create = func(int64, string, []byte) (*trawl.Job, error) { panic("boom: secret detail") }
	w := b.do(t, http.MethodPost, "/scrapers/crawler/jobs", `{}`)
	e := wantError(t, w, http.StatusInternalServerError)
	if e.Message != internalMessage {
		t.Errorf("message: got %q, want %q", e.Message, internalMessage)
	}
	if strings.Contains(w.Body.String(), "secret") {
		t.Errorf("body shows the panic: %s", w.Body)
	}
	if logs := b.logs.String(); !strings.Contains(logs, "boom: secret detail") || !strings.Contains(logs, "status=500") {
		t.Errorf("logs lack the panic or the 500:\n%s", logs)
	}
}

func TestStoreErrorIsHidden(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.store.err = errors.New("sqlite: disk I/O error at /var/lib/trawl")
	for _, target := range []string{"/scrapers/jobs/7", "/scrapers/jobs/7/results", "/scrapers/jobs"} {
		w := b.do(t, http.MethodGet, target, "")
		e := wantError(t, w, http.StatusInternalServerError)
		if diff := cmp.Diff(apiError{Message: internalMessage}, e); diff != "" {
			t.Errorf("GET %s (-want +got):\n%s", target, diff)
		}
	}
	if logs := b.logs.String(); !strings.Contains(logs, "disk I/O error") {
		t.Errorf("the internal error is not logged:\n%s", logs)
	}
}

func TestSentence(t *testing.T) {
	t.Parallel()
	tests := map[string]string{"": "", "request body is required": "Request body is required.", "Done!": "Done!", "ok.": "Ok."}
	for in, want := range tests {
		if got := sentence(in); got != want {
			t.Errorf("sentence(%q): got %q, want %q", in, got, want)
		}
	}
}

// readAll is io.ReadAll that fails the test on error.
func readAll(t *testing.T, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
