package googlemaps

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/trawlhq/trawl/scrape/googlemaps/mapstest"
)

func TestSearchURL(t *testing.T) {
	t.Parallel()
	const wantPB = "!4m12!1m3!1d3826.902183192154!2d-74.0083!3d40.7455!2m3!1f0!2f0!3f0!3m2!1i600!2i800!4f14.0!7i20!8i40" +
		"!10b1!12m22!1m3!18b1!30b1!34e1!2m3!5m1!6e2!20e3!4b0!10b1!12b1!13b1!16b1!17m1!3e1!20m3!5e2!6b1!14b1!46m1!1b0" +
		"!96b1!19m4!2m3!1i360!2i120!4i8"
	raw := SearchURL("https://maps.google.com/", "coffee shops New York, NY", "en",
		&Coordinates{Latitude: 40.7455096, Longitude: -74.0083012, Zoom: 14}, 40)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme+"://"+u.Host+u.Path != "https://maps.google.com/search" {
		t.Errorf("endpoint: got %s", raw)
	}
	q := u.Query()
	want := url.Values{"tbm": {"map"}, "authuser": {"0"}, "hl": {"en"}, "q": {"coffee shops New York, NY"}, "pb": {wantPB}}
	if diff := cmp.Diff(want, q); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	// Without coordinates the viewport is the whole world; a base with a
	// path keeps it.
	q2, _ := url.Parse(SearchURL("http://127.0.0.1:9/maps", "x", "de", nil, 0))
	if q2.Path != "/maps/search" || !strings.Contains(q2.Query().Get("pb"), "!2d0.0000!3d0.0000!") ||
		!strings.Contains(q2.Query().Get("pb"), "!4f3.0!7i20!8i0!") {
		t.Errorf("no coordinates: got %s", q2)
	}
}

func TestParseSearchUnreadable(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, body, want string
	}{
		{"empty", "", "empty"},
		{"only the prefix", ")]}'\n", "empty"},
		{"consent page", "<!doctype html><html><form action=\"https://consent.google.com/save\">", "HTML"},
		{"captcha after the prefix", ")]}'\n<html>unusual traffic</html>", "HTML"},
		{"not json", ")]}'\n[[\"q\",[1,2", "not valid JSON"},
		{"plain text", "Too many requests", "starts with"},
		{"object without d", `{"c":0}`, `"d"`},
		{"top level not an array of arrays", `)]}'` + "\n[1,2,3]", "data[0]"},
		{"result list reshaped", `)]}'` + "\n" + `[["q",{"places":[]}]]`, "data[0][1]"},
		{"trailing garbage", `)]}'` + "\n" + `[["q",null]] x`, "not valid JSON"},
	} {
		_, err := ParseSearch(strings.NewReader(tt.body))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error mentioning %q", tt.name, err, tt.want)
		}
	}
}

func TestParseSearchShapes(t *testing.T) {
	t.Parallel()
	place := mapstest.Place{Title: "Joe's", PlaceID: "ChIJjoe", Rating: 4.5, Reviews: 12}
	for _, tt := range []struct {
		name            string
		body            []byte
		entries, places int
	}{
		{"no results", mapstest.Page("q"), 0, 0},
		{"no result list at all", []byte(")]}'\n[[\"q\"]]"), 0, 0},
		{"one place", mapstest.Page("q", mapstest.Entries(place)...), 1, 1},
		{"wrapped", mapstest.Wrapped("q", mapstest.Entries(place, place)...), 2, 2},
		{"without the prefix, with a BOM and blank lines", append([]byte("\xef\xbb\xbf\n\n"),
			mapstest.Page("q", mapstest.Entries(place)...)[5:]...), 1, 1},
		{"entries that are not places", mapstest.Page("q", []any{"ad"}, []any{nil, nil}, mapstest.Entry([]any{nil, 1}),
			mapstest.Entry(make([]any, 300)), mapstest.Entry(place.Array())), 5, 1},
		{"empty result list", []byte(")]}'\n[[\"q\",[]]]"), 0, 0},
	} {
		page, err := ParseSearch(strings.NewReader(string(tt.body)))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if page.Entries != tt.entries || len(page.Places) != tt.places {
			t.Errorf("%s: got %d entries, %d places; want %d, %d", tt.name, page.Entries, len(page.Places), tt.entries, tt.places)
		}
	}
}

