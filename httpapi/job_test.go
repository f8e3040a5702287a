package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
)

func TestJobRecordGolden(t *testing.T) {
	t.Parallel()
	links := func(j *trawl.Job) *DataLinks {
		if !j.Status.Terminal() {
			return nil
		}
		base := fmt.Sprintf("http://trawl.test/exports/job-%d", j.ID)
		return &DataLinks{JSON: base + ".json", CSV: base + ".csv", XLSX: base + ".xlsx"}
	}
	tests := []struct {
		name, method, target, body, golden string
	}{
		{"created job is pending", http.MethodPost, "/scrapers/crawler/jobs",
			`{"urls": ["https://example.com"], "webhook": {"url": "https://hooks.example/x"}}`, "job_pending.json"},
		{"finished at its limit", http.MethodGet, "/scrapers/jobs/7", "", "job_finished.json"},
		{"in progress", http.MethodGet, "/scrapers/jobs/9", "", "job_in_progress.json"},
		{"stop answers with jobId", http.MethodDelete, "/scrapers/jobs/9", "", "job_stopped.json"},
		{"stopping a finished job changes nothing", http.MethodDelete, "/scrapers/jobs/7", "", "job_stop_finished.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(c *Config) { c.Links = links })
			w := b.do(t, tt.method, tt.target, tt.body)
			wantOK(t, w, nil)
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type: got %q, want application/json", ct)
			}
			golden(t, tt.golden, w.Body.Bytes())
		})
	}
}

func TestCreateGetsTheRawBody(t *testing.T) {
	t.Parallel()
	b := setup(t)
	body := `{"urls":["https://example.com"],  "limit": 5}`
	// A client that labels the body oddly still has it read as sent.
	w := b.do(t, http.MethodPost, "/scrapers/crawler/jobs", body, "Content-Type", "text/plain")
	var rec struct {
		ID    int64           `json:"id"`
		Input json.RawMessage `json:"input"`
	}
	wantOK(t, w, &rec)
	// encoding/json compacts a RawMessage as it writes it.
	const compact = `{"urls":["https://example.com"],"limit":5}`
	if string(rec.Input) != compact || rec.ID != 42 {
		t.Errorf("got id %d input %s, want 42 and %s", rec.ID, rec.Input, compact)
	}
	if len(b.jobs.bodies) != 1 || string(b.jobs.bodies[0]) != body {
		t.Errorf("Create got bodies %q, want [%q]", b.jobs.bodies, body)
	}
}

// TestCreateDropsUnknownFields: fields the scraper does not know are not
// passed on (so never stored) and the answer names them; nulls and
// maxAttempts 0 are refused as the description says.
func TestCreateDropsUnknownFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	big := strings.Repeat("x", 100_000)
	var body strings.Builder
	body.WriteString(`{"urls":["https://example.com"],"junk":"` + big + `","webhook":{"url":"https://h.example/","extra":{"a":1}}`)
	for i := range 25 {
		fmt.Fprintf(&body, `,"more%d":1`, i)
	}
	body.WriteString(`}`)
	w := b.do(t, http.MethodPost, "/scrapers/crawler/jobs", body.String())
	var rec struct {
		Ignored []string `json:"ignoredFields"`
	}
	wantOK(t, w, &rec)
	if len(b.jobs.bodies) != 1 || string(b.jobs.bodies[0]) != `{"urls":["https://example.com"],"webhook":{"url":"https://h.example/"}}` {
		t.Errorf("Create got %q, want the known fields only", b.jobs.bodies)
	}
	if len(rec.Ignored) != 21 || rec.Ignored[0] != "junk" || rec.Ignored[1] != "webhook.extra" || rec.Ignored[20] != "…and 7 more" {
		t.Errorf("ignoredFields %q", rec.Ignored)
	}
	if strings.Contains(w.Body.String(), big) {
		t.Error("the answer echoes the unknown field")
	}

	for body, field := range map[string]string{
		`{"urls":null}`: "urls",
		`{"urls":["https://example.com"],"limit":null}`:                                                   "limit",
		`{"urls":["https://example.com"],"webhook":null}`:                                                 "webhook",
		`{"urls":["https://example.com"],"webhook":{"url":"https://h.example/","headers":null}}`:          "webhook.headers",
		`{"urls":["https://example.com"],"webhook":{"url":"https://h.example/","maxAttempts":0}}`:         "webhook.maxAttempts",
		`{"urls":["https://example.com"],"webhook":{"url":"https://h.example/","maxAttempts":0.0,"x":1}}`: "webhook.maxAttempts",
	} {
		w := b.do(t, http.MethodPost, "/scrapers/crawler/jobs", body)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s, want 422 naming %s", body, w.Code, w.Body.String(), field)
		}
	}
}

