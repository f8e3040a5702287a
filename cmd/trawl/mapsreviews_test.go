package main

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trawlhq/trawl/scrape/googlemaps/mapstest"
)

// reviewsWorld is a fake Maps with three places and their reviews: Rosa's
// has 25 reviews, Blue Door 12 (one of them listed twice, across the
// boundary of the first two pages), the Quiet Corner none.
type reviewsWorld struct {
	maps    *mapstest.Server
	places  []mapstest.Details
	blocked atomic.Int32 // answered 429s
	broken  atomic.Int32 // answered malformed pages
}

func newReviewsWorld(t *testing.T, trouble bool) *reviewsWorld {
	t.Helper()
	w := &reviewsWorld{}
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	reviews := func(prefix string, n int) []mapstest.Review {
		var out []mapstest.Review
		for i := range n {
			out = append(out, mapstest.Review{ID: fmt.Sprintf("%s-r%02d", prefix, i), Author: fmt.Sprintf("Reviewer %d", i),
				ContributorID: fmt.Sprint(100000 + i), When: "a month ago", Posted: base.Add(time.Duration(i*37%n) * 24 * time.Hour),
				Rating: 1 + i%5, Text: fmt.Sprintf("Visit %d at %s.", i, prefix), Language: "en"})
		}
		return out
	}
	blue := reviews("blue", 12)
	blue = slices.Insert(blue, 10, blue[9]) // Maps repeats r09 at the top of page 2
	hours := []mapstest.Day{mapstest.Hours("Monday", "7 AM–6 PM"), mapstest.Hours("Tuesday", "7 AM–6 PM")}
	w.places = []mapstest.Details{
		{Place: mapstest.Place{Title: "Rosa's Pizza", PlaceID: "ChIJrosaPizza0001", DataID: "0x880e:0x51a1", Kgmid: "/g/11rosa",
			Address: []string{"1 Main St", "Springfield, IL"}, Types: []string{"Pizza restaurant", "Restaurant"}, Rating: 4.4,
			Reviews: 25, Hours: hours, Latitude: 39.8, Longitude: -89.6, Timezone: "America/Chicago"},
			CID: "5900000000000000001", Images: []mapstest.Image{{Title: "Front", URL: "https://lh5.example/rosa.jpg"}},
			Reviews: reviews("rosa", 25)},
		{Place: mapstest.Place{Title: "Blue Door Cafe", PlaceID: "ChIJblueDoor00002", DataID: "0x880e:0x51a2", Types: []string{"Cafe"}},
			Reviews: blue},
		{Place: mapstest.Place{Title: "Quiet Corner", PlaceID: "ChIJquietCorner03", DataID: "0x880e:0x51a3"}},
	}
	opts := mapstest.Options{
		Places:  w.places,
		Results: map[string][]mapstest.Place{"pizza Springfield": {w.places[0].Place, w.places[1].Place}},
	}
	if trouble {
		// Blue Door's first reviews page is rate limited once, then broken
		// once, before it is served.
		opts.Intercept = func(rw http.ResponseWriter, r *http.Request, _ int) bool {
			if r.URL.Path != "/maps/rpc/listugcposts" || !strings.Contains(r.URL.Query().Get("pb"), "0x880e:0x51a2!") ||
				!strings.Contains(r.URL.Query().Get("pb"), "!2s!") {
				return false
			}
			switch {
			case w.blocked.Load() == 0:
				w.blocked.Add(1)
				rw.Header().Set("Retry-After", "1")
				http.Error(rw, "slow down", http.StatusTooManyRequests)
				return true
			case w.broken.Load() == 0:
				w.broken.Add(1)
				rw.Header().Set("Content-Type", "text/html")
				rw.Write([]byte("<html><body>Our systems have detected unusual traffic</body></html>"))
				return true
			}
			return false
		}
	}
	w.maps = mapstest.Start(t, opts)
	return w
}