func TestParsePlaceFields(t *testing.T) {
	t.Parallel()
	b := mapstest.Place{
		Title: "Joe's Coffee", PlaceID: "ChIJ1", DataID: "0x1:0x2", Kgmid: "/g/11joes", Address: []string{"123 Main St", "New York, NY 10001"},
		Phone: "(212) 555-0100", Website: "https://joes.example/?a=1&b=2", Rating: 4.6, Reviews: 812, Price: "$$",
		Types: []string{"Coffee shop", "Cafe", "Coffee shop"}, Latitude: 40.7506, Longitude: -73.9935, Timezone: "America/New_York",
		OpenState: "Open ⋅ Closes 6 PM", NewHours: true,
		Hours:       []mapstest.Day{mapstest.Hours("Tuesday", "7 AM–6 PM"), mapstest.Hours("Monday", "7–11 AM", "1–6 PM")},
		Description: "Espresso.", Thumbnail: "https://lh5.example/p.jpg", Country: "us",
	}.Array()
	// Numbers as the JSON decoder gives them (float64).
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	b = nil
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	p, ok := parsePlace(b)
	if !ok {
		t.Fatal("not a place")
	}
	rating, reviews := 4.6, int64(812)
	want := Place{Title: "Joe's Coffee", PlaceID: "ChIJ1", DataID: "0x1:0x2", Kgmid: "/g/11joes", Address: "123 Main St, New York, NY 10001",
		Phone: "(212) 555-0100", Website: "https://joes.example/?a=1&b=2", Rating: &rating, Reviews: &reviews,
		Type: "Coffee shop", Types: []string{"Coffee shop", "Cafe"}, Price: "$$", Description: "Espresso.",
		OpenState: "Open ⋅ Closes 6 PM", Timezone: "America/New_York",
		WorkingHours:   &WorkingHours{Timezone: "America/New_York", Days: []DayHours{{"Monday", "7–11 AM, 1–6 PM", "7–11 AM, 1–6 PM"}, {"Tuesday", "7 AM–6 PM", "7 AM–6 PM"}}},
		GPSCoordinates: &GPS{40.7506, -73.9935}, PlusCode: "87G8Q224+6J", Thumbnail: "https://lh5.example/p.jpg", CountryCode: "US"}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("place (-want +got):\n%s", diff)
	}

	// The one-line address without its title prefix, when the lines are gone.
	b[2] = nil
	if p, _ := parsePlace(b); p.Address != "123 Main St, New York, NY 10001" {
		t.Errorf("address from [18]: got %q", p.Address)
	}
	// Out-of-range values are not fields.
	b[4] = []any{nil, nil, nil, nil, nil, nil, nil, 7.5, -3.0}
	b[9] = []any{nil, nil, 123.0, 10.0}
	if p, _ := parsePlace(b); p.Rating != nil || p.Reviews != nil || p.GPSCoordinates != nil || p.PlusCode != "" {
		t.Errorf("out of range: got rating %v, reviews %v, gps %v, plus code %q", p.Rating, p.Reviews, p.GPSCoordinates, p.PlusCode)
	}
	if _, ok := parsePlace(make([]any, 20)); ok {
		t.Error("an empty array is not a place")
	}
}

func TestWebsite(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/url?q=https://joes.example/&opi=79508299&sa=U":         "https://joes.example/",
		"/url?q=https%3A%2F%2Fjoes.example%2Fmenu%3Fx%3D1&opi=1": "https://joes.example/menu?x=1",
		"https://www.google.com/url?q=http://a.example/&sa=t":    "http://a.example/",
		"/url?url=http://b.example/&sa=t":                        "http://b.example/",
		"https://joes.example/":                                  "https://joes.example/",
		"joes.example":                                           "joes.example",
		"/url?sa=t":                                              "/url?sa=t",
		"":                                                       "",
	} {
		if got := website(in); got != want {
			t.Errorf("website(%q): got %q, want %q", in, got, want)
		}
	}
}

func TestPlusCode(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		lat, lng float64
		want     string
	}{
		{20.3700625, 2.7821875, "7FG49QCJ+2V"}, // Open Location Code test data
		{47.365590, 8.524997, "8FVC9G8F+6X"},   // the Open Location Code README's example (Zurich)
		{90, 1, "CFX3X2X2+X2"},                 // the north pole is in the top row
		{-90, -180, "22222222+22"},
		{0, 180, "62G22222+22"}, // 180 wraps to -180
	} {
		if got := plusCode(tt.lat, tt.lng); got != tt.want {
			t.Errorf("plusCode(%v, %v): got %s, want %s", tt.lat, tt.lng, got, tt.want)
		}
	}
}