func TestCreateErrors(t *testing.T) {
	t.Parallel()
	const maxBody = 64
	tests := []struct {
		name   string
		body   string
		create func(int64, string, []byte) (*trawl.Job, error)
		status int
		want   apiError
	}{
		{
			name:   "body over the cap",
			body:   `{"urls":["` + strings.Repeat("a", maxBody) + `"]}`,
			status: http.StatusRequestEntityTooLarge,
			want:   apiError{Message: "The request body is larger than the limit of 64 bytes."},
		},
		{
			name:   "body of exactly the cap",
			body:   `{"urls":[]}` + strings.Repeat(" ", maxBody-len(`{"urls":[]}`)),
			status: http.StatusOK,
		},
		{
			name:   "empty body",
			body:   "",
			status: http.StatusBadRequest,
			want:   apiError{Message: "Request body is required."},
		},
		{
			name:   "malformed JSON",
			body:   `{"urls": [`,
			status: http.StatusBadRequest,
			want:   apiError{Message: "The request body is not valid JSON."},
		},
		{
			name: "invalid fields",
			body: `{"urls": [], "limit": -1}`,
			create: func(int64, string, []byte) (*trawl.Job, error) {
				var inv trawl.Invalid
				inv.Add("urls", "must list at least one URL")
				inv.Add("limit", "must be a whole number from 0 (no limit) up")
				return nil, inv.Err()
			},
			status: http.StatusUnprocessableEntity,
			want: apiError{Message: "urls: must list at least one URL (and 1 more)", Errors: []trawl.FieldError{
				{Field: "urls", Message: "must list at least one URL"},
				{Field: "limit", Message: "must be a whole number from 0 (no limit) up"},
			}},
		},
		{
			name: "unknown scraper",
			body: `{}`,
			create: func(int64, string, []byte) (*trawl.Job, error) {
				return nil, trawl.Errorf(trawl.ENOTFOUND, "Scraper %q not found; available: [crawler].", "nope")
			},
			status: http.StatusNotFound,
			want:   apiError{Message: `Scraper "nope" not found; available: [crawler].`},
		},
		{
			name: "internal error",
			body: `{}`,
			create: func(int64, string, []byte) (*trawl.Job, error) {
				return nil, fmt.Errorf("create job: %w", fmt.Errorf("pq: password authentication failed for user trawl"))
			},
			status: http.StatusInternalServerError,
			want:   apiError{Message: "Internal error."},
		},
		{
			name: "internal trawl error",
			body: `{}`,
			create: func(int64, string, []byte) (*trawl.Job, error) {
				return nil, trawl.Errorf(trawl.EINTERNAL, "password authentication failed")
			},
			status: http.StatusInternalServerError,
			want:   apiError{Message: "Internal error."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(c *Config) { c.MaxBodyBytes = maxBody })
			b.jobs.create = tt.create
			w := b.do(t, http.MethodPost, "/scrapers/crawler/jobs", tt.body)
			if tt.status == http.StatusOK {
				wantOK(t, w, nil)
				return
			}
			got := wantError(t, w, tt.status)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if strings.Contains(w.Body.String(), "password") {
				t.Errorf("body shows internals: %s", w.Body)
			}
			if tt.status == http.StatusInternalServerError && !strings.Contains(b.logs.String(), "password authentication failed") {
				t.Errorf("internal error not logged:\n%s", b.logs)
			}
		})
	}
}

