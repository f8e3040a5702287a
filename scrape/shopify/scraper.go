package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
)

// Slug is the scraper's path segment: POST /scrapers/shopify/jobs.
const Slug = "shopify"

// MaxStores bounds the storefronts of one job.
const MaxStores = 100

// Params are a shopify job's parameters, normalised: each store's root
// (with /collections/<handle> when the URL named one) once.
type Params struct {
	URLs             []string `json:"urls"`
	Collection       string   `json:"collection,omitempty"`
	RespectRobotsTxt bool     `json:"respectRobotsTxt"`
}

// ParseParams validates a shopify create body: urls (storefronts, required),
// collection (a handle), respectRobotsTxt (default true).
func ParseParams(body []byte) (*Params, error) {
	var in struct {
		URLs             json.RawMessage `json:"urls"`
		Collection       json.RawMessage `json:"collection"`
		RespectRobotsTxt json.RawMessage `json:"respectRobotsTxt"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, trawl.Errorf(trawl.EMALFORMED, "The request body is not valid JSON: %v.", err)
	}
	p := &Params{RespectRobotsTxt: true}
	var v trawl.Invalid
	urls, ok := scrape.StringList(in.URLs)
	switch {
	case !scrape.Present(in.URLs):
		v.Add("urls", "is required: 1 to %d storefront URLs such as https://shop.example", MaxStores)
	case !ok:
		v.Add("urls", "must be an array of strings")
	case len(urls) == 0 || len(urls) > MaxStores:
		v.Add("urls", "must hold 1 to %d storefront URLs, not %d", MaxStores, len(urls))
	}
	for i, u := range urls {
		root, coll, err := Store(u)
		if err != nil || len(u) > 2048 {
			v.Add(fmt.Sprintf("urls[%d]", i), "must be a storefront URL such as https://shop.example, not %q", u)
			continue
		}
		if coll != "" {
			root += "/collections/" + coll
		}
		if !slices.Contains(p.URLs, root) {
			p.URLs = append(p.URLs, root)
		}
	}
	if scrape.Present(in.Collection) {
		if json.Unmarshal(in.Collection, &p.Collection) != nil || !ValidHandle(strings.TrimSpace(p.Collection)) {
			v.Add("collection", "must be a collection handle such as \"summer-sale\"")
		}
		p.Collection = strings.TrimSpace(p.Collection)
	}
	if scrape.Present(in.RespectRobotsTxt) && json.Unmarshal(in.RespectRobotsTxt, &p.RespectRobotsTxt) != nil {
		v.Add("respectRobotsTxt", "must be true or false")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// Scraper is the Shopify scraper. A job reads every store's products a page
// of 250 at a time; each page is a task yielding one row per product not on
// the page before, and the next page's task while the page was full.
type Scraper struct {
	fetcher *scrape.Fetcher
}

var _ scrape.Scraper = (*Scraper)(nil)

// New returns the scraper. It needs no base URL: the stores are the
// targets.
func New(f *scrape.Fetcher) *Scraper { return &Scraper{fetcher: f} }

// Columns are a row's fields, in export order: storeUrl, then Shopify's
// product fields, then error (a store that could not be read).
func Columns() []string {
	return []string{"storeUrl", "id", "title", "handle", "body_html", "vendor", "product_type", "tags", "published_at",
		"created_at", "updated_at", "options", "images", "variants", "error"}
}

// Info implements scrape.Scraper.
func (s *Scraper) Info() scrape.Info {
	return scrape.Info{
		Slug: Slug,
		Name: "Shopify products",
		Description: "Reads every product of each Shopify storefront from its public products.json: one row per product " +
			"in Shopify's own shape, plus storeUrl.",
		Columns: Columns(),
		Params: scrape.BodySchema([]string{"urls"}, map[string]any{
			"urls": map[string]any{"type": "array", "minItems": 1, "maxItems": MaxStores,
				"items":       map[string]any{"type": "string", "maxLength": 2048, "pattern": StorePattern},
				"description": "Storefront URLs (https://shop.example, or just shop.example); a /collections/<handle> URL reads that collection."},
			"collection": map[string]any{"type": "string", "pattern": handleRE.String(),
				"description": "Read only this collection (its handle) of every store."},
			"respectRobotsTxt": scrape.RobotsSchema(),
		}),
	}
}

// Parse implements scrape.Scraper.
func (s *Scraper) Parse(body json.RawMessage) (json.RawMessage, error) {
	p, err := ParseParams(body)
	if err != nil {
		return nil, err
	}
	return json.Marshal(p)
}

type pageTask struct {
	Store      string  `json:"store"`
	Collection string  `json:"collection,omitempty"`
	Page       int     `json:"page"`
	Seen       []int64 `json:"seen,omitempty"` // the ids of the page before
}

func pageSpec(t pageTask) (trawl.TaskSpec, error) {
	payload, err := json.Marshal(t)
	return trawl.TaskSpec{Key: fmt.Sprintf("products:%s:%s:%d", t.Store, t.Collection, t.Page), Payload: payload}, err
}

// Plan implements scrape.Scraper: the first page of every store.
func (s *Scraper) Plan(job *trawl.Job) ([]trawl.TaskSpec, error) {
	var p Params
	if err := json.Unmarshal(job.Params, &p); err != nil {
		return nil, fmt.Errorf("read shopify params: %w", err)
	}
	var specs []trawl.TaskSpec
	for _, u := range p.URLs {
		root, coll, err := Store(u)
		if err != nil {
			return nil, err
		}
		if p.Collection != "" {
			coll = p.Collection
		}
		spec, err := pageSpec(pageTask{Store: root, Collection: coll, Page: 1})
		if err != nil {
			return nil, err
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

// Run implements scrape.Scraper.
func (s *Scraper) Run(ctx context.Context, job *trawl.Job, tk *trawl.Task) (*scrape.Result, error) {
	var p Params
	if err := json.Unmarshal(job.Params, &p); err != nil {
		return nil, fmt.Errorf("read shopify params: %w", err)
	}
	var t pageTask
	if err := json.Unmarshal(tk.Payload, &t); err != nil {
		return nil, fmt.Errorf("read shopify task: %w", err)
	}
	items, credits, err := s.products(ctx, t.Store, t.Collection, PageSize, t.Page, p.RespectRobotsTxt)
	var rowErr *storeError
	if errors.As(err, &rowErr) {
		b, err := json.Marshal(map[string]string{"storeUrl": t.Store, "error": rowErr.msg})
		if err != nil {
			return nil, err
		}
		return &scrape.Result{Rows: []json.RawMessage{b}, Credits: credits}, nil
	} else if err != nil {
		return nil, err
	}
	res := &scrape.Result{Credits: credits}
	var ids []int64
	for _, it := range items {
		if slices.Contains(t.Seen, it.ID) || slices.Contains(ids, it.ID) {
			continue
		}
		ids = append(ids, it.ID)
		row, err := withField(it.Raw, "storeUrl", t.Store)
		if err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, row)
	}
	if len(items) >= PageSize && len(ids) > 0 {
		spec, err := pageSpec(pageTask{Store: t.Store, Collection: t.Collection, Page: t.Page + 1, Seen: ids})
		if err != nil {
			return nil, err
		}
		res.Next = append(res.Next, spec)
	}
	return res, nil
}

// storeError is a store that answered, but not with its products: a row
// (or a synchronous answer) with this error, not a task to retry.
type storeError struct{ msg string }

func (e *storeError) Error() string { return e.msg }

// products fetches one page of a store's products. A store that answers
// 404, 401/403 or something other than products JSON is a *storeError; a
// fetch that fails (after the fetcher's retries) or a 5xx/429 is another
// error, worth trying again.
func (s *Scraper) products(ctx context.Context, root, collection string, limit, page int, robots bool) ([]Item, int64, error) {
	return s.fetchItems(ctx, ProductsURL(root, collection, limit, page), robots, ParseProducts)
}

func (s *Scraper) fetchItems(ctx context.Context, u string, robots bool, parse func(r io.Reader) ([]Item, error)) ([]Item, int64, error) {
	resp, err := s.fetcher.Fetch(ctx, scrape.Request{URL: u, RespectRobots: robots, Header: http.Header{"Accept": {"application/json"}}})
	if errors.Is(err, scrape.ErrRobotsDisallowed) {
		return nil, 0, &storeError{msg: scrape.DescribeError(err)}
	} else if err != nil {
		return nil, 0, fmt.Errorf("shopify %s: %w", u, err)
	}
	switch c := resp.StatusCode; {
	case c == http.StatusTooManyRequests || c >= 500:
		return nil, 0, fmt.Errorf("shopify %s: HTTP %d", u, c)
	case c < 200 || c > 299:
		return nil, 1, &storeError{msg: "Not a Shopify store, or not public: " + scrape.StatusError(c) + " from " + u}
	}
	items, err := parse(bytes.NewReader(resp.Body))
	if errors.Is(err, ErrNotShopify) {
		return nil, 1, &storeError{msg: "Not a Shopify store: " + strings.TrimPrefix(err.Error(), ErrNotShopify.Error()+": ") + " (" + u + ")."}
	} else if err != nil {
		return nil, 1, fmt.Errorf("shopify %s: %w", u, err)
	}
	return items, 1, nil
}

// Endpoints implements GET /scrape/shopify/products and /collections in
// HasData's shape: {products: […]} or {collections: […]}, Shopify's own
// items; a site that is not a Shopify store is a 200 with an "error".
func (s *Scraper) Endpoints() []scrape.Endpoint {
	one, most, pages := 1.0, float64(PageSize), 100000.0
	common := []scrape.EndpointParam{
		{Name: "url", Type: "string", Required: true, Pattern: StorePattern, Description: "The storefront, https://shop.example."},
		{Name: "limit", Type: "integer", Minimum: &one, Maximum: &most, Description: "Items per page, 1 to 250."},
		{Name: "page", Type: "integer", Minimum: &one, Maximum: &pages, Description: "The page, from 1."},
	}
	return []scrape.Endpoint{{
		Path:        "/scrape/shopify/products",
		Summary:     "List a Shopify store's products",
		Description: "One page of the store's products.json (default 1 product), or of a collection's.",
		Params: append(slices.Clone(common), scrape.EndpointParam{Name: "collection", Type: "string",
			Pattern: `^\s*(` + strings.Trim(handleRE.String(), "^$") + `)?\s*$`, Description: "A collection handle: its products only."}),
		Do: func(ctx context.Context, q url.Values) (*scrape.EndpointResult, error) {
			return s.sync(ctx, q, "products", 1)
		},
	}, {
		Path:        "/scrape/shopify/collections",
		Summary:     "List a Shopify store's collections",
		Description: "One page of the store's collections.json (default 10).",
		Params:      common,
		Do: func(ctx context.Context, q url.Values) (*scrape.EndpointResult, error) {
			return s.sync(ctx, q, "collections", 10)
		},
	}}
}

func (s *Scraper) sync(ctx context.Context, q url.Values, what string, defLimit int) (*scrape.EndpointResult, error) {
	var v trawl.Invalid
	root, coll, err := Store(q.Get("url"))
	if strings.TrimSpace(q.Get("url")) == "" {
		v.Add("url", "is required: a storefront URL such as https://shop.example")
	} else if err != nil {
		v.Add("url", "must be a storefront URL such as https://shop.example")
	}
	number := func(name string, def, hi int) int {
		raw := strings.TrimSpace(q.Get(name))
		if raw == "" {
			return def
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > hi {
			v.Add(name, "must be a whole number from 1 to %d", hi)
		}
		return n
	}
	limit := number("limit", defLimit, PageSize)
	page := number("page", 1, 100000)
	if c := strings.TrimSpace(q.Get("collection")); what == "products" && c != "" {
		if !ValidHandle(c) {
			v.Add("collection", "must be a collection handle such as \"summer-sale\"")
		}
		coll = c
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	u := CollectionsURL(root, limit, page)
	parse := ParseCollections
	if what == "products" {
		u, parse = ProductsURL(root, coll, limit, page), ParseProducts
	}
	items, credits, err := s.fetchItems(ctx, u, false, parse)
	var se *storeError
	if errors.As(err, &se) {
		return &scrape.EndpointResult{Body: map[string]string{"error": se.msg}, Credits: credits}, nil
	} else if err != nil {
		return nil, err
	}
	list := make([]json.RawMessage, len(items))
	for i, it := range items {
		list[i] = it.Raw
	}
	return &scrape.EndpointResult{Body: map[string]any{what: list}, Credits: credits}, nil
}
