package googleserp

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
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape/googleserp/serptest"
)

var (
	update        = flag.Bool("update", false, "rewrite the golden files in testdata/golden")
	writeFixtures = flag.Bool("write-fixtures", false, "rewrite the serptest pages in testdata/pages")
)

// pizza is a search of 14 results: dates, highlighted words, a redirect,
// questions and related searches.
var pizza = serptest.Search{
	Results: func() []serptest.Result {
		var out []serptest.Result
		for i := range 14 {
			r := serptest.Result{Title: "Pizza place " + string(rune('A'+i)), Link: "https://pizza-" + string(rune('a'+i)) + ".example/",
				Source: "Pizza " + string(rune('A'+i)), Displayed: "https://pizza-" + string(rune('a'+i)) + ".example",
				Snippet: "The *best* wood-fired *pizza* in Austin, open late every day of the week."}
			switch i {
			case 0:
				r.Date, r.Redirect = "Nov 3, 2025", true
			case 3:
				r.Date = "3 days ago"
			case 5:
				r.Snippet = ""
			}
			out = append(out, r)
		}
		return out
	}(),
	Related:   []string{"pizza austin downtown", "best pizza austin reddit"},
	Questions: []string{"What is the best pizza in Austin?", "Is Austin known for pizza?"},
}

func fixtures() map[string][]byte {
	return map[string][]byte{
		"pizza-1.html": serptest.Page("pizza austin", pizza, 0, 10),
		"pizza-2.html": serptest.Page("pizza austin", pizza, 10, 10),
		"nothing.html": serptest.Page("qwxzv plorf", serptest.Search{}, 0, 10),
	}
}

func TestWriteFixtures(t *testing.T) {
	if !*writeFixtures {
		t.Skip("run with -write-fixtures to rewrite testdata/pages")
	}
	for name, b := range fixtures() {
		if err := os.WriteFile(filepath.Join("testdata", "pages", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestParsePageGolden(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"pizza-1", "pizza-2", "nothing", "basic"} {
		b, err := os.ReadFile(filepath.Join("testdata", "pages", name+".html"))
		if err != nil {
			t.Fatal(err)
		}
		page, err := ParsePage(bytes.NewReader(b), "https://www.google.com/search?q=x")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := json.MarshalIndent(page, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join("testdata", "golden", name+".json")
		if *update {
			if err := os.WriteFile(file, append(got, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if diff := cmp.Diff(strings.TrimSpace(string(want)), string(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	if _, err := ParsePage(bytes.NewReader(serptest.Captcha()), ""); !errors.Is(err, ErrBlocked) {
		t.Errorf("captcha: got %v, want ErrBlocked", err)
	}
	if _, err := ParsePage(strings.NewReader("<html><body>Hello</body></html>"), ""); err == nil {
		t.Error("a page that is not results: no error")
	}
}

func TestUULE(t *testing.T) {
	t.Parallel()
	// "Austin,Texas,United States" is 26 characters: key letter 'e'.
	if got, want := UULE("Austin,Texas,United States"), "w+CAIQICIeQXVzdGluLFRleGFzLFVuaXRlZCBTdGF0ZXM="; got != want {
		t.Errorf("UULE = %q, want %q", got, want)
	}
	if UULE(strings.Repeat("x", 80)) != "" {
		t.Error("a name too long for the key encodes")
	}
}

func TestParseParams(t *testing.T) {
	t.Parallel()
	p, err := ParseParams([]byte(`{"q": "pizza", "location": "Austin,Texas,United States", "num": 20, "gl": "US", "safe": "active"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := &Params{Keywords: []string{"pizza"}, Locations: []string{"Austin,Texas,United States"}, GL: "us", Num: 20,
		Safe: "active", DeviceType: "desktop", MaxPages: 1}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got %+v, want %+v", p, want)
	}
	for body, field := range map[string]string{
		`{}`:                                             "keywords",
		`{"keywords": "pizza"}`:                          "keywords",
		`{"keywords": ["pizza"], "num": 500}`:            "num",
		`{"keywords": ["pizza"], "safe": "on"}`:          "safe",
		`{"keywords": ["pizza"], "maxPages": 0}`:         "maxPages",
		`{"keywords": ["pizza"], "deviceType": "watch"}`: "deviceType",
		`{"keywords": ["pizza"], "tbs": true}`:           "tbs",
		`{"keywords": ["pizza"], "tbs": 7}`:              "tbs",
		`{"keywords": ["pizza"], "hl": ["en"]}`:          "hl",
		`{"keywords": ["pizza"], "q": true}`:             "q",
	} {
		_, err := ParseParams([]byte(body))
		if fe := fieldsOf(err); len(fe) == 0 || fe[0] != field {
			t.Errorf("%s: fields %v, want %s", body, fe, field)
		}
	}
}

func fieldsOf(err error) []string {
	var te *trawl.Error
	if !errors.As(err, &te) {
		return nil
	}
	var out []string
	for _, f := range te.Fields {
		out = append(out, f.Field)
	}
	return out
}

// FuzzParsePage: no panic, prompt, deterministic, every organic result has
// an absolute http(s) link and positions count from 1.
func FuzzParsePage(f *testing.F) {
	for _, b := range fixtures() {
		f.Add(b)
	}
	f.Add([]byte(`<div id="search"><a href="/url?q=http://x.example/"><h3>t</h3></a><a href="http://x.example/"><h3>again</h3></a></div>`))
	f.Add([]byte(`<div id="rso"><a href="javascript:1"><h3>t</h3></a><a href="https://www.google.com/x"><h3>g</h3></a></div><div id="result-stats">1 result</div>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		start := time.Now()
		p, err := ParsePage(bytes.NewReader(body), "https://www.google.com/search?q=x")
		p2, err2 := ParsePage(bytes.NewReader(body), "https://www.google.com/search?q=x")
		if (err == nil) != (err2 == nil) || !reflect.DeepEqual(p, p2) {
			t.Fatal("not deterministic")
		}
		if err == nil {
			for i, o := range p.OrganicResults {
				if o.Position != i+1 || !(strings.HasPrefix(o.Link, "http://") || strings.HasPrefix(o.Link, "https://")) {
					t.Fatalf("result %d: %+v", i, o)
				}
			}
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("took %v", d)
		}
	})
}
