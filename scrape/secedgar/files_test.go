package secedgar

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trawlhq/trawl/scrape/secedgar/edgartest"
)

var (
	update        = flag.Bool("update", false, "rewrite testdata/golden")
	writeFixtures = flag.Bool("write-fixtures", false, "rewrite the edgartest files in testdata")
)

func company() edgartest.Company {
	c := edgartest.Company{CIK: 320193, Name: "Apple Inc.", Tickers: []string{"AAPL"},
		Recent: edgartest.Filings(320193, 5, "2025-11-01", "10-K", "8-K", "4"),
		Shards: [][]edgartest.Filing{edgartest.Filings(320193, 3, "2019-05-02", "10-Q")}}
	c.Recent[2].ReportDate = "" // a Form 4 has no report date
	return c
}

func fixtures() map[string][]byte {
	c := company()
	other := edgartest.Company{CIK: 1652044, Name: "Alphabet Inc.", Tickers: []string{"GOOGL", "GOOG"}}
	shard, _ := json.Marshal(map[string]any{"accessionNumber": []string{"0000320193-19-000010", "", "0000320193-19-000011"},
		"form": []string{"10-Q", "10-Q"}, "filingDate": []string{"2019-05-01", "2019-04-01"}})
	return map[string][]byte{
		"tickers.json":     edgartest.Tickers([]edgartest.Company{c, other}),
		"submissions.json": edgartest.Submissions(c),
		// A shard with a missing accession and a short form column.
		"shard.json": shard,
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

func TestFilesGolden(t *testing.T) {
	t.Parallel()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tickers, err := ParseTickers(bytes.NewReader(read("tickers.json")))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := ParseSubmissions(bytes.NewReader(read("submissions.json")), false)
	if err != nil {
		t.Fatal(err)
	}
	shard, err := ParseSubmissions(bytes.NewReader(read("shard.json")), true)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{"tickers": tickers, "submissions": sub, "shard": shard}
	file := filepath.Join("testdata", "golden", "files.json")
	b, _ := json.MarshalIndent(got, "", "  ")
	if *update {
		if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := read(filepath.Join("golden", "files.json"))
	if diff := cmp.Diff(strings.TrimSpace(string(want)), string(b)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	for q, cik := range map[string]string{"AAPL": "320193", "goog": "1652044", "apple inc.": "320193", "Alphabet": "1652044",
		"0000320193": "320193", "999": "999"} {
		if c, ok := Resolve(tickers, q); !ok || c.CIK != cik {
			t.Errorf("Resolve(%q) = %+v, %v; want CIK %s", q, c, ok, cik)
		}
	}
	if _, ok := Resolve(tickers, "Nosuch Corp"); ok {
		t.Error("an unknown name resolved")
	}
	if got := FilingURL("https://www.sec.gov", "0000320193", "0000320193-25-000079", "aapl-20250927.htm"); got !=
		"https://www.sec.gov/Archives/edgar/data/320193/000032019325000079/aapl-20250927.htm" {
		t.Errorf("FilingURL = %s", got)
	}
}

func TestParseParams(t *testing.T) {
	t.Parallel()
	p, err := ParseParams([]byte(`{"limit": 100, "ciks": ["AAPL", "789019", "Alphabet Inc.", "aapl"], "filingTypes": "10-K, 10-q, 8-K",
		"startDate": "2024-01-01", "endDate": "2025-12-31"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := &Params{CIKs: []string{"AAPL", "789019", "Alphabet Inc."}, FilingTypes: []string{"10-K", "10-Q", "8-K"},
		StartDate: "2024-01-01", EndDate: "2025-12-31"}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got %+v, want %+v", p, want)
	}
	if p, err := ParseParams([]byte(`{"ciks": ["1"], "filingTypes": ["10-K", " 8-k "]}`)); err != nil || !reflect.DeepEqual(p.FilingTypes, []string{"10-K", "8-K"}) {
		t.Errorf("array filingTypes: %+v, %v", p, err)
	}
}

// FuzzParseSubmissions: no panic, deterministic, every filing has an
// accession number and a form.
func FuzzParseSubmissions(f *testing.F) {
	for _, b := range fixtures() {
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Fuzz(func(t *testing.T, body []byte, shard bool) {
		start := time.Now()
		s, err := ParseSubmissions(bytes.NewReader(body), shard)
		s2, err2 := ParseSubmissions(bytes.NewReader(body), shard)
		if (err == nil) != (err2 == nil) || !reflect.DeepEqual(s, s2) {
			t.Fatal("not deterministic")
		}
		if err == nil {
			for _, fl := range s.Filings {
				if fl.AccessionNumber == "" || fl.Form == "" {
					t.Fatalf("filing %+v", fl)
				}
			}
		}
		if _, err := ParseTickers(bytes.NewReader(body)); err == nil && time.Since(start) > 5*time.Second {
			t.Fatal("slow")
		}
	})
}
