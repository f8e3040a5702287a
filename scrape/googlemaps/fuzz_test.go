package googlemaps

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trawlhq/trawl/scrape/googlemaps/mapstest"
)

// fuzzTimeLimit is a safety net, not a benchmark: any input the fuzzer makes
// must be parsed far faster than this.
const fuzzTimeLimit = 5 * time.Second

// FuzzParseSearch feeds arbitrary responses to ParseSearch: it must not
// panic, must finish promptly, must give the same answer twice, and what it
// returns must hold its documented invariants.
func FuzzParseSearch(f *testing.F) {
	// Small seeds only: the fuzzer mutates and minimises whole inputs, and
	// the 120 KB pages of testdata would keep it minimising for minutes
	// (TestTestdataInvariants checks those).
	for _, p := range testResponses(f) {
		if len(p) <= 16<<10 {
			f.Add(p)
		}
	}
	small := mapstest.Place{Title: "Joe's", PlaceID: "ChIJ1", DataID: "0x1:0x2", Rating: 4.5, Reviews: 3, Latitude: 1, Longitude: 2,
		Types: []string{"Cafe"}, Hours: []mapstest.Day{mapstest.Hours("Monday", "9–5")}, Website: "https://j.example/"}
	for _, s := range [][]byte{
		mapstest.Page("q", mapstest.Entries(small)...),
		mapstest.Page("q", mapstest.Entries(small, mapstest.Place{DataID: "0x3:0x4", NewHours: true, Timezone: "Europe/Berlin",
			Hours: []mapstest.Day{mapstest.Hours("Montag", "8–12 Uhr", "14–18 Uhr")}, Address: []string{"Hauptstr. 1"},
			Website: "https://b.example/", OpenState: "Geöffnet", PlusCode: "9F4MGC22+22", Country: "DE", Price: "€€"})...),
		mapstest.Wrapped("q", mapstest.Entries(small)...),
		[]byte(")]}'\n[[\"q\",[null,[null,null,null,null,null,null,null,null,null,null,null,null,null,null,[]]]]]"),
		[]byte(")]}'\n[[\"q\",[0,[1,2,3,4,5,6,7,8,9,10,11,12,13,14,[null,null,\"a\",null,\"4.5\",null,null,[],null,{},\"x\"]]]]]"),
		[]byte(`{"c":0,"d":")]}'\n[[\"q\",null]]"}/*""*/`),
		[]byte(`{"d":1}`),
		[]byte(")]}'\n" + strings.Repeat("[", 600) + strings.Repeat("]", 600)),
		[]byte("<html>captcha</html>"),
		[]byte(")]}'\n[[\"q\",[null,[null,null,null,null,null,null,null,null,null,null,null,\"T\",null,null,null]]]]"),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		start := time.Now()
		page, err := ParseSearch(bytes.NewReader(body))
		if d := time.Since(start); d > fuzzTimeLimit {
			t.Fatalf("ParseSearch took %v for %d bytes", d, len(body))
		}
		again, err2 := ParseSearch(bytes.NewReader(body))
		if (err == nil) != (err2 == nil) || !reflect.DeepEqual(page, again) {
			t.Fatalf("two parses differ: %v / %v", err, err2)
		}
		if err != nil {
			if page != nil {
				t.Fatalf("a page with the error %v", err)
			}
			return
		}
		if err := checkPage(page); err != nil {
			t.Fatal(err)
		}
	})
}