func TestResultsPaging(t *testing.T) {
	t.Parallel()
	b := setup(t)
	url := func(page, limit int) string {
		return fmt.Sprintf("http://trawl.test/scrapers/jobs/7/results?page=%d&limit=%d", page, limit)
	}
	ptr := func(s string) *string { return &s }
	tests := []struct {
		query     string
		meta      pageMeta
		rows      int
		firstSeq  int
		wantEmpty bool
	}{
		{"", pageMeta{250, 100, 1, 3, 1, url(1, 100), url(3, 100), ptr(url(2, 100)), nil}, 100, 1, false},
		{"?page=2", pageMeta{250, 100, 2, 3, 1, url(1, 100), url(3, 100), ptr(url(3, 100)), ptr(url(1, 100))}, 100, 101, false},
		{"?page=3&limit=100", pageMeta{250, 100, 3, 3, 1, url(1, 100), url(3, 100), nil, ptr(url(2, 100))}, 50, 201, false},
		{"?page=4", pageMeta{250, 100, 4, 3, 1, url(1, 100), url(3, 100), nil, ptr(url(3, 100))}, 0, 0, true},
		{"?page=9&limit=30", pageMeta{250, 30, 9, 9, 1, url(1, 30), url(9, 30), nil, ptr(url(8, 30))}, 10, 241, false},
		{"?page=9223372036854775807", pageMeta{250, 100, 9223372036854775807, 3, 1, url(1, 100), url(3, 100), nil, ptr(url(9223372036854775806, 100))}, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			w := b.do(t, http.MethodGet, "/scrapers/jobs/7/results"+tt.query, "")
			var page struct {
				Meta pageMeta `json:"meta"`
				Data []struct {
					ID        string          `json:"id"`
					JobID     int64           `json:"jobId"`
					Data      json.RawMessage `json:"data"`
					CreatedAt string          `json:"createdAt"`
					UpdatedAt string          `json:"updatedAt"`
				} `json:"data"`
			}
			wantOK(t, w, &page)
			if diff := cmp.Diff(tt.meta, page.Meta); diff != "" {
				t.Errorf("meta (-want +got):\n%s", diff)
			}
			if len(page.Data) != tt.rows {
				t.Fatalf("rows: got %d, want %d", len(page.Data), tt.rows)
			}
			if tt.wantEmpty && !strings.Contains(w.Body.String(), `"data":[]`) {
				t.Errorf("an empty page must have data [], got %s", w.Body)
			}
			if tt.rows > 0 {
				r := page.Data[0]
				wantID := fmt.Sprintf("00000000-0000-4000-8000-%012d", tt.firstSeq)
				if r.ID != wantID || r.JobID != 7 || string(r.Data) != fmt.Sprintf(`{"n":%d}`, tt.firstSeq) ||
					r.CreatedAt != "2025-05-02T14:26:02.123Z" || r.UpdatedAt != r.CreatedAt {
					t.Errorf("first row: got %+v, want id %s, jobId 7, data {\"n\":%d}, times 2025-05-02T14:26:02.123Z", r, wantID, tt.firstSeq)
				}
			}
		})
	}
}

