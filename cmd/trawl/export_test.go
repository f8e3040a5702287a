package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store/sqlite"
	"github.com/xuri/excelize/v2"
)

// recordLinks is the data object of a job record.
type recordLinks struct {
	JSON string `json:"json"`
	CSV  string `json:"csv"`
	XLSX string `json:"xlsx"`
}

func (in *instance) links(id int64) *recordLinks {
	in.t.Helper()
	var rec struct {
		Data *recordLinks `json:"data"`
	}
	if code := in.do("GET", fmt.Sprintf("/scrapers/jobs/%d", id), nil, &rec); code != 200 {
		in.t.Fatalf("job %d: status %d", id, code)
	}
	return rec.Data
}

// fetch GETs url with no API key and returns the status, headers and body.
func fetch(t *testing.T, u string, headers ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp.StatusCode, resp.Header, body
}

// TestExportsEndToEnd: a finished crawl's record carries signed links; each
// downloads without a key and holds the job's rows; a tampered link and
// another account's job are 404; links outlive a restart and expire.
func TestExportsEndToEnd(t *testing.T) {
	t.Parallel()
	web := newSite(t, 0, false)
	dir := t.TempDir()
	env := testEnv(map[string]string{"TRAWL_DATA_DIR": dir, "TRAWL_EXPORT_LINK_TTL": "1h"})
	in := start(t, env)

	var created jobRecord
	if code := in.do("POST", "/scrapers/crawler/jobs", fmt.Sprintf(`{"urls":[%q],"outputFormat":["text"]}`, web.URL), &created); code != 200 {
		t.Fatalf("create: status %d", code)
	}
	if l := in.links(created.ID); l != nil {
		t.Errorf("a pending job has links: %+v", l)
	}
	in.waitTerminal(created.ID, 90*time.Second)
	links := in.links(created.ID)
	if links == nil {
		t.Fatal("a finished job's record has no data links")
	}
	rows := in.allRows(created.ID)

	for _, link := range []string{links.JSON, links.CSV, links.XLSX} {
		if !strings.HasPrefix(link, in.base+"/exports/") {
			t.Errorf("link %q is not under the public URL %s", link, in.base)
		}
	}

	// JSON: the rows, as the results pages give them.
	code, h, body := fetch(t, links.JSON)
	if code != 200 || h.Get("Content-Type") != "application/json" ||
		h.Get("Content-Disposition") != fmt.Sprintf(`attachment; filename="trawl-job-%d.json"`, created.ID) {
		t.Fatalf("JSON link: %d %v", code, h)
	}
	var gotRows []map[string]any
	if err := json.Unmarshal(body, &gotRows); err != nil {
		t.Fatalf("JSON export is not an array of rows: %v", err)
	}
	if diff := cmp.Diff(rows, gotRows); diff != "" {
		t.Errorf("JSON export (-results +export):\n%s", diff)
	}

	// CSV: the crawler's columns first, one line per row, cells matching.
	code, h, body = fetch(t, links.CSV)
	if code != 200 || h.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("CSV link: %d %v", code, h)
	}
	table, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("read CSV: %v", err)
	}
	wantHeader := []string{"url", "statusCode", "statusText", "title", "depth", "text", "markdown", "html",
		"headers", "extractedData", "aiResponse", "emails", "links", "screenshot", "error"}
	if len(table) != len(rows)+1 || !slices.Equal(table[0][:len(wantHeader)], wantHeader) {
		t.Fatalf("CSV: %d lines, header %v; want %d lines and the crawler's columns first", len(table), table[0], len(rows)+1)
	}
	checkTable(t, "CSV", table, rows)

	// XLSX: the same table.
	code, h, body = fetch(t, links.XLSX)
	if code != 200 || h.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("XLSX link: %d %v", code, h)
	}
	x, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("open XLSX: %v", err)
	}
	sheet, err := x.GetRows("Sheet1", excelize.Options{RawCellValue: true})
	x.Close()
	if err != nil {
		t.Fatal(err)
	}
	checkTable(t, "XLSX", sheet, rows)

	// A tampered link is a 404, so is a link with another format's extension.
	u, _ := url.Parse(links.CSV)
	token := strings.TrimSuffix(strings.TrimPrefix(u.Path, "/exports/"), ".csv")
	tampered := []byte(token)
	tampered[len(tampered)/2] ^= 1
	for _, bad := range []string{in.base + "/exports/" + string(tampered) + ".csv", in.base + "/exports/" + token + ".xlsx"} {
		if code, _, body := fetch(t, bad); code != 404 {
			t.Errorf("GET %s: got %d %s, want 404", bad, code, body)
		}
	}

	// The key routes: the caller's job, and not another account's.
	keyURL := fmt.Sprintf("%s/scrapers/jobs/%d/results.csv", in.base, created.ID)
	if code, _, got := fetch(t, keyURL, "x-api-key", in.key); code != 200 || !bytes.Equal(got, mustFetch(t, links.CSV)) {
		t.Errorf("key route: got %d, or a different file from the link", code)
	}
	if code, _, _ := fetch(t, keyURL); code != 401 {
		t.Errorf("key route without a key: got %d, want 401", code)
	}
	otherKey := addAccount(t, dir, "other")
	if code, _, _ := fetch(t, keyURL, "x-api-key", otherKey); code != 404 {
		t.Errorf("another account's job: got %d, want 404", code)
	}

	// Links are signed with a secret kept in the database: they work after
	// a restart (on a new port), and stop after the TTL.
	in.stop()
	env["TRAWL_EXPORT_LINK_TTL"] = "1s"
	in2 := start(t, env)
	if code, _, _ := fetch(t, in2.base+u.Path); code != 200 {
		t.Errorf("link after a restart: got %d, want 200", code)
	}
	short := in2.links(created.ID)
	if code, _, _ := fetch(t, short.JSON); code != 200 {
		t.Fatalf("fresh 1s link: got %d", code)
	}
	waitFor(t, 10*time.Second, "a 1s link to expire", func() bool {
		code, _, _ := fetch(t, short.JSON)
		return code == 404
	})
}

// checkTable compares an exported table with the rows it came from, on the
// fields every crawler row has.
func checkTable(t *testing.T, name string, table [][]string, rows []map[string]any) {
	t.Helper()
	col := map[string]int{}
	for i, c := range table[0] {
		col[c] = i
	}
	byURL := map[string][]string{}
	for _, line := range table[1:] {
		for len(line) < len(table[0]) {
			line = append(line, "")
		}
		byURL[line[col["url"]]] = line
	}
	for _, r := range rows {
		line, ok := byURL[r["url"].(string)]
		if !ok {
			t.Errorf("%s: no line for %v", name, r["url"])
			continue
		}
		for _, field := range []string{"title", "statusCode", "text"} {
			want := fmt.Sprint(r[field])
			if r[field] == nil {
				want = ""
			}
			if got := strings.TrimPrefix(line[col[field]], "'"); got != want {
				t.Errorf("%s: %s of %v: got %q, want %q", name, field, r["url"], got, want)
			}
		}
	}
}

func mustFetch(t *testing.T, u string) []byte {
	t.Helper()
	code, _, body := fetch(t, u)
	if code != 200 {
		t.Fatalf("GET %s: %d", u, code)
	}
	return body
}

// addAccount creates an account with a key in the running instance's
// database and returns the key.
func addAccount(t *testing.T, dir, name string) string {
	t.Helper()
	db, err := sqlite.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a, err := db.CreateAccount(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	key := trawl.NewAPIKey()
	if _, err := db.CreateAPIKey(t.Context(), a.ID, key); err != nil {
		t.Fatal(err)
	}
	return key
}
