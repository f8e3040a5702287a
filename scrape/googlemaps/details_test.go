package googlemaps

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trawlhq/trawl/scrape/googlemaps/mapstest"
)

var writeFixtures = flag.Bool("write-fixtures", false, "rewrite testdata/place and testdata/reviews from the fake's encoders")

// detailFixtures are the place pages and reviews responses under testdata,
// written by the fake's encoders from the documented index maps.
func detailFixtures() map[string][]byte {
	posted := time.Date(2025, 11, 3, 18, 4, 5, 0, time.UTC)
	return map[string][]byte{
		// A full place: images, cid, the newer hours layout, a kgmid.
		"place/rosa.html": mapstest.PlacePage(mapstest.Details{
			Place: mapstest.Place{Title: "Rosa's Pizza", PlaceID: "ChIJrosaPizza0001", DataID: "0x880e:0x51a1", Kgmid: "/g/11rosa",
				Address: []string{"1 Main St", "Springfield, IL 62701"}, Phone: "(217) 555-0142", Website: "https://rosas.example/",
				Rating: 4.4, Reviews: 25, Price: "$$", Types: []string{"Pizza restaurant", "Restaurant"}, Latitude: 39.8017,
				Longitude: -89.6436, Timezone: "America/Chicago", OpenState: "Open ⋅ Closes 10 PM", NewHours: true,
				Hours:       []mapstest.Day{mapstest.Hours("Tuesday", "11 AM–10 PM"), mapstest.Hours("Monday", "Closed")},
				Description: "Wood-fired pies.", Thumbnail: "https://lh5.example/rosa-t.jpg", Country: "US", Noise: 2000},
			CID:    "5900000000000000001",
			Images: []mapstest.Image{{Title: "Front", URL: "https://lh5.example/rosa-1.jpg"}, {Title: "Menu", URL: "https://lh5.example/rosa-2.jpg"}},
		}),
		// Only a data id and a title.
		"place/bare.html": mapstest.PlacePage(mapstest.Details{Place: mapstest.Place{Title: "Blue Door", DataID: "0x1:0x2"}}),
		// The page of an id that names nothing.
		"place/none.html": mapstest.EmptyPlacePage(),
		// A first page: a reply, photos, an anonymous reviewer, a review
		// without text or rating, one without an id (skipped).
		"reviews/first.txt": mapstest.ReviewsResponse("CAESY0NBRVFDaG9n",
			mapstest.Review{ID: "ChdDSUhNMG9nS0VJQ0FnSUR", Author: "Ana P.", ContributorID: "101234567890", Avatar: "https://lh3.example/a.png",
				When: "2 weeks ago", Posted: posted, Rating: 5, Text: "Best crust in town.\nFriendly staff.", Language: "en",
				Images: []string{"https://lh5.example/r1.jpg", "https://lh5.example/r2.jpg"},
				Reply:  "Thank you, Ana!", ReplyPosted: posted.Add(48 * time.Hour)},
			mapstest.Review{ID: "ChdDSUhNMG9nS0VJQ0FnSUQ", When: "a month ago", Posted: posted.Add(-30 * 24 * time.Hour), Rating: 2,
				Text: "Cold pizza.", Language: "en"},
			mapstest.Review{ID: "ChZDSUhNMG9nS0VJQ0FnSUI", Author: "Tom", ContributorID: "109", When: "a year ago"},
			mapstest.Review{Author: "No id", Rating: 3},
		),
		// The last page: no token.
		"reviews/last.txt": mapstest.ReviewsResponse("", mapstest.Review{ID: "ChZDSUhNMG9nS0VJQ0FnSUE", Author: "Kim",
			ContributorID: "108", Rating: 4, Text: "Gut.", Language: "de", Posted: posted.Add(-400 * 24 * time.Hour)}),
		// A place with no reviews.
		"reviews/empty.txt": mapstest.ReviewsResponse(""),
	}
}