func TestResultsOfAJobWithoutRows(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.PublicURL = "" })
	w := b.do(t, http.MethodGet, "/scrapers/jobs/9/results", "")
	wantOK(t, w, nil)
	want := `{"meta":{"total":0,"perPage":100,"currentPage":1,"lastPage":1,"firstPage":1,` +
		`"firstPageUrl":"/scrapers/jobs/9/results?page=1&limit=100","lastPageUrl":"/scrapers/jobs/9/results?page=1&limit=100",` +
		`"nextPageUrl":null,"previousPageUrl":null},"data":[]}` + "\n"
	if diff := cmp.Diff(want, w.Body.String()); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestQueryValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const statuses = "must be one of: pending, in_progress, finished, stopped, failed"
	tests := []struct {
		target, field, message string
	}{
		{"/scrapers/jobs/7/results?limit=0", "limit", "must be a whole number from 1 to 100"},
		{"/scrapers/jobs/7/results?limit=101", "limit", "must be a whole number from 1 to 100"},
		{"/scrapers/jobs/7/results?limit=abc", "limit", "must be a whole number from 1 to 100"},
		{"/scrapers/jobs/7/results?limit=-5", "limit", "must be a whole number from 1 to 100"},
		{"/scrapers/jobs/7/results?page=0", "page", "must be a whole number of at least 1"},
		{"/scrapers/jobs/7/results?page=one", "page", "must be a whole number of at least 1"},
		{"/scrapers/jobs?limit=0", "limit", "must be a whole number from 1 to 100"},
		{"/scrapers/jobs?limit=101", "limit", "must be a whole number from 1 to 100"},
		{"/scrapers/jobs?page=0", "page", "must be a whole number of at least 1"},
		{"/scrapers/jobs?status=done", "status", statuses},
		{"/scrapers/jobs?status=FINISHED", "status", statuses},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			t.Parallel()
			got := wantError(t, b.do(t, http.MethodGet, tt.target, ""), http.StatusUnprocessableEntity)
			want := apiError{Message: tt.field + ": " + tt.message, Errors: []trawl.FieldError{{Field: tt.field, Message: tt.message}}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		method, target string
		message        string
	}{
		{http.MethodGet, "/scrapers/jobs/8", "job 8 not found"}, // account 2's
		{http.MethodGet, "/scrapers/jobs/8/results", "job 8 not found"},
		{http.MethodDelete, "/scrapers/jobs/8", "job 8 not found"},
		{http.MethodGet, "/scrapers/jobs/404", "job 404 not found"},
		{http.MethodGet, "/scrapers/jobs/abc", `Job "abc" not found.`},
		{http.MethodGet, "/scrapers/jobs/0", `Job "0" not found.`},
		{http.MethodGet, "/scrapers/jobs/-7", `Job "-7" not found.`},
		{http.MethodGet, "/scrapers/jobs/99999999999999999999", `Job "99999999999999999999" not found.`},
		{http.MethodGet, "/scrapers/jobs/abc/results?limit=5", `Job "abc" not found.`},
		{http.MethodDelete, "/scrapers/jobs/abc", `Job "abc" not found.`},
		{http.MethodGet, "/nope", "No such endpoint: GET /nope."},
		{http.MethodGet, "/scrapers/jobs/7/nope", "No such endpoint: GET /scrapers/jobs/7/nope."},
		{http.MethodGet, "/docs", "No such endpoint: GET /docs."},
		{http.MethodGet, "/schemas/JobRecord.json", "No such endpoint: GET /schemas/JobRecord.json."},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			t.Parallel()
			got := wantError(t, b.do(t, tt.method, tt.target, ""), http.StatusNotFound)
			if diff := cmp.Diff(apiError{Message: tt.message}, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		method, target, allow string
	}{
		{http.MethodPut, "/scrapers/jobs/1", "DELETE, GET, HEAD"},
		{http.MethodPost, "/scrapers/jobs", "GET, HEAD"},
		{http.MethodGet, "/scrapers/crawler/jobs", "POST"},
		{http.MethodDelete, "/healthz", "GET, HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			t.Parallel()
			w := b.do(t, tt.method, tt.target, "")
			got := wantError(t, w, http.StatusMethodNotAllowed)
			if a := w.Header().Get("Allow"); a != tt.allow {
				t.Errorf("Allow: got %q, want %q", a, tt.allow)
			}
			want := fmt.Sprintf("Method %s is not allowed on %s; allowed: %s.", tt.method, tt.target, tt.allow)
			if got.Message != want {
				t.Errorf("message: got %q, want %q", got.Message, want)
			}
		})
	}
}

