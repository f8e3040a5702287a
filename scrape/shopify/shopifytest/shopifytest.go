// Package shopifytest fakes a Shopify storefront's public JSON for tests:
// /products.json, /collections/{handle}/products.json and
// /collections.json, paged by limit (default 30, at most 250) and page
// (from 1), each item in Shopify's documented shape (products with
// variants, images and options, prices as strings, tags as a list).
package shopifytest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Product returns the i-th product of a store (ids from 7000000001).
func Product(i int) map[string]any {
	id := int64(7000000000 + i)
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.FixedZone("", -4*3600)).Add(time.Duration(i) * time.Hour).Format(time.RFC3339)
	handle := fmt.Sprintf("organic-tee-%d", i)
	return map[string]any{
		"id": id, "title": fmt.Sprintf("Organic Tee %d", i), "handle": handle,
		"body_html": "<p>Soft <strong>organic cotton</strong> tee.</p>", "published_at": at, "created_at": at, "updated_at": at,
		"vendor": "Harbour Goods", "product_type": "T-Shirts", "tags": []string{"cotton", "summer"},
		"variants": []map[string]any{
			{"id": id*10 + 1, "title": "S / Sand", "option1": "S", "option2": "Sand", "option3": nil, "sku": fmt.Sprintf("TEE-%d-S", i),
				"requires_shipping": true, "taxable": true, "featured_image": nil, "available": true, "price": "24.00", "grams": 180,
				"compare_at_price": "30.00", "position": 1, "product_id": id, "created_at": at, "updated_at": at},
			{"id": id*10 + 2, "title": "M / Sand", "option1": "M", "option2": "Sand", "option3": nil, "sku": fmt.Sprintf("TEE-%d-M", i),
				"requires_shipping": true, "taxable": true, "featured_image": nil, "available": i%3 != 0, "price": "24.00", "grams": 190,
				"compare_at_price": nil, "position": 2, "product_id": id, "created_at": at, "updated_at": at},
		},
		"images": []map[string]any{{"id": id*100 + 1, "created_at": at, "position": 1, "updated_at": at, "product_id": id,
			"variant_ids": []int64{}, "src": fmt.Sprintf("https://cdn.shopify.example/files/%s.jpg?v=1", handle), "width": 1200, "height": 1600}},
		"options": []map[string]any{{"name": "Size", "position": 1, "values": []string{"S", "M"}},
			{"name": "Color", "position": 2, "values": []string{"Sand"}}},
	}
}

// Collection returns a collection of the store.
func Collection(i int, handle string, count int) map[string]any {
	return map[string]any{"id": int64(400000000 + i), "title": strings.ToUpper(handle[:1]) + handle[1:], "handle": handle,
		"description": "<p>" + handle + "</p>", "published_at": "2025-03-01T09:00:00-04:00", "updated_at": "2025-03-02T09:00:00-04:00",
		"image": nil, "products_count": count}
}

// Store is a fake storefront.
type Store struct {
	*httptest.Server
	products    []map[string]any
	collections map[string][]int // handle → product indexes
	intercept   func(w http.ResponseWriter, r *http.Request, n int) bool
	mu          sync.Mutex
	n           int
	pages       []string // path?query of each request
}

// Start starts a store of n products; collections maps handles to product
// indexes. intercept, when not nil, sees every request first (n from 1) and
// answers it itself when it returns true.
func Start(tb testing.TB, n int, collections map[string][]int, intercept func(w http.ResponseWriter, r *http.Request, n int) bool) *Store {
	s := &Store{collections: collections, intercept: intercept}
	for i := 1; i <= n; i++ {
		s.products = append(s.products, Product(i))
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

func (s *Store) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.n++
	n := s.n
	s.pages = append(s.pages, r.URL.RequestURI())
	s.mu.Unlock()
	if s.intercept != nil && s.intercept(w, r, n) {
		return
	}
	limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || limit < 1 {
		limit = 30
	}
	limit = min(limit, 250)
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	var items []map[string]any
	key := "products"
	switch p := r.URL.Path; {
	case p == "/products.json":
		items = s.products
	case p == "/collections.json":
		key = "collections"
		for i, h := range slices.Sorted(maps.Keys(s.collections)) {
			items = append(items, Collection(i, h, len(s.collections[h])))
		}
	case strings.HasPrefix(p, "/collections/") && strings.HasSuffix(p, "/products.json"):
		idx, ok := s.collections[strings.TrimSuffix(strings.TrimPrefix(p, "/collections/"), "/products.json")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		for _, i := range idx {
			items = append(items, s.products[i])
		}
	default:
		http.NotFound(w, r)
		return
	}
	from := min((page-1)*limit, len(items))
	to := min(from+limit, len(items))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(map[string]any{key: items[from:to]})
}

// Requests returns the request URIs answered so far.
func (s *Store) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.pages...)
}
