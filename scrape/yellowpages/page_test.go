package yellowpages

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trawlhq/trawl/scrape/yellowpages/yptest"
)

var (
	update        = flag.Bool("update", false, "rewrite testdata/golden")
	writeFixtures = flag.Bool("write-fixtures", false, "rewrite the yptest pages in testdata")
)

func plumbers(n int) []yptest.Listing {
	var out []yptest.Listing
	for i := range n {
		l := yptest.Listing{Name: fmt.Sprintf("Plumber %02d", i), Slug: fmt.Sprintf("plumber-%02d", i), Phone: fmt.Sprintf("(512) 555-01%02d", i),
			Street: fmt.Sprintf("%d Congress Ave", 100+i), Locality: "Austin, TX 78701", Categories: []string{"Plumbers", "Water Heaters"}}
		switch i % 4 {
		case 0:
			l.Website, l.Stars, l.Reviews, l.OpenState = fmt.Sprintf("https://plumber%02d.example/", i), "four half", 12+i, "Open Now"
			l.Badges = []string{"BBB Rated: A+", "24 Hours"}
		case 1:
			l.Stars, l.Reviews = "three", 1
		case 2:
			l.Locality = "Round Rock" // no state or zip
		}
		out = append(out, l)
	}
	return out
}

func fixtures() map[string][]byte {
	return map[string][]byte{
		"plumbers-1.html": yptest.Page("plumbers", "Austin, TX", plumbers(35), 1),
		"plumbers-2.html": yptest.Page("plumbers", "Austin, TX", plumbers(35), 2),
		"none.html":       yptest.Page("zeppelin repair", "Austin, TX", nil, 1),
	}
}

func TestWriteFixtures(t *testing.T) {
	if !*writeFixtures {
		t.Skip("run with -write-fixtures")
	}
	for name, b := range fixtures() {
		if err := os.WriteFile(filepath.Join("testdata", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestParsePageGolden(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"plumbers-1", "plumbers-2", "none"} {
		b, err := os.ReadFile(filepath.Join("testdata", name+".html"))
		if err != nil {
			t.Fatal(err)
		}
		p, err := ParsePage(bytes.NewReader(b), "https://www.yellowpages.com/search?search_terms=plumbers")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, _ := json.MarshalIndent(p, "", "  ")
		file := filepath.Join("testdata", "golden", name+".json")
		if *update {
			if err := os.WriteFile(file, append(got, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (run with -update)", err)
		}
		if diff := cmp.Diff(strings.TrimSpace(string(want)), string(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	if _, err := ParsePage(strings.NewReader("<html><body>Access denied</body></html>"), ""); err == nil {
		t.Error("a page that is not a search: no error")
	}
}

// FuzzParsePage: no panic, deterministic, every listing titled, positions
// positive, ratings from 1 to 5.
func FuzzParsePage(f *testing.F) {
	for _, b := range fixtures() {
		if len(b) < 32<<10 {
			f.Add(b)
		}
	}
	f.Add([]byte(`<div class="search-results"><div class="result"><h2 class="n">7. <a class="business-name" href="javascript:x">A</a></h2><div class="result-rating five half"></div><span class="count">(1,234)</span></div></div>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		start := time.Now()
		p, err := ParsePage(bytes.NewReader(body), "https://www.yellowpages.com/")
		p2, err2 := ParsePage(bytes.NewReader(body), "https://www.yellowpages.com/")
		if (err == nil) != (err2 == nil) || !reflect.DeepEqual(p, p2) {
			t.Fatal("not deterministic")
		}
		if err == nil {
			for _, l := range p.OrganicResults {
				if l.Title == "" || l.Position < 1 || (l.Rating != nil && (*l.Rating < 1 || *l.Rating > 5)) {
					t.Fatalf("listing %+v", l)
				}
			}
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("took %v", d)
		}
	})
}