func TestGoogleMapsSyncEndpoints(t *testing.T) {
	t.Parallel()
	world := newReviewsWorld(t, false)
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": t.TempDir(), "TRAWL_GOOGLE_MAPS_URL": world.maps.URL}))

	type meta struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	var search struct {
		RequestMetadata meta             `json:"requestMetadata"`
		LocalResults    []map[string]any `json:"localResults"`
	}
	if code := in.do("GET", "/scrape/google-maps/search?q="+url.QueryEscape("pizza Springfield")+"&hl=en", nil, &search); code != 200 {
		t.Fatalf("search: status %d", code)
	}
	if search.RequestMetadata.Status != "ok" || search.RequestMetadata.ID == "" || len(search.LocalResults) != 2 {
		t.Fatalf("search: %+v", search)
	}
	first := search.LocalResults[0]
	days, _ := first["workingHours"].(map[string]any)["days"].([]any)
	if first["position"] != 1.0 || first["kgmid"] != "/g/11rosa" || first["dataId"] != "0x880e:0x51a1" ||
		fmt.Sprint(first["types"]) != "[Pizza restaurant Restaurant]" || len(days) != 2 ||
		days[0].(map[string]any)["time"] != "7 AM–6 PM" {
		t.Errorf("first local result: %v", first)
	}
	if _, ok := first["keyword"]; ok {
		t.Errorf("a synchronous result has a job's keyword: %v", first)
	}
	// start without ll, and no q: 422 naming the fields.
	var bad struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	if code := in.do("GET", "/scrape/google-maps/search?start=20", nil, &bad); code != 422 || len(bad.Errors) != 2 ||
		bad.Errors[0].Field != "q" || bad.Errors[1].Field != "ll" {
		t.Errorf("search without q: status %d, %+v", code, bad)
	}

	var place struct {
		RequestMetadata meta           `json:"requestMetadata"`
		PlaceResults    map[string]any `json:"placeResults"`
	}
	if code := in.do("GET", "/scrape/google-maps/place?placeId=ChIJrosaPizza0001", nil, &place); code != 200 ||
		place.RequestMetadata.Status != "ok" || place.PlaceResults["title"] != "Rosa's Pizza" ||
		place.PlaceResults["cid"] != "5900000000000000001" || len(place.PlaceResults["images"].([]any)) != 1 {
		t.Errorf("place: status %d, %+v", code, place)
	}
	var failed struct {
		RequestMetadata meta   `json:"requestMetadata"`
		Message         string `json:"message"`
	}
	if code := in.do("GET", "/scrape/google-maps/place?placeId=ChIJnoSuchPlace99", nil, &failed); code != 400 ||
		failed.RequestMetadata.Status != "error" || !strings.Contains(failed.Message, "ChIJnoSuchPlace99") {
		t.Errorf("unknown place: status %d, %+v", code, failed)
	}
	if code := in.do("GET", "/scrape/google-maps/place", nil, &bad); code != 422 || len(bad.Errors) != 1 || bad.Errors[0].Field != "placeId" {
		t.Errorf("place without id: status %d, %+v", code, bad)
	}

	// Reviews: neither id is 422 naming both; an unknown data id is 400.
	bad.Errors = nil
	if code := in.do("GET", "/scrape/google-maps/reviews", nil, &bad); code != 422 || len(bad.Errors) != 2 ||
		bad.Errors[0].Field != "placeId" || bad.Errors[1].Field != "dataId" {
		t.Errorf("reviews without id: status %d, %+v", code, bad)
	}
	if code := in.do("GET", "/scrape/google-maps/reviews?dataId=0x1:0x2", nil, &failed); code != 400 || failed.RequestMetadata.Status != "error" {
		t.Errorf("reviews of an unknown place: status %d, %+v", code, failed)
	}
	bad.Errors = nil
	if code := in.do("GET", "/scrape/google-maps/reviews?placeId=ChIJrosaPizza0001&sortBy=best", nil, &bad); code != 422 ||
		len(bad.Errors) != 1 || bad.Errors[0].Field != "sortBy" {
		t.Errorf("reviews with a bad sortBy: status %d, %+v", code, bad)
	}

	// Every spelling of a sort order is the same order; pages follow the token.
	type reviewsResp struct {
		RequestMetadata meta           `json:"requestMetadata"`
		PlaceInfo       map[string]any `json:"placeInfo"`
		Topics          []any          `json:"topics"`
		Reviews         []struct {
			ReviewID string  `json:"reviewId"`
			Rating   float64 `json:"rating"`
			IsoDate  string  `json:"isoDate"`
			User     struct {
				Name          string `json:"name"`
				ContributorID string `json:"contributorId"`
			} `json:"user"`
		} `json:"reviews"`
		Pagination struct {
			NextPageToken string `json:"nextPageToken"`
		} `json:"pagination"`
	}
	var seen []string
	for _, sortBy := range []string{"ratingHigh", "highestRating"} {
		var r reviewsResp
		token, ratings := "", []float64{}
		seen = nil
		for page := 0; page < 5; page++ {
			path := "/scrape/google-maps/reviews?placeId=ChIJrosaPizza0001&sortBy=" + sortBy + "&nextPageToken=" + url.QueryEscape(token)
			r = reviewsResp{}
			if code := in.do("GET", path, nil, &r); code != 200 || r.RequestMetadata.Status != "ok" {
				t.Fatalf("%s: status %d, %+v", path, code, r)
			}
			if r.PlaceInfo["title"] != "Rosa's Pizza" || r.PlaceInfo["dataId"] != "0x880e:0x51a1" || r.Topics == nil {
				t.Errorf("placeInfo %v, topics %v", r.PlaceInfo, r.Topics)
			}
			for _, rv := range r.Reviews {
				seen = append(seen, rv.ReviewID)
				ratings = append(ratings, rv.Rating)
				if rv.User.Name == "" || rv.User.ContributorID == "" || rv.IsoDate == "" {
					t.Errorf("review %+v", rv)
				}
			}
			if token = r.Pagination.NextPageToken; token == "" {
				break
			}
		}
		if len(seen) != 25 || !slices.IsSortedFunc(ratings, func(a, b float64) int { return int(b - a) }) {
			t.Errorf("sortBy %s: %d reviews, ratings %v", sortBy, len(seen), ratings)
		}
	}
	for _, r := range world.maps.Requests() {
		if r.Kind == "reviews" && r.Sort != 3 {
			t.Errorf("reviews asked with sort %d, want 3", r.Sort)
		}
	}
}

