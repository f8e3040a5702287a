package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trawlhq/trawl/scrape/googlemaps/mapstest"
)

// mapsWorld is a fake Google Maps and the websites of its businesses.
type mapsWorld struct {
	maps    *mapstest.Server
	results map[string][]mapstest.Place // by query
	email   map[string]string           // placeId → the email its website publishes
	social  map[string]bool             // placeId → its website is a Facebook page
}

// newMapsWorld makes 2 keywords × 2 locations of searches over 45 places:
// "coffee shops" finds 25 in Springfield (two pages) and 22 in Shelbyville
// (two pages), 6 of them in both; "bakeries" finds 8 in Springfield, 4 of
// them coffee shops too, and nothing in Shelbyville. Of the places, about
// half have a website of their own on 127.0.0.1 with a contact page, a
// quarter a Facebook page, a quarter none.
func newMapsWorld(t *testing.T) *mapsWorld {
	t.Helper()
	w := &mapsWorld{email: map[string]string{}, social: map[string]bool{}}
	place := func(id string, i int) mapstest.Place {
		p := mapstest.Place{
			Title: fmt.Sprintf("Place %s", id), PlaceID: "ChIJ" + id, DataID: fmt.Sprintf("0x%x:0x%x", 1000+i, 7000+i),
			Address: []string{fmt.Sprintf("%d Evergreen Terrace", 700+i), "Springfield, IL 62704"}, Phone: "(217) 555-0100",
			Rating: 4.2, Reviews: 10 + i, Types: []string{"Coffee shop"}, Latitude: 39.78 + float64(i)/1000, Longitude: -89.65,
			Timezone: "America/Chicago", Country: "US",
		}
		switch i % 4 {
		case 0, 1:
			email := fmt.Sprintf("hello@place-%s.com", strings.ToLower(id))
			site := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				rw.Header().Set("Content-Type", "text/html; charset=utf-8")
				switch r.URL.Path {
				case "/":
					fmt.Fprintf(rw, `<html><body><h1>%s</h1><a href="/contact">Contact</a></body></html>`, p.Title)
				case "/contact":
					fmt.Fprintf(rw, `<html><body><a href="mailto:%s">Email us</a></body></html>`, email)
				default:
					http.NotFound(rw, r)
				}
			}))
			t.Cleanup(site.Close)
			p.Website = site.URL + "/"
			w.email[p.PlaceID] = email
		case 2:
			p.Website, p.RawWebsite = "https://www.facebook.com/place"+strings.ToLower(id), true
			w.social[p.PlaceID] = true
		}
		return p
	}
	var coffee []mapstest.Place // P01..P41
	for i := 1; i <= 41; i++ {
		coffee = append(coffee, place(fmt.Sprintf("P%02d", i), i))
	}
	bakeries := slices.Clone(coffee[:4])
	for i := 1; i <= 4; i++ {
		bakeries = append(bakeries, place(fmt.Sprintf("B%02d", i), 100+i))
	}
	w.results = map[string][]mapstest.Place{
		"coffee shops Springfield, IL": coffee[:25],
		"coffee shops Shelbyville, IL": coffee[19:41],
		"bakeries Springfield, IL":     bakeries,
		"bakeries Shelbyville, IL":     nil,
	}
	w.maps = mapstest.NewServer(t, w.results)
	return w
}

func TestGoogleMapsEndToEnd(t *testing.T) {
	t.Parallel()
	world := newMapsWorld(t)
	rc := &receiver{}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": t.TempDir(), "TRAWL_GOOGLE_MAPS_URL": world.maps.URL}))

	// HasData's example job, with 2 keywords × 2 locations and a limit
	// below the 45 places there are.
	const limit = 30
	body := fmt.Sprintf(`{"keywords": ["coffee shops", "bakeries"], "locations": ["CUSTOM>Springfield, IL", "Shelbyville, IL"],
		"extractEmails": true, "limit": %d, "webhook": {"url": %q}}`, limit, hook.URL+"/hook")
	var created jobRecord
	if code := in.do("POST", "/scrapers/google-maps/jobs", body, &created); code != 200 {
		t.Fatalf("create: status %d", code)
	}
	if created.Scraper.Slug != "google-maps" || created.Status != "pending" {
		t.Fatalf("created record: %+v", created)
	}
	rec := in.waitTerminal(created.ID, 60*time.Second)
	if rec.Status != "finished" || rec.StopReason == nil || *rec.StopReason != "data_limit_exceeded" || rec.DataRowsCount != limit {
		t.Fatalf("record: %+v, want finished with data_limit_exceeded and %d rows", rec, limit)
	}

	rows := in.allRows(created.ID)
	if len(rows) != limit {
		t.Fatalf("%d rows stored, want %d", len(rows), limit)
	}
	seen := map[string]bool{}
	withEmails := 0
	for _, row := range rows {
		id, _ := row["placeId"].(string)
		if seen[id] {
			t.Errorf("place %s stored twice", id)
		}
		seen[id] = true
		world.checkRow(t, row, true)
		if emails, _ := row["emails"].([]any); len(emails) > 0 {
			withEmails++
		}
	}
	// Half the places have a site: any 30 of the 45 include at least 8.
	if withEmails < 8 {
		t.Errorf("%d rows have emails, want at least 8", withEmails)
	}
	if rec.CreditsSpent < 6 {
		t.Errorf("creditsSpent %d: the six search pages alone are 6", rec.CreditsSpent)
	}

	// Webhooks: started, the 30 rows in data events, finished (deliveries
	// are not ordered, so wait for all of them).
	hooked := map[string]int{}
	var events map[string][]delivery
	waitFor(t, 20*time.Second, "the data and finished events", func() bool {
		events = rc.forJob(created.ID)
		clear(hooked)
		for _, d := range events["scraper.data.scraped"] {
			data, _ := d.Body["data"].([]any)
			for _, r := range data {
				id, _ := r.(map[string]any)["placeId"].(string)
				hooked[id]++
			}
		}
		return len(hooked) >= limit && len(events["scraper.job.finished"]) == 1
	})
	if len(events["scraper.job.started"]) != 1 {
		t.Errorf("%d started events, want 1", len(events["scraper.job.started"]))
	}
	for id, n := range hooked {
		if !seen[id] || n != 1 {
			t.Errorf("place %s sent %d times in data events; stored: %v", id, n, seen[id])
		}
	}
	if len(hooked) != len(seen) {
		t.Errorf("%d places in data events, %d stored", len(hooked), len(seen))
	}
	fin := events["scraper.job.finished"][0].Body
	if fin["jobStatus"] != "finished" || fin["stopReason"] != "data_limit_exceeded" || fin["dataRowsCount"] != float64(limit) {
		t.Errorf("finished payload %v", fin)
	}

	// Every search went to the endpoint as documented.
	for _, r := range world.maps.Requests() {
		if _, ok := world.results[r.Query]; !ok || r.Language != "en" || r.PageSize != 20 || r.Offset%20 != 0 || r.Offset > 20 {
			t.Errorf("unexpected search %+v", r)
		}
	}
}

