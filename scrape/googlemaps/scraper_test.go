package googlemaps

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape/googlemaps/mapstest"
)

func TestNew(t *testing.T) {
	t.Parallel()
	f := testFetcher(t)
	for _, base := range []string{"", "https://maps.google.com", "http://127.0.0.1:8081/", "https://proxy.example/maps"} {
		if _, err := New(f, base); err != nil {
			t.Errorf("New(%q): %v", base, err)
		}
	}
	for _, base := range []string{"maps.google.com", "ftp://maps.google.com", "https://maps.google.com/?x=1", "://"} {
		if _, err := New(f, base); err == nil {
			t.Errorf("New(%q): no error", base)
		}
	}
}

func TestPlan(t *testing.T) {
	t.Parallel()
	s, _ := New(testFetcher(t), "")
	if info := s.Info(); info.Slug != "google-maps" || info.OneRowPerTask || !cmp.Equal(info.Columns, Columns()) {
		t.Errorf("Info: %+v", info)
	}
	params, err := s.Parse(json.RawMessage(`{"keywords":["coffee shops","bakery"],"categories":["Bakery","dentist"],
		"locations":["CUSTOM>New York, NY","Chicago, IL"]}`))
	if err != nil {
		t.Fatal(err)
	}
	specs, err := s.Plan(&trawl.Job{Params: params})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, sp := range specs {
		keys = append(keys, sp.Key)
	}
	want := []string{
		`search:["coffee shops","New York, NY",0]`, `search:["coffee shops","Chicago, IL",0]`,
		`search:["bakery","New York, NY",0]`, `search:["bakery","Chicago, IL",0]`,
		`search:["dentist","New York, NY",0]`, `search:["dentist","Chicago, IL",0]`,
	}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("task keys (-want +got):\n%s", diff)
	}
}

func TestSearchStopsAtLimits(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		body     string
		limit    int64
		searched []int
		places   int
	}{
		// The job's limit caps what one search yields: 5 places from the
		// first page, no second page.
		{"job limit", `{"keywords":["coffee shops"],"locations":["New York, NY"]}`, 5, []int{0}, 5},
		// maxResultsPerQuery: 19 places on page 1, then 6 new ones of page 2
		// (its repeat of a page 1 place does not count), no page 3.
		{"maxResultsPerQuery", `{"keywords":["coffee shops"],"locations":["New York, NY"],"maxResultsPerQuery":25}`, 0, []int{0, 20}, 25},
		// A limit of 20: page 2 is needed, as page 1 has only 19 places.
		{"limit past the first page", `{"keywords":["coffee shops"],"locations":["New York, NY"]}`, 20, []int{0, 20}, 20},
		// A limit larger than the search: every page, 44 distinct places.
		{"large limit", `{"keywords":["coffee shops"],"locations":["New York, NY"]}`, 1000, []int{0, 20, 40}, 44},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFixtureServer(t, "coffee-new-york")
			s, _ := New(testFetcher(t), srv.URL)
			_, _, keys := runJob(t, s, tt.body, tt.limit)
			places := 0
			for _, k := range keys {
				if strings.HasPrefix(k, "place:") {
					places++
				}
			}
			searched, queries := srv.asked()
			if !cmp.Equal(searched, tt.searched) || places != tt.places {
				t.Errorf("searched %v and yielded %d place tasks; want %v and %d", searched, places, tt.searched, tt.places)
			}
			for _, q := range queries {
				if q != "coffee shops New York, NY" {
					t.Errorf("query %q", q)
				}
			}
		})
	}
}

func TestSearchErrorsNameTheQuery(t *testing.T) {
	t.Parallel()
	var status atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch status.Load() {
		case 0:
			fmt.Fprint(w, `<html><body>Our systems have detected unusual traffic from your computer network.</body></html>`)
		case 1:
			fmt.Fprint(w, ")]}'\n{\"results\":[]}")
		default:
			http.Error(w, "no", int(status.Load()))
		}
	}))
	t.Cleanup(srv.Close)
	s, _ := New(testFetcher(t), srv.URL)
	params, _ := s.Parse(json.RawMessage(`{"keywords":["coffee shops"],"locations":["CUSTOM>New York, NY"]}`))
	job := &trawl.Job{ID: 1, Params: params}
	specs, _ := s.Plan(job)
	for code, want := range map[int32]string{
		0:   "an HTML page",
		1:   "starts with",
		403: "HTTP 403 Forbidden",
		404: "HTTP 404 Not Found",
	} {
		status.Store(code)
		_, err := s.Run(t.Context(), job, &trawl.Task{Key: specs[0].Key, Payload: specs[0].Payload})
		if err == nil || !strings.Contains(err.Error(), `google maps search "coffee shops New York, NY"`) || !strings.Contains(err.Error(), want) {
			t.Errorf("answer %d: got %v, want an error naming the query and saying %q", code, err, want)
		}
	}
	if _, err := s.Run(t.Context(), job, &trawl.Task{Key: "x", Payload: json.RawMessage(`{"kind":"nope"}`)}); err == nil {
		t.Error("a task of an unknown kind ran")
	}
}

