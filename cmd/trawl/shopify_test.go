package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trawlhq/trawl/scrape/shopify/shopifytest"
)

func TestShopifyEndToEnd(t *testing.T) {
	t.Parallel()
	// Store A: 600 products (three pages of 250); its page 2 is rate limited
	// once and its page 3 cut short once. Store B: a collection of 300
	// whose page 2 repeats the last product of page 1.
	var limited, cut atomic.Bool
	a := shopifytest.Start(t, 600, map[string][]int{"summer": {0, 1, 2}}, func(w http.ResponseWriter, r *http.Request, _ int) bool {
		switch q := r.URL.Query(); {
		case r.URL.Path != "/products.json":
		case q.Get("page") == "2" && limited.CompareAndSwap(false, true):
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		case q.Get("page") == "3" && cut.CompareAndSwap(false, true):
			w.Write([]byte(`{"products":[{"id":1,"title":"Organic`))
			return true
		}
		return false
	})
	tees := make([]int, 0, 300)
	for i := range 299 {
		tees = append(tees, i)
		if i == 249 {
			tees = append(tees, i)
		}
	}
	b := shopifytest.Start(t, 400, map[string][]int{"tees": tees}, nil)
	blog := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html><body>My WordPress blog</body></html>"))
	}))
	t.Cleanup(blog.Close)
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": t.TempDir()}))

	var created jobRecord
	body := fmt.Sprintf(`{"urls": [%q, %q, %q]}`, a.URL, b.URL+"/collections/tees", blog.URL)
	if code := in.do("POST", "/scrapers/shopify/jobs", body, &created); code != 200 {
		t.Fatalf("create: status %d", code)
	}
	rec := in.waitTerminal(created.ID, 60*time.Second)
	if rec.Status != "finished" || rec.DataRowsCount != 600+299+1 {
		t.Fatalf("record %+v: want 600 + 299 products and the blog's error row", rec)
	}
	seen := map[string]bool{}
	for _, row := range in.allRows(created.ID) {
		store, _ := row["storeUrl"].(string)
		if e, ok := row["error"].(string); ok {
			if store != blog.URL || !strings.Contains(e, "Not a Shopify store") {
				t.Errorf("error row %v", row)
			}
			continue
		}
		key := fmt.Sprint(store, row["id"])
		if seen[key] {
			t.Errorf("product %s stored twice", key)
		}
		seen[key] = true
		if v, _ := row["variants"].([]any); len(v) != 2 || row["handle"] == nil || row["body_html"] == nil {
			t.Errorf("row %v", row)
		}
	}
	if !limited.Load() || !cut.Load() {
		t.Error("the 429 or the cut page was not served")
	}

	// The CSV export has the documented columns first; nested values are
	// cells of their own.
	code, _, csv := fetch(t, fmt.Sprintf("%s/scrapers/jobs/%d/results.csv", in.base, created.ID), "x-api-key", in.key)
	if header, _, _ := strings.Cut(strings.TrimPrefix(string(csv), "\ufeff"), "\n"); code != 200 ||
		!strings.HasPrefix(strings.TrimSpace(header), "storeUrl,id,title,handle,body_html,vendor") {
		t.Errorf("CSV: status %d, header %q", code, header)
	}

	// A limit.
	in.do("POST", "/scrapers/shopify/jobs", fmt.Sprintf(`{"urls": [%q], "limit": 260}`, a.URL), &created)
	if rec := in.waitTerminal(created.ID, 60*time.Second); rec.Status != "finished" || rec.DataRowsCount != 260 {
		t.Errorf("limited: %+v", rec)
	}

	// Synchronous.
	var products struct {
		RequestMetadata struct{ Status string } `json:"requestMetadata"`
		Products        []map[string]any        `json:"products"`
		Error           string                  `json:"error"`
	}
	if code := in.do("GET", "/scrape/shopify/products?limit=5&page=2&url="+a.URL, nil, &products); code != 200 ||
		len(products.Products) != 5 || products.Products[0]["id"] != 7000000006.0 || products.RequestMetadata.Status != "ok" {
		t.Errorf("products: %d %+v", code, products)
	}
	products.Products = nil
	if code := in.do("GET", "/scrape/shopify/products?collection=summer&url="+a.URL, nil, &products); code != 200 || len(products.Products) != 1 {
		t.Errorf("a collection's products (default limit 1): %d %+v", code, products)
	}
	products.Products = nil
	if code := in.do("GET", "/scrape/shopify/products?url="+blog.URL, nil, &products); code != 200 || products.Products != nil ||
		!strings.Contains(products.Error, "Not a Shopify store") {
		t.Errorf("not a store: %d %+v", code, products)
	}
	var collections struct {
		Collections []map[string]any `json:"collections"`
	}
	if code := in.do("GET", "/scrape/shopify/collections?url="+b.URL, nil, &collections); code != 200 || len(collections.Collections) != 1 ||
		collections.Collections[0]["handle"] != "tees" || collections.Collections[0]["products_count"] != 300.0 {
		t.Errorf("collections: %d %+v", code, collections)
	}
	var bad struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	if code := in.do("GET", "/scrape/shopify/products?limit=500", nil, &bad); code != 422 || len(bad.Errors) != 2 {
		t.Errorf("bad products call: %d %+v", code, bad)
	}
	bad.Errors = nil
	if code := in.do("POST", "/scrapers/shopify/jobs", `{"urls": ["ftp://x"]}`, &bad); code != 422 || len(bad.Errors) != 1 || bad.Errors[0].Field != "urls[0]" {
		t.Errorf("bad job: %d %+v", code, bad)
	}
}