// checkRow checks a row against the place it names: the search named by its
// keyword and location lists it at its position; with contacts, they are its
// website's, and without, the row has none.
func (w *mapsWorld) checkRow(t *testing.T, row map[string]any, contacts bool) {
	t.Helper()
	id, _ := row["placeId"].(string)
	query := fmt.Sprint(row["keyword"], " ", row["location"])
	list := w.results[query]
	pos, _ := row["position"].(float64)
	if pos < 1 || int(pos) > len(list) || list[int(pos)-1].PlaceID != id {
		t.Errorf("row %s: search %q does not list it at position %v", id, query, row["position"])
		return
	}
	p := list[int(pos)-1]
	if row["title"] != p.Title || row["phone"] != p.Phone || row["dataId"] != p.DataID || row["type"] != "Coffee shop" ||
		row["gpsCoordinates"] == nil || row["timezone"] != "America/Chicago" {
		t.Errorf("row %s: %v", id, row)
	}
	if !contacts {
		if _, ok := row["emails"]; ok {
			t.Errorf("row %s has emails without extractEmails", id)
		}
		return
	}
	want := []any{}
	if e, ok := w.email[id]; ok {
		want = []any{e}
	}
	if !cmp.Equal(row["emails"], want) {
		t.Errorf("row %s: emails %v, want %v", id, row["emails"], want)
	}
	if fb, _ := row["facebook"].([]any); w.social[id] != (len(fb) == 1) {
		t.Errorf("row %s: facebook %v, website %v", id, row["facebook"], row["website"])
	}
}

func TestGoogleMapsEachPlaceOnce(t *testing.T) {
	t.Parallel()
	world := newMapsWorld(t)
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": t.TempDir(), "TRAWL_GOOGLE_MAPS_URL": world.maps.URL}))
	var created jobRecord
	in.do("POST", "/scrapers/google-maps/jobs", `{"keywords": ["coffee shops", "bakeries"],
		"locations": ["Springfield, IL", "Shelbyville, IL"]}`, &created)
	rec := in.waitTerminal(created.ID, 60*time.Second)
	if rec.Status != "finished" || rec.StopReason != nil || rec.DataRowsCount != 45 {
		t.Fatalf("record: %+v, want finished with the 45 places", rec)
	}
	// Six search pages: 2 + 2 + 1 + 1 (the empty one); no website is read.
	if rec.CreditsSpent != 6 {
		t.Errorf("creditsSpent: got %d, want 6", rec.CreditsSpent)
	}
	seen := map[string]bool{}
	for _, row := range in.allRows(created.ID) {
		id, _ := row["placeId"].(string)
		if seen[id] {
			t.Errorf("place %s stored twice", id)
		}
		seen[id] = true
		world.checkRow(t, row, false)
	}
	if len(seen) != 45 {
		t.Errorf("%d places, want 45", len(seen))
	}
}

func TestGoogleMapsBadInput(t *testing.T) {
	t.Parallel()
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": t.TempDir()}))
	for _, tt := range []struct {
		body  string
		field string
	}{
		{`{"locations":["Chicago, IL"]}`, "keywords"},
		{`{"keywords":["pizza"]}`, "locations"},
		{`{"keywords":["pizza"],"locations":["Chicago, IL"],"coordinates":"@95,10,12z"}`, "coordinates"},
		{`{"keywords":["pizza"],"locations":["Chicago, IL"],"language":"english"}`, "language"},
		{`{"keywords":["pizza"],"locations":["Chicago, IL"],"maxResultsPerQuery":0}`, "maxResultsPerQuery"},
	} {
		var e struct {
			Errors []struct{ Field string } `json:"errors"`
		}
		if code := in.do("POST", "/scrapers/google-maps/jobs", tt.body, &e); code != 422 || len(e.Errors) == 0 || e.Errors[0].Field != tt.field {
			t.Errorf("POST %s: status %d, errors %+v; want 422 on %s", tt.body, code, e.Errors, tt.field)
		}
	}
}