func TestWriteDetailFixtures(t *testing.T) {
	if !*writeFixtures {
		t.Skip("run with -write-fixtures to rewrite the fixtures")
	}
	for name, b := range detailFixtures() {
		file := filepath.Join("testdata", name)
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// golden compares got, as JSON, with testdata/golden/<name>.json, or writes
// it there with -update.
func golden(t *testing.T, name string, got any) {
	t.Helper()
	file := filepath.Join("testdata", "golden", name+".json")
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func TestPlacePageGolden(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"rosa", "bare"} {
		b, err := os.ReadFile(filepath.Join("testdata", "place", name+".html"))
		if err != nil {
			t.Fatal(err)
		}
		d, err := ParsePlacePage(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		golden(t, "place-"+name, d)
	}
	b, err := os.ReadFile(filepath.Join("testdata", "place", "none.html"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePlacePage(bytes.NewReader(b)); !errors.Is(err, ErrNoPlace) {
		t.Errorf("a page without a place: got %v, want ErrNoPlace", err)
	}
	for _, body := range []string{"", "{}", "window.APP_INITIALIZATION_STATE=[1,", "APP_INITIALIZATION_STATE=[[],[],[],[[0,0,0,0,0,0,\")]}'\\n{\"]]]"} {
		if _, err := ParsePlacePage(strings.NewReader(body)); err == nil || errors.Is(err, ErrNoPlace) {
			t.Errorf("ParsePlacePage(%q): got %v, want a parse error", body, err)
		}
	}
}

func TestReviewsGolden(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"first", "last", "empty"} {
		b, err := os.ReadFile(filepath.Join("testdata", "reviews", name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		page, err := ParseReviews(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		golden(t, "reviews-"+name, page)
	}
	for _, body := range []string{"", "<html>unusual traffic</html>", ")]}'\n{}", ")]}'\n[null,\"t\",{}]"} {
		if _, err := ParseReviews(strings.NewReader(body)); err == nil {
			t.Errorf("ParseReviews(%q): no error", body)
		}
	}
}

func TestSortBy(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": SortRelevant, "mostRelevant": SortRelevant, "QUALITYSCORE": SortRelevant,
		"newestFirst": SortNewest, "highestRating": SortRatingHigh, "ratingHigh": SortRatingHigh, "lowestRating": SortRatingLow,
		"ratingLow": SortRatingLow} {
		if got, ok := ParseSortBy(in); !ok || got != want {
			t.Errorf("ParseSortBy(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := ParseSortBy("best"); ok {
		t.Error("ParseSortBy(best) ok")
	}
	for _, s := range SortSpellings() {
		if _, ok := ParseSortBy(s); !ok {
			t.Errorf("listed spelling %q is refused", s)
		}
	}
}

func TestIDsFromURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][2]string{
		"https://www.google.com/maps/place/?q=place_id:ChIJN1t_tDeuEmsRUsoyG83frY4":                     {"ChIJN1t_tDeuEmsRUsoyG83frY4", ""},
		"https://www.google.com/maps/place/Joe's/@40.7,-74.0,17z/data=!3m1!4b1!4m6!3m5!1s0x89c2:0x1f38": {"", "0x89c2:0x1f38"},
		"https://www.google.com/maps/search/?api=1&query=x&query_place_id=ChIJN1t_tDeuEmsRUsoyG83frY4":  {"ChIJN1t_tDeuEmsRUsoyG83frY4", ""},
		"https://example.com/": {"", ""},
	} {
		p, d := IDsFromURL(in)
		if p != want[0] || d != want[1] {
			t.Errorf("IDsFromURL(%q) = %q, %q; want %q", in, p, d, want)
		}
	}
}

// FuzzParseDetails feeds arbitrary place pages and reviews responses to
// their parsers: no panic, prompt, the same answer twice, and the
// invariants: a place has a title or an id, a review has an id and a rating
// from 1 to 5 when it has one.
func FuzzParseDetails(f *testing.F) {
	for _, b := range detailFixtures() {
		if len(b) <= 16<<10 {
			f.Add(b)
		}
	}
	f.Add([]byte("<html>window.APP_INITIALIZATION_STATE=[null,null,null,[[null,null,null,null,null,\")]}'\\n[]\"]]];</html>"))
	f.Add([]byte(")]}'\n[null,\"t\",[[[\"id\",[null,null,1e30,null,[null,null,[\"/contrib/1\"],null,null,[\"n\"]]],[[9]]]]]]"))
	f.Fuzz(func(t *testing.T, body []byte) {
		start := time.Now()
		d, err := ParsePlacePage(bytes.NewReader(body))
		d2, err2 := ParsePlacePage(bytes.NewReader(body))
		if (err == nil) != (err2 == nil) || !reflect.DeepEqual(d, d2) {
			t.Fatalf("ParsePlacePage is not deterministic")
		}
		if err == nil && d.Title == "" && d.PlaceID == "" && d.DataID == "" {
			t.Fatalf("a place with neither title nor id: %+v", d)
		}
		page, err := ParseReviews(bytes.NewReader(body))
		if err == nil {
			for _, rv := range page.Reviews {
				if rv.ReviewID == "" || (rv.Rating != nil && (*rv.Rating < 1 || *rv.Rating > 5)) {
					t.Fatalf("review %+v", rv)
				}
			}
		}
		if el := time.Since(start); el > fuzzTimeLimit {
			t.Fatalf("parsing took %v", el)
		}
	})
}
