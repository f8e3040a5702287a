package googlemaps

import (
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
	"go.uber.org/goleak"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// offsetRE reads the offset of the first result (8i) from a pb parameter.
var offsetRE = regexp.MustCompile(`!8i([0-9]+)`)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fixtureServer serves testdata/search/<dir>/<offset>.txt for the search
// whose pb asks for that offset; an offset without a file is a 404 (the test
// then fails: the scraper asked for a page it should not have). It records
// the offsets asked for.
type fixtureServer struct {
	*httptest.Server
	mu      sync.Mutex
	offsets []int
	queries []string
}

func newFixtureServer(t *testing.T, dir string) *fixtureServer {
	t.Helper()
	s := &fixtureServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := offsetRE.FindStringSubmatch(r.URL.Query().Get("pb"))
		if r.URL.Path != "/search" || m == nil {
			http.Error(w, "not a maps search", http.StatusBadRequest)
			return
		}
		off, _ := strconv.Atoi(m[1])
		s.mu.Lock()
		s.offsets = append(s.offsets, off)
		s.queries = append(s.queries, r.URL.Query().Get("q"))
		s.mu.Unlock()
		b, err := os.ReadFile(filepath.Join("testdata", "search", dir, m[1]+".txt"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.Write(b)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *fixtureServer) asked() ([]int, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.offsets...), append([]string(nil), s.queries...)
}

func testFetcher(t *testing.T) *scrape.Fetcher {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return scrape.NewFetcher(scrape.FetcherOptions{Client: &http.Client{Transport: tr}, PerHostRate: 1000,
		RetryBaseDelay: time.Millisecond, MaxRetries: -1})
}

// runJob runs a job the way the jobs service does, one task at a time:
// Plan, then every task in order, skipping follow-ups whose key the job
// already has, stopping once limit rows are stored (0 = no limit).
func runJob(t *testing.T, s *Scraper, body string, limit int64) (rows []json.RawMessage, credits int64, keys []string) {
	t.Helper()
	params, err := s.Parse(json.RawMessage(body))
	if err != nil {
		t.Fatalf("Parse(%s): %v", body, err)
	}
	job := &trawl.Job{ID: 1, Scraper: Slug, Params: params, Limit: limit}
	specs, err := s.Plan(job)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var queue []trawl.TaskSpec
	add := func(specs []trawl.TaskSpec) {
		for _, sp := range specs {
			if !seen[sp.Key] {
				seen[sp.Key] = true
				queue = append(queue, sp)
				keys = append(keys, sp.Key)
			}
		}
	}
	add(specs)
	for i := 0; len(queue) > 0; i++ {
		sp := queue[0]
		queue = queue[1:]
		res, err := s.Run(t.Context(), job, &trawl.Task{ID: int64(i + 1), JobID: 1, Key: sp.Key, Payload: sp.Payload})
		if err != nil {
			t.Fatalf("Run(%s): %v", sp.Key, err)
		}
		credits += res.Credits
		for _, r := range res.Rows {
			if limit > 0 && int64(len(rows)) >= limit {
				return rows, credits, keys
			}
			rows = append(rows, r)
		}
		if limit > 0 && int64(len(rows)) >= limit {
			return rows, credits, keys
		}
		add(res.Next)
	}
	return rows, credits, keys
}

// goldenRun is a golden file: what a one-search job over a fixture did.
type goldenRun struct {
	Searched []int             `json:"searched"` // the offsets fetched, in order
	Credits  int64             `json:"credits"`
	Rows     []json.RawMessage `json:"rows"`
}

func TestSearchGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string // testdata/search/<name>/ and testdata/golden/<name>.json
		body string
	}{
		// Three pages (20, 20 and 6 entries): redirect-wrapped websites, a
		// Facebook and an Instagram "website", no website, old and new hours
		// layouts, split and closed days, German day names, a place without
		// rating, phone or price, one without ids, one with only a data id,
		// a reshaped entry, an entry that is not a place, and a place that
		// page 2 repeats from page 1.
		{"coffee-new-york", `{"keywords":["coffee shops"],"locations":["CUSTOM>New York, NY"]}`},
		// The {"c":…,"d":"…"} wrapper, one page of three; the category form.
		{"dentists-chicago", `{"categories":["dentist"],"locations":["Chicago, IL"],"language":"en"}`},
		// No results.
		{"nothing-found", `{"keywords":["vegan butcher"],"locations":["Nome, AK"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFixtureServer(t, tt.name)
			s, err := New(testFetcher(t), srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			rows, credits, _ := runJob(t, s, tt.body, 0)
			searched, _ := srv.asked()
			got := goldenRun{Searched: searched, Credits: credits, Rows: rows}
			file := filepath.Join("testdata", "golden", tt.name+".json")
			if *update {
				b, err := json.MarshalIndent(got, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			var want goldenRun
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if diff := cmp.Diff(normalize(t, want), normalize(t, got)); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

// normalize decodes the rows so that the comparison ignores formatting.
func normalize(t *testing.T, g goldenRun) map[string]any {
	t.Helper()
	rows := make([]any, len(g.Rows))
	for i, r := range g.Rows {
		if err := json.Unmarshal(r, &rows[i]); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
	}
	return map[string]any{"searched": g.Searched, "credits": g.Credits, "rows": rows}
}
