package yellowpages

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
)

// Slug is the scraper's path segment: POST /scrapers/yellow-pages/jobs.
const Slug = "yellow-pages"

// Limits and defaults.
const (
	MaxKeywords     = 100
	MaxLocations    = 100
	DefaultMaxPages = 10
	MaxPagesLimit   = 100
	maxTextLen      = 200
)

// Domains are the sites HasData names; trawl searches TRAWL_YELLOW_PAGES_URL.
var Domains = []string{"www.yellowpages.com", "www.yellowpages.ca"}

func sortNames() []string { return []string{"default", "distance", "averageRating", "name"} }

// Params are a yellow-pages job's parameters, normalised.
type Params struct {
	Keywords  []string `json:"keywords"`
	Locations []string `json:"locations"`
	Sort      string   `json:"sort"`
	Domain    string   `json:"domain,omitempty"`
	MaxPages  int      `json:"maxPages"`
}

// ParseParams validates a yellow-pages create body: keywords and locations
// (required), sort, domain, maxPages.
func ParseParams(body []byte) (*Params, error) {
	var in struct {
		Keywords  json.RawMessage `json:"keywords"`
		Locations json.RawMessage `json:"locations"`
		Sort      json.RawMessage `json:"sort"`
		Domain    json.RawMessage `json:"domain"`
		MaxPages  json.RawMessage `json:"maxPages"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, trawl.Errorf(trawl.EMALFORMED, "The request body is not valid JSON: %v.", err)
	}
	var v trawl.Invalid
	p := &Params{Sort: "default", MaxPages: DefaultMaxPages}
	p.Keywords = texts(&v, "keywords", in.Keywords, MaxKeywords, "\"pizza\"")
	p.Locations = texts(&v, "locations", in.Locations, MaxLocations, "\"New York, NY\"")
	str := func(field string, raw json.RawMessage, allowed []string) string {
		if !scrape.Present(raw) {
			return ""
		}
		var s string
		if json.Unmarshal(raw, &s) != nil || !slices.Contains(allowed, s) {
			v.Add(field, "must be one of: %s", strings.Join(allowed, ", "))
		}
		return s
	}
	if s := str("sort", in.Sort, sortNames()); s != "" {
		p.Sort = s
	}
	p.Domain = str("domain", in.Domain, Domains)
	if scrape.Present(in.MaxPages) {
		n, err := scrape.StrictInt(in.MaxPages)
		if err != nil || n < 1 || n > MaxPagesLimit {
			v.Add("maxPages", "must be a whole number from 1 to %d", MaxPagesLimit)
		} else {
			p.MaxPages = n
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// texts reads a required array of short strings, trimmed, repeats dropped.
func texts(v *trawl.Invalid, field string, raw json.RawMessage, maxItems int, example string) []string {
	items, ok := scrape.StringList(raw)
	switch {
	case !scrape.Present(raw):
		v.Add(field, "is required: 1 to %d, such as %s", maxItems, example)
		return nil
	case !ok:
		v.Add(field, "must be an array of strings")
		return nil
	case len(items) == 0 || len(items) > maxItems:
		v.Add(field, "must hold 1 to %d items, not %d", maxItems, len(items))
		return nil
	}
	var out []string
	for i, s := range items {
		s = strings.TrimSpace(s)
		switch {
		case s == "" || len(s) > maxTextLen:
			v.Add(fmt.Sprintf("%s[%d]", field, i), "must be 1 to %d characters", maxTextLen)
		case !slices.ContainsFunc(out, func(x string) bool { return strings.EqualFold(x, s) }):
			out = append(out, s)
		}
	}
	return out
}

// Scraper is the Yellow Pages scraper: every keyword × location is a
// search read a page (30 listings) at a time, each page a task yielding a
// row per listing not seen on an earlier page of the search and the next
// page's task, up to maxPages.
type Scraper struct {
	fetcher *scrape.Fetcher
	base    string
}

var _ scrape.Scraper = (*Scraper)(nil)

// New returns the scraper; baseURL is where searches go ("" means
// DefaultBaseURL).
func New(f *scrape.Fetcher, baseURL string) (*Scraper, error) {
	base, err := scrape.BaseURL(baseURL, DefaultBaseURL, "yellow pages base URL")
	if err != nil {
		return nil, err
	}
	return &Scraper{fetcher: f, base: base}, nil
}

// Columns are a row's fields, in export order.
func Columns() []string {
	return []string{"keyword", "location", "position", "title", "url", "phone", "address", "city", "region", "zipcode",
		"website", "categories", "rating", "reviews", "openState", "badges"}
}

// Info implements scrape.Scraper.
func (s *Scraper) Info() scrape.Info {
	texts := func(maxItems int, desc string) map[string]any {
		return map[string]any{"type": "array", "minItems": 1, "maxItems": maxItems, "description": desc,
			"items": map[string]any{"type": "string", "minLength": 1, "maxLength": maxTextLen}}
	}
	return scrape.Info{
		Slug:        Slug,
		Name:        "Yellow Pages",
		Description: "Searches Yellow Pages for every keyword in every location, page after page: one row per listing with its phone, address, website, categories and rating.",
		Columns:     Columns(),
		Params: scrape.BodySchema([]string{"keywords", "locations"}, map[string]any{
			"keywords":  texts(MaxKeywords, "What to search for, e.g. \"plumbers\"."),
			"locations": texts(MaxLocations, "Where, e.g. \"Austin, TX\"."),
			"sort":      map[string]any{"type": "string", "enum": sortNames(), "default": "default"},
			"domain":    map[string]any{"type": "string", "enum": Domains, "description": "Checked; searches go to TRAWL_YELLOW_PAGES_URL."},
			"maxPages": map[string]any{"type": "integer", "minimum": 1, "maximum": MaxPagesLimit, "default": DefaultMaxPages,
				"description": "Pages (of 30) read per keyword × location."},
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
	Keyword  string   `json:"keyword"`
	Location string   `json:"location"`
	Page     int      `json:"page"`
	Base     int      `json:"base"`
	Seen     []string `json:"seen,omitempty"` // listing keys of the page before
}

func pageSpec(t pageTask) (trawl.TaskSpec, error) {
	key, err := json.Marshal([]any{t.Keyword, t.Location, t.Page})
	if err != nil {
		return trawl.TaskSpec{}, err
	}
	payload, err := json.Marshal(t)
	return trawl.TaskSpec{Key: "yp:" + string(key), Payload: payload}, err
}

// Plan implements scrape.Scraper.
func (s *Scraper) Plan(job *trawl.Job) ([]trawl.TaskSpec, error) {
	var p Params
	if err := json.Unmarshal(job.Params, &p); err != nil {
		return nil, fmt.Errorf("read yellow pages params: %w", err)
	}
	var specs []trawl.TaskSpec
	for _, k := range p.Keywords {
		for _, l := range p.Locations {
			sp, err := pageSpec(pageTask{Keyword: k, Location: l, Page: 1})
			if err != nil {
				return nil, err
			}
			specs = append(specs, sp)
		}
	}
	return specs, nil
}

// row is a listing of a job.
type row struct {
	Keyword  string `json:"keyword"`
	Location string `json:"location"`
	Listing
}

// key tells listings apart: their page, else title and phone.
func key(l *Listing) string {
	if l.URL != "" {
		if u, err := url.Parse(l.URL); err == nil {
			return u.Path
		}
	}
	return l.Title + "|" + l.Phone
}

// Run implements scrape.Scraper.
func (s *Scraper) Run(ctx context.Context, job *trawl.Job, tk *trawl.Task) (*scrape.Result, error) {
	var p Params
	if err := json.Unmarshal(job.Params, &p); err != nil {
		return nil, fmt.Errorf("read yellow pages params: %w", err)
	}
	var t pageTask
	if err := json.Unmarshal(tk.Payload, &t); err != nil {
		return nil, fmt.Errorf("read yellow pages task: %w", err)
	}
	page, err := s.Search(ctx, t.Keyword, t.Location, p.Sort, t.Page)
	if err != nil {
		return nil, err
	}
	res := &scrape.Result{Credits: 1}
	var keys []string
	n := t.Base
	for _, l := range page.OrganicResults {
		k := key(&l)
		if slices.Contains(t.Seen, k) || slices.Contains(keys, k) {
			continue
		}
		keys = append(keys, k)
		n++
		l.Position = n
		b, err := json.Marshal(row{Keyword: t.Keyword, Location: t.Location, Listing: l})
		if err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, b)
	}
	if t.Page < p.MaxPages && page.Pagination != nil && page.Pagination.NextPageURL != "" && len(keys) > 0 {
		sp, err := pageSpec(pageTask{Keyword: t.Keyword, Location: t.Location, Page: t.Page + 1, Base: n, Seen: keys})
		if err != nil {
			return nil, err
		}
		res.Next = append(res.Next, sp)
	}
	return res, nil
}

// Search fetches and reads one search page.
func (s *Scraper) Search(ctx context.Context, keyword, location, sort string, page int) (*Page, error) {
	u := SearchURL(s.base, keyword, location, sort, page)
	resp, err := s.fetcher.Fetch(ctx, scrape.Request{URL: u, Header: http.Header{"Accept": {"text/html"}}})
	if err != nil {
		return nil, fmt.Errorf("yellow pages search %q in %q: %w", keyword, location, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("yellow pages search %q in %q: HTTP %d from %s", keyword, location, resp.StatusCode, u)
	}
	p, err := ParsePage(bytes.NewReader(resp.Body), resp.URL)
	if err != nil {
		return nil, fmt.Errorf("yellow pages search %q in %q: %w (from %s)", keyword, location, err, u)
	}
	return p, nil
}

// Endpoints implements GET /scrape/yellowpages/search in HasData's shape.
func (s *Scraper) Endpoints() []scrape.Endpoint {
	lo, hi := 1.0, float64(MaxPagesLimit)
	text := fmt.Sprintf(`^\s*\S.{0,%d}$`, maxTextLen-1)
	return []scrape.Endpoint{{
		Path:        "/scrape/yellowpages/search",
		Summary:     "Search Yellow Pages",
		Description: "One page of a Yellow Pages search (30 listings): searchInformation, organicResults, pagination.",
		Params: []scrape.EndpointParam{
			{Name: "keyword", Type: "string", Required: true, Pattern: text, Description: "What to search for."},
			{Name: "location", Type: "string", Required: true, Pattern: text, Description: "Where, e.g. \"Austin, TX\"."},
			{Name: "page", Type: "integer", Minimum: &lo, Maximum: &hi, Description: "The page, from 1."},
			{Name: "sort", Type: "string", Enum: sortNames()},
			{Name: "domain", Type: "string", Enum: Domains, Description: "Checked; searches go to TRAWL_YELLOW_PAGES_URL."},
		},
		Do: s.syncSearch,
	}}
}

func (s *Scraper) syncSearch(ctx context.Context, q url.Values) (*scrape.EndpointResult, error) {
	var v trawl.Invalid
	kw, loc := strings.TrimSpace(q.Get("keyword")), strings.TrimSpace(q.Get("location"))
	if kw == "" || len(kw) > maxTextLen {
		v.Add("keyword", "is required: 1 to %d characters, such as \"pizza\"", maxTextLen)
	}
	if loc == "" || len(loc) > maxTextLen {
		v.Add("location", "is required: 1 to %d characters, such as \"Austin, TX\"", maxTextLen)
	}
	page := 1
	if raw := strings.TrimSpace(q.Get("page")); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > MaxPagesLimit {
			v.Add("page", "must be a whole number from 1 to %d", MaxPagesLimit)
		}
		page = n
	}
	sort := strings.TrimSpace(q.Get("sort"))
	if sort != "" && !slices.Contains(sortNames(), sort) {
		v.Add("sort", "must be one of: %s", strings.Join(sortNames(), ", "))
	}
	if d := strings.TrimSpace(q.Get("domain")); d != "" && !slices.Contains(Domains, d) {
		v.Add("domain", "must be one of: %s", strings.Join(Domains, ", "))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	p, err := s.Search(ctx, kw, loc, sort, page)
	if err != nil {
		return nil, err
	}
	return &scrape.EndpointResult{Body: p, Credits: 1}, nil
}