func TestListJobs(t *testing.T) {
	t.Parallel()
	ptr := func(s string) *string { return &s }
	tests := []struct {
		query  string
		filter store.JobFilter
		ids    []int64
		meta   pageMeta
	}{
		{"", store.JobFilter{AccountID: 1, Limit: listChunk}, []int64{9, 7}, pageMeta{2, 20, 1, 1, 1,
			"http://trawl.test/scrapers/jobs?page=1&limit=20", "http://trawl.test/scrapers/jobs?page=1&limit=20", nil, nil}},
		{"?limit=1", store.JobFilter{AccountID: 1, Limit: 1}, []int64{9}, pageMeta{2, 1, 1, 2, 1,
			"http://trawl.test/scrapers/jobs?page=1&limit=1", "http://trawl.test/scrapers/jobs?page=2&limit=1",
			ptr("http://trawl.test/scrapers/jobs?page=2&limit=1"), nil}},
		{"?limit=1&page=2", store.JobFilter{AccountID: 1, Offset: 1, Limit: 1}, []int64{7}, pageMeta{2, 1, 2, 2, 1,
			"http://trawl.test/scrapers/jobs?page=1&limit=1", "http://trawl.test/scrapers/jobs?page=2&limit=1",
			nil, ptr("http://trawl.test/scrapers/jobs?page=1&limit=1")}},
		{"?status=finished", store.JobFilter{AccountID: 1, Status: trawl.StatusFinished, Limit: listChunk}, []int64{7}, pageMeta{1, 20, 1, 1, 1,
			"http://trawl.test/scrapers/jobs?page=1&limit=20&status=finished", "http://trawl.test/scrapers/jobs?page=1&limit=20&status=finished", nil, nil}},
		{"?status=failed", store.JobFilter{AccountID: 1, Status: trawl.StatusFailed, Limit: listChunk}, []int64{}, pageMeta{0, 20, 1, 1, 1,
			"http://trawl.test/scrapers/jobs?page=1&limit=20&status=failed", "http://trawl.test/scrapers/jobs?page=1&limit=20&status=failed", nil, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			w := b.do(t, http.MethodGet, "/scrapers/jobs"+tt.query, "")
			var page struct {
				Meta pageMeta `json:"meta"`
				Data []struct {
					ID     int64  `json:"id"`
					Status string `json:"status"`
				} `json:"data"`
			}
			wantOK(t, w, &page)
			if diff := cmp.Diff([]store.JobFilter{tt.filter}, b.store.filters[:1]); diff != "" {
				t.Errorf("filter (-want +got):\n%s", diff)
			}
			ids := []int64{}
			for _, j := range page.Data {
				ids = append(ids, j.ID)
			}
			if diff := cmp.Diff(tt.ids, ids); diff != "" {
				t.Errorf("job ids (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.meta, page.Meta); diff != "" {
				t.Errorf("meta (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListJobsRecordsMatchGet(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var list struct {
		Data []json.RawMessage `json:"data"`
	}
	wantOK(t, b.do(t, http.MethodGet, "/scrapers/jobs?status=in_progress", ""), &list)
	one := b.do(t, http.MethodGet, "/scrapers/jobs/9", "")
	wantOK(t, one, nil)
	if len(list.Data) != 1 || string(list.Data[0])+"\n" != one.Body.String() {
		t.Errorf("listed record %s differs from GET's %s", list.Data, one.Body)
	}
}

func TestListScrapers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	w := b.do(t, http.MethodGet, "/scrapers", "")
	wantOK(t, w, nil)
	want := `{"data":[{"slug":"crawler","name":"Website crawler","description":"Crawls websites.",` +
		`"parameters":{"properties":{"urls":{"items":{"type":"string"},"type":"array"}},"required":["urls"],"type":"object"},"columns":["url","title"]}]}` + "\n"
	if diff := cmp.Diff(want, w.Body.String()); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}
