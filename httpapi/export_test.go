package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/export"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/store"
	"github.com/trawlhq/trawl/store/sqlite"
	"github.com/xuri/excelize/v2"
)

// exportBundle is an API over a real SQLite store holding, for account 1,
// job 1 (finished, exportRows rows) and job 3 (running, 2 rows stored, the
// record saying 1), and for account 2, job 2.
type exportBundle struct {
	db      *sqlite.DB
	signer  *export.Signer
	now     atomic.Pointer[time.Time]
	rows    *flakyRows
	handler http.Handler
	server  *server
	logs    *syncBuffer
	done    *trawl.Job
	other   *trawl.Job
	running *trawl.Job
}

var exportRows = []string{
	`{"url":"https://a.example/","title":"=cmd|' /C calc'!A0","statusCode":200,"meta":{"lang":"en","tags":["x","y"]}}`,
	`{"url":"https://a.example/b","title":"B, \"quoted\"","statusCode":404,"error":"Not found"}`,
	`{"url":"https://a.example/c","title":"Ünïcödé ✓","statusCode":200,"meta":{"lang":"fr"}}`,
}

// flakyRows is the store's EachRow, failing after failAfter rows when set.
type flakyRows struct {
	db        *sqlite.DB
	failAfter atomic.Int64 // 0 = never
}

var errRowsBroke = errors.New("disk I/O error reading rows")

func (f *flakyRows) EachRow(ctx context.Context, jobID, upTo int64, fn func(*trawl.Row) error) error {
	n := f.failAfter.Load()
	return f.db.EachRow(ctx, jobID, upTo, func(r *trawl.Row) error {
		if n > 0 && r.Seq > n-1 {
			return errRowsBroke
		}
		return fn(r)
	})
}

