package shopify

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
	"github.com/trawlhq/trawl/scrape/shopify/shopifytest"
)

var (
	update        = flag.Bool("update", false, "rewrite testdata/golden")
	writeFixtures = flag.Bool("write-fixtures", false, "rewrite the shopifytest answers in testdata")
)

func fixtures() map[string][]byte {
	enc := func(v any) []byte {
		b, err := json.MarshalIndent(v, "", " ")
		if err != nil {
			panic(err)
		}
		return b
	}
	broken := shopifytest.Product(3)
	delete(broken, "id")
	return map[string][]byte{
		// Two products, an item without an id (skipped), one that is not an object.
		"products.json": enc(map[string]any{"products": []any{shopifytest.Product(1), shopifytest.Product(2), broken, "x"}}),
		"collections.json": enc(map[string]any{"collections": []any{shopifytest.Collection(0, "summer", 12),
			shopifytest.Collection(1, "tees", 40)}}),
		"empty.json": []byte(`{"products":[]}`),
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

func TestParseGolden(t *testing.T) {
	t.Parallel()
	for name, parse := range map[string]func(r *bytes.Reader) ([]Item, error){
		"products":    func(r *bytes.Reader) ([]Item, error) { return ParseProducts(r) },
		"collections": func(r *bytes.Reader) ([]Item, error) { return ParseCollections(r) },
		"empty":       func(r *bytes.Reader) ([]Item, error) { return ParseProducts(r) },
	} {
		b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		items, err := parse(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got []any
		for _, it := range items {
			row, err := withField(it.Raw, "storeUrl", "https://shop.example")
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(row, &v); err != nil {
				t.Fatalf("%s: row %s: %v", name, row, err)
			}
			got = append(got, map[string]any{"id": it.ID, "row": v})
		}
		file := filepath.Join("testdata", "golden", name+".json")
		if *update {
			out, _ := json.MarshalIndent(got, "", "  ")
			if err := os.WriteFile(file, append(out, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		wantB, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (run with -update)", err)
		}
		var want, gotN any
		json.Unmarshal(wantB, &want)
		gb, _ := json.Marshal(got)
		json.Unmarshal(gb, &gotN)
		if diff := cmp.Diff(want, gotN); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	for _, body := range []string{"", "<html>Welcome to my WordPress shop</html>", `{"items": []}`, `{"products": {}}`, `[1]`} {
		if _, err := ParseProducts(strings.NewReader(body)); !errors.Is(err, ErrNotShopify) {
			t.Errorf("ParseProducts(%q): %v, want ErrNotShopify", body, err)
		}
	}
}

func TestStore(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][2]string{
		"shop.example":          {"https://shop.example", ""},
		"HTTPS://Shop.Example/": {"https://shop.example", ""},
		"http://127.0.0.1:8080/collections/summer-sale": {"http://127.0.0.1:8080", "summer-sale"},
		"https://shop.example/products/tee":             {"https://shop.example", ""},
	} {
		root, coll, err := Store(in)
		if err != nil || root != want[0] || coll != want[1] {
			t.Errorf("Store(%q) = %q, %q, %v; want %q", in, root, coll, err, want)
		}
	}
	for _, bad := range []string{"", "ftp://x", "https://"} {
		if _, _, err := Store(bad); err == nil {
			t.Errorf("Store(%q): no error", bad)
		}
	}
}

// FuzzParseProducts: no panic, deterministic, every item an object with a
// positive id whose row is valid JSON.
func FuzzParseProducts(f *testing.F) {
	for _, b := range fixtures() {
		f.Add(b)
	}
	f.Add([]byte(`{"products":[{"id":1},{"id":"2"},{"id":-3},{"id":1e3},{}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		start := time.Now()
		items, err := ParseProducts(bytes.NewReader(body))
		items2, err2 := ParseProducts(bytes.NewReader(body))
		if (err == nil) != (err2 == nil) || !reflect.DeepEqual(items, items2) {
			t.Fatal("not deterministic")
		}
		for _, it := range items {
			row, err := withField(it.Raw, "storeUrl", "https://s.example")
			if it.ID <= 0 || err != nil || !json.Valid(row) {
				t.Fatalf("item %d %s: row %s", it.ID, it.Raw, row)
			}
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("took %v", d)
		}
	})
}