func TestGoogleMapsReviewsJob(t *testing.T) {
	t.Parallel()
	world := newReviewsWorld(t, true)
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": t.TempDir(), "TRAWL_GOOGLE_MAPS_URL": world.maps.URL}))

	// Rosa's by place id and again by its URL, Blue Door by data id, the
	// Quiet Corner (no reviews) and a place that does not exist.
	body := `{"placeIds": ["ChIJrosaPizza0001", "ChIJquietCorner03", "ChIJnoSuchPlace99"],
		"urls": ["https://www.google.com/maps/place/Rosa's/data=!4m7!3m6!1s0x880e:0x51a1!8m2!3d39.8!4d-89.6"],
		"dataIds": ["0x880e:0x51a2"], "sortBy": "newestFirst"}`
	var created jobRecord
	if code := in.do("POST", "/scrapers/google-maps-reviews/jobs", body, &created); code != 200 {
		t.Fatalf("create: status %d", code)
	}
	rec := in.waitTerminal(created.ID, 60*time.Second)
	// 25 + 12 reviews and the error row of the unknown place.
	if rec.Status != "finished" || rec.StopReason != nil || rec.DataRowsCount != 38 {
		t.Fatalf("record: %+v, want finished with 38 rows", rec)
	}
	perPlace := map[string][]string{}
	ids := map[string]bool{}
	for _, row := range in.allRows(created.ID) {
		if e, _ := row["error"].(string); e != "" {
			if row["placeId"] != "ChIJnoSuchPlace99" {
				t.Errorf("error row %v", row)
			}
			continue
		}
		id, _ := row["reviewId"].(string)
		if ids[id] {
			t.Errorf("review %s stored twice", id)
		}
		ids[id] = true
		title, _ := row["title"].(string)
		perPlace[title] = append(perPlace[title], fmt.Sprint(row["isoDate"]))
		if row["placeId"] == nil || row["dataId"] == nil || row["user"] == nil {
			t.Errorf("row %v", row)
		}
	}
	if len(perPlace["Rosa's Pizza"]) != 25 || len(perPlace["Blue Door Cafe"]) != 12 || len(perPlace) != 2 {
		t.Errorf("reviews per place: %d, %d (%d places)", len(perPlace["Rosa's Pizza"]), len(perPlace["Blue Door Cafe"]), len(perPlace))
	}
	if world.blocked.Load() != 1 || world.broken.Load() != 1 {
		t.Errorf("the 429 and the broken page were not both served: %d, %d", world.blocked.Load(), world.broken.Load())
	}
	// Each place page once (Rosa's twice-named is one), then its pages.
	looked := map[string]int{}
	for _, r := range world.maps.Requests() {
		if r.Kind == "place" {
			looked[r.PlaceID+r.DataID]++
		} else if r.Kind == "reviews" && r.Sort != 2 {
			t.Errorf("reviews asked with sort %d, want 2 (newest)", r.Sort)
		}
	}
	if looked["ChIJrosaPizza0001"]+looked["0x880e:0x51a1"] != 2 {
		t.Logf("place lookups %v", looked) // the URL is looked up by its data id: two lookups, one set of pages
	}

	// A limit: exactly that many rows.
	if code := in.do("POST", "/scrapers/google-maps-reviews/jobs", `{"placeIds": ["ChIJrosaPizza0001"], "limit": 13}`, &created); code != 200 {
		t.Fatalf("create: status %d", code)
	}
	rec = in.waitTerminal(created.ID, 60*time.Second)
	if rec.Status != "finished" || rec.StopReason == nil || *rec.StopReason != "data_limit_exceeded" || rec.DataRowsCount != 13 {
		t.Errorf("record: %+v, want 13 rows and data_limit_exceeded", rec)
	}

	var bad struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	for _, tt := range []struct{ body, field string }{
		{`{}`, "placeIds"},
		{`{"placeIds": ["not a place"]}`, "placeIds[0]"},
		{`{"placeIds": ["ChIJrosaPizza0001"], "sortBy": "best"}`, "sortBy"},
	} {
		bad.Errors = nil
		if code := in.do("POST", "/scrapers/google-maps-reviews/jobs", tt.body, &bad); code != 422 || len(bad.Errors) == 0 || bad.Errors[0].Field != tt.field {
			t.Errorf("POST %s: status %d, %+v; want 422 on %s", tt.body, code, bad, tt.field)
		}
	}
}