func setupExports(t *testing.T) *exportBundle {
	t.Helper()
	db, err := sqlite.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := t.Context()
	if err := db.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	b := &exportBundle{db: db, rows: &flakyRows{db: db}, logs: &syncBuffer{}}
	start := time.Date(2025, 5, 2, 12, 0, 0, 0, time.UTC)
	b.now.Store(&start)
	clock := func() time.Time { return *b.now.Load() }
	b.signer, err = export.NewSigner(export.SignerConfig{Secret: []byte("0123456789abcdef0123456789abcdef"), BaseURL: "http://trawl.test", Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{key1, key2} {
		a, err := db.CreateAccount(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateAPIKey(ctx, a.ID, key); err != nil {
			t.Fatal(err)
		}
	}
	b.done = b.addJob(t, 1, trawl.StatusFinished, exportRows, 0)
	b.other = b.addJob(t, 2, trawl.StatusFinished, exportRows[:1], 0)
	// A running job whose record was read when it had one row.
	b.running = b.addJob(t, 1, trawl.StatusInProgress, exportRows[:2], 1)

	b.server = newServer(Config{
		Jobs:      &fakeJobs{},
		Store:     db,
		PublicURL: "http://trawl.test",
		Logger:    slog.New(slog.NewTextHandler(b.logs, nil)),
		Scrapers:  []scrape.Info{{Slug: "crawler", Columns: []string{"url", "statusCode", "title", "error"}}},
		Links: func(j *trawl.Job) *DataLinks {
			if !j.Status.Terminal() {
				return nil
			}
			l := DataLinks(b.signer.Links(j.ID))
			return &l
		},
		Exports: &Exports{Tokens: b.signer, Rows: b.rows, Now: clock},
	})
	b.handler = b.server.handler
	return b
}

// addJob stores a job of account with rows; a count > 0 makes the stored
// DataRowsCount lag behind the rows, as a record read mid-batch would.
func (b *exportBundle) addJob(t *testing.T, account int64, status trawl.Status, rows []string, count int64) *trawl.Job {
	t.Helper()
	j := &trawl.Job{AccountID: account, Scraper: "crawler", Status: trawl.StatusPending, Input: json.RawMessage(`{}`), Params: json.RawMessage(`{}`)}
	err := b.db.InTx(t.Context(), func(tx store.Tx) error {
		if err := tx.CreateJob(j); err != nil {
			return err
		}
		var data []json.RawMessage
		for _, r := range rows {
			data = append(data, json.RawMessage(r))
		}
		if _, err := tx.InsertRows(j, data); err != nil {
			return err
		}
		j.Status, j.DataRowsCount = status, int64(len(rows))
		if count > 0 {
			j.DataRowsCount = count
		}
		return tx.UpdateJob(j)
	})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func (b *exportBundle) get(t *testing.T, target string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	b.handler.ServeHTTP(w, r)
	return w
}

// path returns the path of an absolute link.
func path(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Host != "trawl.test" {
		t.Fatalf("link %q is not on the public URL", link)
	}
	return u.Path
}

// readTable reads an export back as a table of strings.
func readTable(t *testing.T, f export.Format, body []byte) [][]string {
	t.Helper()
	switch f {
	case export.FormatCSV:
		got, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatalf("read CSV: %v", err)
		}
		return got
	case export.FormatXLSX:
		x, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("open XLSX: %v", err)
		}
		defer x.Close()
		got, err := x.GetRows("Sheet1", excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			for len(got[i]) < len(got[0]) {
				got[i] = append(got[i], "")
			}
		}
		return got
	}
	var rows []map[string]any
	if err := json.Unmarshal(body, &rows); err != nil {
		t.Fatalf("read JSON: %v", err)
	}
	var out [][]string
	for _, r := range rows {
		out = append(out, []string{fmt.Sprint(r["url"]), fmt.Sprint(r["title"])})
	}
	return out
}

// wantTables are the three rows of job 1 as each format reads back.
var wantTables = map[export.Format][][]string{
	export.FormatJSON: {
		{"https://a.example/", "=cmd|' /C calc'!A0"},
		{"https://a.example/b", `B, "quoted"`},
		{"https://a.example/c", "Ünïcödé ✓"},
	},
	export.FormatCSV: {
		{"url", "statusCode", "title", "error", "meta.lang", "meta.tags"},
		{"https://a.example/", "200", "'=cmd|' /C calc'!A0", "", "en", "x; y"},
		{"https://a.example/b", "404", `B, "quoted"`, "Not found", "", ""},
		{"https://a.example/c", "200", "Ünïcödé ✓", "", "fr", ""},
	},
}

func init() { wantTables[export.FormatXLSX] = wantTables[export.FormatCSV] }

func TestExportDownloads(t *testing.T) {
	t.Parallel()
	b := setupExports(t)
	var rec jobRecord
	wantOK(t, b.do(t, "/scrapers/jobs/1"), &rec)
	if rec.Data == nil {
		t.Fatal("a finished job's record has no data links")
	}
	links := map[export.Format]string{export.FormatJSON: rec.Data.JSON, export.FormatCSV: rec.Data.CSV, export.FormatXLSX: rec.Data.XLSX}
	for _, f := range export.Formats() {
		for name, target := range map[string]struct {
			path    string
			headers []string
		}{
			"signed link, no key": {path(t, links[f]), nil},
			"API key":             {"/scrapers/jobs/1/results." + string(f), []string{"x-api-key", key1}},
			"bearer key":          {"/scrapers/jobs/1/results." + string(f), []string{"Authorization", "Bearer " + key1}},
		} {
			t.Run(string(f)+" "+name, func(t *testing.T) {
				t.Parallel()
				w := b.get(t, target.path, target.headers...)
				if w.Code != http.StatusOK {
					t.Fatalf("status %d, want 200: %s", w.Code, w.Body)
				}
				wantHeaders := map[string]string{
					"Content-Type":        f.ContentType(),
					"Content-Disposition": `attachment; filename="trawl-job-1.` + string(f) + `"`,
					"Cache-Control":       "no-store",
				}
				for k, v := range wantHeaders {
					if got := w.Header().Get(k); got != v {
						t.Errorf("%s: got %q, want %q", k, got, v)
					}
				}
				if diff := cmp.Diff(wantTables[f], readTable(t, f, w.Body.Bytes())); diff != "" {
					t.Errorf("rows read back (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// do is GET with key1.
func (b *exportBundle) do(t *testing.T, target string) *httptest.ResponseRecorder {
	return b.get(t, target, "x-api-key", key1)
}

func TestExportJSONIsTheStoredRows(t *testing.T) {
	t.Parallel()
	b := setupExports(t)
	w := b.do(t, "/scrapers/jobs/1/results.json")
	var got []json.RawMessage
	wantOK(t, w, &got)
	want := []json.RawMessage{}
	for _, r := range exportRows {
		want = append(want, json.RawMessage(r))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON export (-want +got):\n%s", diff)
	}
}

func TestExportLinksRefused(t *testing.T) {
	t.Parallel()
	b := setupExports(t)
	links := b.signer.Links(b.done.ID)
	csvPath := path(t, links.CSV)
	token := strings.TrimSuffix(strings.TrimPrefix(csvPath, "/exports/"), ".csv")
	flip := func(s string, i int) string {
		c := s[i]
		if c == 'A' {
			c = 'B'
		} else {
			c = 'A'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	tests := map[string]string{
		"tampered first character": "/exports/" + flip(token, 0) + ".csv",
		"tampered last character":  "/exports/" + flip(token, len(token)-1) + ".csv",
		"another job's id":         "/exports/" + b.signer.Sign(999, export.FormatCSV, time.Now().Add(time.Hour)) + ".csv",
		"another extension":        "/exports/" + token + ".json",
		"unknown extension":        "/exports/" + token + ".pdf",
		"no extension":             "/exports/" + token,
		"empty token":              "/exports/.csv",
		"garbage":                  "/exports/not-a-token.csv",
	}
	for name, target := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := wantError(t, b.get(t, target), http.StatusNotFound)
			if e.Message != msgExportNotFound {
				t.Errorf("message: got %q, want %q", e.Message, msgExportNotFound)
			}
		})
	}
	// The untouched link works (the test above can tell good from bad)...
	if w := b.get(t, csvPath); w.Code != http.StatusOK {
		t.Fatalf("the good link: status %d", w.Code)
	}
	// ...until it expires: the same 404.
	later := b.now.Load().Add(export.DefaultLinkTTL)
	b.now.Store(&later)
	e := wantError(t, b.get(t, csvPath), http.StatusNotFound)
	if e.Message != msgExportNotFound {
		t.Errorf("expired link: got %q, want the same message as a forged one", e.Message)
	}
}

func TestExportKeyRoutes(t *testing.T) {
	t.Parallel()
	b := setupExports(t)
	for _, f := range export.Formats() {
		target := fmt.Sprintf("/scrapers/jobs/%d/results.%s", b.other.ID, f)
		wantError(t, b.do(t, target), http.StatusNotFound)                                     // another account's job
		wantOK(t, b.get(t, target, "x-api-key", key2), nil)                                    // its owner's
		wantError(t, b.get(t, "/scrapers/jobs/1/results."+string(f)), http.StatusUnauthorized) // no key
		wantError(t, b.do(t, "/scrapers/jobs/999/results."+string(f)), http.StatusNotFound)
		wantError(t, b.do(t, "/scrapers/jobs/abc/results."+string(f)), http.StatusNotFound)
	}
	wantError(t, b.do(t, "/scrapers/jobs/1/results.pdf"), http.StatusNotFound)
	// The paged results route is still itself.
	var page struct {
		Data []json.RawMessage `json:"data"`
	}
	wantOK(t, b.do(t, "/scrapers/jobs/1/results"), &page)
	if len(page.Data) != len(exportRows) {
		t.Errorf("paged results: got %d rows, want %d", len(page.Data), len(exportRows))
	}
}

// TestExportRunningJob: a running job has no links yet, and its key export
// holds the rows its record counts, not a row more.
func TestExportRunningJob(t *testing.T) {
	t.Parallel()
	b := setupExports(t)
	var rec jobRecord
	wantOK(t, b.do(t, fmt.Sprintf("/scrapers/jobs/%d", b.running.ID)), &rec)
	if rec.Data != nil {
		t.Errorf("a running job has data links: %+v", rec.Data)
	}
	w := b.do(t, fmt.Sprintf("/scrapers/jobs/%d/results.csv", b.running.ID))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	if got := readTable(t, export.FormatCSV, w.Body.Bytes()); len(got) != 2 {
		t.Errorf("got %d lines (%v), want the header and the 1 counted row", len(got), got)
	}
}

func TestExportHead(t *testing.T) {
	t.Parallel()
	b := setupExports(t)
	r := httptest.NewRequest(http.MethodHead, path(t, b.signer.Links(1).XLSX), nil)
	w := httptest.NewRecorder()
	b.handler.ServeHTTP(w, r)
	if w.Code != http.StatusOK || w.Body.Len() != 0 || w.Header().Get("Content-Type") != export.FormatXLSX.ContentType() {
		t.Errorf("HEAD: got %d, %d bytes, %q", w.Code, w.Body.Len(), w.Header().Get("Content-Type"))
	}
}

// TestExportErrors: an error before the first byte is an error response; one
// after it cuts the connection, so the client cannot take a short file for
// a whole one.
func TestExportErrors(t *testing.T) {
	t.Parallel()
	b := setupExports(t)
	b.rows.failAfter.Store(1) // fail on the first row
	for _, f := range export.Formats() {
		e := wantError(t, b.do(t, "/scrapers/jobs/1/results."+string(f)), http.StatusInternalServerError)
		if e.Message != internalMessage {
			t.Errorf("%s: got %q, want %q", f, e.Message, internalMessage)
		}
	}
	if !strings.Contains(b.logs.String(), errRowsBroke.Error()) {
		t.Errorf("the row error is not logged:\n%s", b.logs)
	}

	// Enough rows that the JSON export is well under way when the rows fail.
	big := make([]string, 3000)
	for i := range big {
		big[i] = fmt.Sprintf(`{"n":%d,"text":%q}`, i, strings.Repeat("z", 200))
	}
	job := b.addJob(t, 1, trawl.StatusFinished, big, 0)
	b2 := setupExportsOver(t, b)
	b2.rows.failAfter.Store(2500)
	srv := httptest.NewServer(b2.handler)
	t.Cleanup(srv.Close)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, fmt.Sprintf("%s/scrapers/jobs/%d/results.json", srv.URL, job.ID), nil)
	req.Header.Set("x-api-key", key1)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200 (the failure comes after the start)", resp.StatusCode)
	}
	body, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Errorf("read %d bytes and a clean end; want a broken transfer", len(body))
	}
	if json.Valid(body) {
		t.Errorf("the cut body is valid JSON")
	}
}

// setupExportsOver builds a second API over b's database with its own
// flaky rows.
func setupExportsOver(t *testing.T, b *exportBundle) *exportBundle {
	t.Helper()
	b2 := &exportBundle{db: b.db, signer: b.signer, rows: &flakyRows{db: b.db}, logs: &syncBuffer{}}
	b2.server = newServer(Config{
		Jobs: &fakeJobs{}, Store: b.db,
		Logger:  slog.New(slog.NewTextHandler(b2.logs, nil)),
		Exports: &Exports{Tokens: b.signer, Rows: b2.rows},
	})
	b2.handler = b2.server.handler
	return b2
}

func TestExportTooManyColumns(t *testing.T) {
	t.Parallel()
	b := setupExports(t)
	var row strings.Builder
	row.WriteByte('{')
	for i := range export.MaxColumns + 1 {
		if i > 0 {
			row.WriteByte(',')
		}
		fmt.Fprintf(&row, `"u%d":1`, i)
	}
	row.WriteByte('}')
	job := b.addJob(t, 1, trawl.StatusFinished, []string{row.String()}, 0)
	for _, f := range []export.Format{export.FormatCSV, export.FormatXLSX} {
		wantError(t, b.do(t, fmt.Sprintf("/scrapers/jobs/%d/results.%s", job.ID, f)), http.StatusUnprocessableEntity)
	}
	wantOK(t, b.do(t, fmt.Sprintf("/scrapers/jobs/%d/results.json", job.ID)), nil)
}

func TestExportRoutesDocumented(t *testing.T) {
	t.Parallel()
	b := setupExports(t)
	want := append(append([]string(nil), wantRoutes...),
		"GET /exports/{file}",
		"GET /scrapers/jobs/{id}/results.json",
		"GET /scrapers/jobs/{id}/results.csv",
		"GET /scrapers/jobs/{id}/results.xlsx",
	)
	if diff := cmp.Diff(want, b.server.patterns); diff != "" {
		t.Errorf("routes (-want +got):\n%s", diff)
	}
	w := b.get(t, "/openapi.json")
	var doc openAPIDoc
	wantOK(t, w, &doc)
	if op := doc.Paths["/exports/{file}"]["get"]; op.Security == nil || len(*op.Security) != 0 {
		t.Errorf("/exports/{file} security: got %v, want none", op.Security)
	}
	for _, f := range export.Formats() {
		op := doc.Paths["/scrapers/jobs/{id}/results."+string(f)]["get"]
		if op.Security == nil || len(*op.Security) == 0 {
			t.Errorf("results.%s needs no key in the document", f)
		}
		if _, ok := op.Responses["200"].Content[f.ContentType()]; !ok {
			t.Errorf("results.%s: 200 is not documented as %s", f, f.ContentType())
		}
	}
}

func TestExportTokenNotLogged(t *testing.T) {
	t.Parallel()
	b := setupExports(t)
	p := path(t, b.signer.Links(b.done.ID).CSV)
	if w := b.get(t, p); w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	token := strings.TrimSuffix(strings.TrimPrefix(p, "/exports/"), ".csv")
	logs := b.logs.String()
	if strings.Contains(logs, token) {
		t.Errorf("the log holds the link's token:\n%s", logs)
	}
	if !strings.Contains(logs, "path=/exports/…") || !strings.Contains(logs, "status=200") {
		t.Errorf("the download is not logged:\n%s", logs)
	}
}

// TestExportClientGoesAway: a client that hangs up mid-download ends the
// export quietly: no error logged, the walk stopped.
func TestExportClientGoesAway(t *testing.T) {
	t.Parallel()
	b := setupExports(t)
	big := make([]string, 5000)
	for i := range big {
		big[i] = fmt.Sprintf(`{"n":%d,"text":%q}`, i, strings.Repeat("w", 2000))
	}
	job := b.addJob(t, 1, trawl.StatusFinished, big, 0)
	srv := httptest.NewServer(b.handler)
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Get(srv.URL + path(t, b.signer.Links(job.ID).CSV))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 1024)); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(b.logs.String(), "export cut short") {
		if time.Now().After(deadline) {
			t.Fatalf("no sign of the export stopping:\n%s", b.logs)
		}
		time.Sleep(20 * time.Millisecond) // polling interval
	}
	if strings.Contains(b.logs.String(), "level=ERROR") {
		t.Errorf("a client hanging up is logged as an error:\n%s", b.logs)
	}
}