// businessSite is a small local business website with a contact page.
func businessSite(t *testing.T, email string, hits *atomic.Int32) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/":
			fmt.Fprint(w, `<html><body><a href="/contact">Contact</a> <a href="https://www.instagram.com/joescoffee/">IG</a></body></html>`)
		case "/contact":
			fmt.Fprintf(w, `<html><body><a href="mailto:%s">Write</a> <a href="tel:(212) 555-0100">Call</a></body></html>`, email)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestExtractEmails(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	site := businessSite(t, "hello@joes-coffee.com", &hits)
	maps := mapstest.NewServer(t, map[string][]mapstest.Place{
		"coffee shops New York, NY": {
			{Title: "Joe's Coffee", PlaceID: "ChIJjoe", Website: site.URL + "/", Country: "US", Types: []string{"Coffee shop"}},
			{Title: "Lumen", PlaceID: "ChIJlumen", Website: "https://www.facebook.com/lumen.nyc/", RawWebsite: true},
			{Title: "No Site", PlaceID: "ChIJnosite"},
			{Title: "Joe's Coffee", PlaceID: "ChIJjoe", Website: site.URL + "/"}, // listed twice
		},
	})
	s, _ := New(testFetcher(t), maps.URL)
	rows, credits, _ := runJob(t, s, `{"keywords":["coffee shops"],"locations":["New York, NY"],"extractEmails":true}`, 0)

	none := []any{}
	profiles := func(fb, ig []any) map[string]any {
		return map[string]any{"linkedin": none, "xcom": none, "facebook": fb, "instagram": ig, "youtube": none,
			"tiktok": none, "pinterest": none, "github": none, "dribbble": none, "clutch": none}
	}
	with := func(m map[string]any, more map[string]any) map[string]any {
		for k, v := range more {
			m[k] = v
		}
		return m
	}
	want := []map[string]any{
		with(map[string]any{"position": 1.0, "title": "Joe's Coffee", "placeId": "ChIJjoe", "website": site.URL + "/",
			"type": "Coffee shop", "types": []any{"Coffee shop"}, "keyword": "coffee shops", "location": "New York, NY",
			"emails": []any{"hello@joes-coffee.com"}, "phoneNumbers": []any{"+12125550100"}},
			profiles(none, []any{"https://www.instagram.com/joescoffee"})),
		with(map[string]any{"position": 2.0, "title": "Lumen", "placeId": "ChIJlumen", "website": "https://www.facebook.com/lumen.nyc/",
			"keyword": "coffee shops", "location": "New York, NY", "emails": none, "phoneNumbers": none},
			profiles([]any{"https://www.facebook.com/lumen.nyc"}, none)),
		with(map[string]any{"position": 3.0, "title": "No Site", "placeId": "ChIJnosite", "keyword": "coffee shops",
			"location": "New York, NY", "emails": none, "phoneNumbers": none}, profiles(none, none)),
	}
	var got []map[string]any
	for _, r := range rows {
		var m map[string]any
		if err := json.Unmarshal(r, &m); err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	// One search page and Joe's home and contact pages (robots.txt is not
	// a credit); the Facebook page is never fetched.
	if credits != 3 {
		t.Errorf("credits: got %d, want 3", credits)
	}
	if n := hits.Load(); n != 3 { // robots.txt, /, /contact
		t.Errorf("business site hit %d times, want 3", n)
	}
	if reqs := maps.Requests(); len(reqs) != 1 || reqs[0].Query != "coffee shops New York, NY" || reqs[0].Language != "en" ||
		reqs[0].Offset != 0 || reqs[0].PageSize != PageSize {
		t.Errorf("searches: %+v", reqs)
	}
}