// checkPage checks the invariants ParseSearch documents.
func checkPage(page *Page) error {
	if len(page.Places) > page.Entries {
		return fmt.Errorf("%d places from %d entries", len(page.Places), page.Entries)
	}
	for i, p := range page.Places {
		if p.Title == "" && p.PlaceID == "" && p.DataID == "" {
			return fmt.Errorf("place %d has neither a title nor an id: %+v", i, p)
		}
		if p.Position != 0 || p.Keyword != "" || p.Location != "" {
			return fmt.Errorf("place %d: the parser set the caller's fields", i)
		}
		for _, s := range []string{p.Title, p.PlaceID, p.DataID, p.Address, p.Phone, p.Website, p.Type, p.Price,
			p.Description, p.OpenState, p.Timezone, p.PlusCode, p.Thumbnail} {
			if s != strings.TrimSpace(s) {
				return fmt.Errorf("place %d: untrimmed %q", i, s)
			}
		}
		if p.Rating != nil && (*p.Rating < 0 || *p.Rating > 5) {
			return fmt.Errorf("place %d: rating %v", i, *p.Rating)
		}
		if p.Reviews != nil && *p.Reviews < 0 {
			return fmt.Errorf("place %d: reviews %v", i, *p.Reviews)
		}
		if g := p.GPSCoordinates; g != nil {
			if g.Latitude < -90 || g.Latitude > 90 || g.Longitude < -180 || g.Longitude > 180 {
				return fmt.Errorf("place %d: coordinates %+v", i, *g)
			}
			if p.PlusCode == "" {
				return fmt.Errorf("place %d: coordinates but no plus code", i)
			}
		}
		if len(p.Types) > 0 && p.Type != p.Types[0] || len(p.Types) == 0 && p.Type != "" {
			return fmt.Errorf("place %d: type %q, types %q", i, p.Type, p.Types)
		}
		for k, ty := range p.Types {
			if ty == "" || slices.Contains(p.Types[:k], ty) {
				return fmt.Errorf("place %d: types %q", i, p.Types)
			}
		}
		if h := p.WorkingHours; h != nil {
			if len(h.Days) == 0 || h.Timezone != p.Timezone {
				return fmt.Errorf("place %d: hours %+v", i, *h)
			}
			for _, d := range h.Days {
				if d.Day == "" || d.Hours == "" {
					return fmt.Errorf("place %d: day %+v", i, d)
				}
			}
		}
		if cc := p.CountryCode; cc != "" && (len(cc) != 2 || strings.ToUpper(cc) != cc) {
			return fmt.Errorf("place %d: country %q", i, cc)
		}
		b, err := json.Marshal(&p)
		if err != nil || !json.Valid(b) {
			return fmt.Errorf("place %d does not encode: %v", i, err)
		}
	}
	return nil
}

// testResponses returns every response under testdata/search.
func testResponses(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	err := filepath.WalkDir(filepath.Join("testdata", "search"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".txt" {
			return err
		}
		b, err := os.ReadFile(p)
		out = append(out, b)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestTestdataInvariants(t *testing.T) {
	t.Parallel()
	for i, b := range testResponses(t) {
		page, err := ParseSearch(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		if err := checkPage(page); err != nil {
			t.Errorf("response %d: %v", i, err)
		}
	}
}

// BenchmarkParseSearch measures parsing throughput in places per second:
// over the testdata responses (about 6 KB a place), and over a full page of
// 20 places each carrying about 15 KB of reviews and photos, the size of a
// real page.
func BenchmarkParseSearch(b *testing.B) {
	var large []mapstest.Place
	for i := range PageSize {
		large = append(large, mapstest.Place{Title: fmt.Sprintf("Place %d", i), PlaceID: fmt.Sprintf("ChIJ%06d", i),
			DataID: fmt.Sprintf("0x%x:0x%x", i, i*7), Address: []string{"1 Main St", "New York, NY 10001"}, Phone: "(212) 555-0100",
			Website: "https://example.org/", Rating: 4.4, Reviews: 321, Price: "$$", Types: []string{"Coffee shop", "Cafe"},
			Latitude: 40.75, Longitude: -73.99, Timezone: "America/New_York", OpenState: "Open ⋅ Closes 6 PM", NewHours: i%2 == 0,
			Hours: []mapstest.Day{mapstest.Hours("Monday", "7 AM–6 PM"), mapstest.Hours("Tuesday", "7 AM–6 PM"), mapstest.Hours("Wednesday", "7 AM–6 PM"),
				mapstest.Hours("Thursday", "7 AM–6 PM"), mapstest.Hours("Friday", "7 AM–6 PM"), mapstest.Hours("Saturday", "8 AM–4 PM"),
				mapstest.Hours("Sunday", "Closed")},
			Description: "Coffee.", Thumbnail: "https://lh5.example/p.jpg", Country: "US", Noise: 15000})
	}
	for _, bc := range []struct {
		name  string
		pages [][]byte
	}{
		{"testdata", testResponses(b)},
		{"large", [][]byte{mapstest.Page("coffee shops New York, NY", mapstest.Entries(large...)...)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			total, places := 0, 0
			for _, p := range bc.pages {
				total += len(p)
				page, err := ParseSearch(bytes.NewReader(p))
				if err != nil {
					b.Fatal(err)
				}
				places += len(page.Places)
			}
			b.SetBytes(int64(total))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				for _, p := range bc.pages {
					if _, err := ParseSearch(bytes.NewReader(p)); err != nil {
						b.Fatal(err)
					}
				}
				n += places
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "places/s")
		})
	}
}
