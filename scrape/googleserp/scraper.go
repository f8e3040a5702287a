package googleserp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
)

// Slug is the scraper's path segment: POST /scrapers/google-serp/jobs.
const Slug = "google-serp"

// Limits and defaults.
const (
	MaxKeywords     = 100
	MaxLocations    = 20
	DefaultNum      = 10
	MaxNum          = 100
	DefaultMaxPages = 1
	MaxPagesLimit   = 10
	maxTextLen      = 300
)

var (
	langRE    = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,4})?$`)
	countryRE = regexp.MustCompile(`^[A-Za-z]{2}$`)
	domainRE  = regexp.MustCompile(`^(www\.)?google(\.[a-z]{2,3}){1,2}$`)
	safeVals  = []string{"active", "off"}
	// The same checks as patterns for the description (values are trimmed
	// before they are checked, and an empty one is the parameter left out).
	glPattern     = `^\s*([A-Za-z]{2})?\s*$`
	hlPattern     = `^\s*([A-Za-z]{2,3}(-[A-Za-z0-9]{2,4})?)?\s*$`
	domainPattern = `^\s*(([Ww][Ww][Ww]\.)?[Gg][Oo][Oo][Gg][Ll][Ee](\.[A-Za-z]{2,3}){1,2})?\s*$`
	devices       = []string{"desktop", "mobile", "tablet"}
)

// Params are a google-serp job's parameters, normalised.
type Params struct {
	Keywords   []string `json:"keywords"`
	Locations  []string `json:"locations,omitempty"`
	GL         string   `json:"gl,omitempty"`
	HL         string   `json:"hl,omitempty"`
	Domain     string   `json:"domain,omitempty"`
	Num        int      `json:"num"`
	Tbs        string   `json:"tbs,omitempty"`
	Safe       string   `json:"safe,omitempty"`
	DeviceType string   `json:"deviceType"`
	MaxPages   int      `json:"maxPages"`
}

// options are the settings a job and a synchronous call share.
type options struct {
	GL, HL, Domain, Tbs, Safe, DeviceType string
	Num                                   int
}

// check validates the shared settings, each read by get, into v.
func (o *options) check(v *trawl.Invalid, get func(name string) (string, bool)) {
	text := func(name string, ok func(string) bool, msg string) string {
		s, present := get(name)
		s = strings.TrimSpace(s)
		if present && s != "" && !ok(s) {
			v.Add(name, "%s", msg)
			return ""
		}
		return s
	}
	o.GL = strings.ToLower(text("gl", countryRE.MatchString, "must be a two-letter country code such as \"us\""))
	o.HL = text("hl", langRE.MatchString, "must be a language code such as \"en\" or \"pt-BR\"")
	o.Domain = strings.ToLower(text("domain", func(s string) bool { return domainRE.MatchString(strings.ToLower(s)) },
		"must be a Google domain such as google.com or google.co.uk"))
	o.Tbs = text("tbs", func(s string) bool { return len(s) <= maxTextLen }, "must be at most 300 characters")
	o.Safe = text("safe", func(s string) bool { return slices.Contains(safeVals, s) }, "must be one of: active, off")
	o.DeviceType = text("deviceType", func(s string) bool { return slices.Contains(devices, s) }, "must be one of: desktop, mobile, tablet")
	if o.DeviceType == "" {
		o.DeviceType = "desktop"
	}
	o.Num = DefaultNum
	if s, ok := get("num"); ok && strings.TrimSpace(s) != "" {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > MaxNum {
			v.Add("num", "must be a whole number from 1 to %d", MaxNum)
		} else {
			o.Num = n
		}
	}
}

// ParseParams validates a google-serp create body: keywords (or q), and
// optionally location or locations, gl, hl, domain, num, tbs, safe,
// deviceType, maxPages.
func ParseParams(body []byte) (*Params, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, trawl.Errorf(trawl.EMALFORMED, "The request body is not valid JSON: %v.", err)
	}
	var v trawl.Invalid
	p := &Params{MaxPages: DefaultMaxPages}
	p.Keywords = list(&v, raw, "keywords", "q", MaxKeywords)
	if len(p.Keywords) == 0 && !hasField(&v, "keywords") && !hasField(&v, "q") {
		v.Add("keywords", "is required: 1 to %d search queries", MaxKeywords)
	}
	p.Locations = list(&v, raw, "locations", "location", MaxLocations)
	var o options
	o.check(&v, func(name string) (string, bool) {
		r := raw[name]
		if !scrape.Present(r) {
			return "", false
		}
		var s string
		if json.Unmarshal(r, &s) == nil {
			return s, true
		}
		if name == "num" {
			if n, err := scrape.StrictInt(r); err == nil {
				return strconv.Itoa(n), true
			}
			return "\x00", true // not a whole number: fails its check
		}
		v.Add(name, "must be a string")
		return "", false
	})
	p.GL, p.HL, p.Domain, p.Num, p.Tbs, p.Safe, p.DeviceType = o.GL, o.HL, o.Domain, o.Num, o.Tbs, o.Safe, o.DeviceType
	if r := raw["maxPages"]; scrape.Present(r) {
		n, err := scrape.StrictInt(r)
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

// list reads an array of strings (field) or a single string (alias),
// trimmed, repeats dropped.
func list(v *trawl.Invalid, raw map[string]json.RawMessage, field, alias string, maxItems int) []string {
	var items []string
	name := field
	var one string
	if r := raw[alias]; scrape.Present(r) {
		// Checked even beside field, which wins: a wrong type is refused.
		if err := json.Unmarshal(r, &one); err != nil {
			v.Add(alias, "must be a string")
			return nil
		}
	}
	if r := raw[field]; scrape.Present(r) {
		if err := json.Unmarshal(r, &items); err != nil {
			v.Add(field, "must be an array of strings")
			return nil
		}
	} else if scrape.Present(raw[alias]) {
		items, name = []string{one}, alias
	}
	if len(items) > maxItems {
		v.Add(name, "must hold at most %d items, not %d", maxItems, len(items))
		return nil
	}
	var out []string
	for i, s := range items {
		s = strings.TrimSpace(s)
		switch {
		case s == "" || len(s) > maxTextLen:
			v.Add(fmt.Sprintf("%s[%d]", name, i), "must be 1 to %d characters", maxTextLen)
		case !slices.Contains(out, s):
			out = append(out, s)
		}
	}
	return out
}

func hasField(v *trawl.Invalid, name string) bool {
	return slices.ContainsFunc(v.Fields, func(f trawl.FieldError) bool { return strings.HasPrefix(f.Field, name) })
}

// Scraper is the Google Search scraper: a job searches every keyword in
// every location (or nowhere in particular), a page at a time up to
// maxPages; each page is a task yielding a row per organic result not seen
// on an earlier page of the same search, and the next page's task.
type Scraper struct {
	fetcher *scrape.Fetcher
	base    string
}

var _ scrape.Scraper = (*Scraper)(nil)

// New returns the scraper; baseURL is where searches go ("" means
// DefaultBaseURL).
func New(f *scrape.Fetcher, baseURL string) (*Scraper, error) {
	base, err := scrape.BaseURL(baseURL, DefaultBaseURL, "google search base URL")
	if err != nil {
		return nil, err
	}
	return &Scraper{fetcher: f, base: base}, nil
}

// Columns are a row's fields, in export order.
func Columns() []string {
	return []string{"keyword", "location", "page", "position", "title", "link", "displayedLink", "source", "snippet",
		"snippetHighlitedWords", "date"}
}

// withOneOfRequired makes a body need at least one of fields (a field or
// its one-value alias).
func withOneOfRequired(schema map[string]any, fields ...string) map[string]any {
	var alts []any
	for _, f := range fields {
		alts = append(alts, map[string]any{"required": []any{f}})
	}
	schema["anyOf"] = alts
	return schema
}

// withMin gives an array schema a minimum number of items.
func withMin(schema map[string]any, n int) map[string]any {
	schema["minItems"] = n
	return schema
}

// pattern is a string property checked against re.
func pattern(re, desc string) map[string]any {
	return map[string]any{"type": "string", "pattern": re, "description": desc}
}

// Info implements scrape.Scraper.
func (s *Scraper) Info() scrape.Info {
	texts := func(maxItems int, desc string) map[string]any {
		return map[string]any{"type": "array", "maxItems": maxItems, "description": desc,
			"items": map[string]any{"type": "string", "minLength": 1, "maxLength": maxTextLen}}
	}
	return scrape.Info{
		Slug:        Slug,
		Name:        "Google Search",
		Description: "Searches Google for every keyword (in every location): one row per organic result, with its position, title, link, snippet and date.",
		Columns:     Columns(),
		Params: withOneOfRequired(scrape.BodySchema([]string{}, map[string]any{
			"keywords":   withMin(texts(MaxKeywords, "Search queries (q is accepted for one)."), 1),
			"locations":  texts(MaxLocations, "Canonical locations to search from, e.g. \"Austin,Texas,United States\" (location is accepted for one)."),
			"q":          map[string]any{"type": "string", "pattern": `\S`, "maxLength": maxTextLen, "description": "One search query, in place of keywords."},
			"location":   map[string]any{"type": "string", "pattern": `\S`, "maxLength": maxTextLen, "description": "One location, in place of locations."},
			"gl":         pattern(glPattern, "Country, a two-letter code."),
			"hl":         pattern(hlPattern, "Language, e.g. \"en\"."),
			"domain":     pattern(domainPattern, "Google domain, e.g. google.co.uk (checked; searches go to TRAWL_GOOGLE_SERP_URL)."),
			"num":        map[string]any{"type": "integer", "minimum": 1, "maximum": MaxNum, "default": DefaultNum, "description": "Results per page."},
			"tbs":        map[string]any{"type": "string", "maxLength": maxTextLen, "description": "Google's filters, e.g. \"qdr:d\" (the past day)."},
			"safe":       map[string]any{"type": "string", "enum": safeVals},
			"deviceType": map[string]any{"type": "string", "enum": devices, "default": "desktop"},
			"maxPages":   map[string]any{"type": "integer", "minimum": 1, "maximum": MaxPagesLimit, "default": DefaultMaxPages, "description": "Pages read per keyword × location."},
		}), "keywords", "q"),
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

// pageTask is one results page of one search.
type pageTask struct {
	Keyword  string   `json:"keyword"`
	Location string   `json:"location,omitempty"`
	Page     int      `json:"page"` // from 1
	Base     int      `json:"base"` // results yielded by earlier pages
	Seen     []string `json:"seen,omitempty"`
}

func pageSpec(t pageTask) (trawl.TaskSpec, error) {
	key, err := json.Marshal([]any{t.Keyword, t.Location, t.Page})
	if err != nil {
		return trawl.TaskSpec{}, err
	}
	payload, err := json.Marshal(t)
	return trawl.TaskSpec{Key: "serp:" + string(key), Payload: payload}, err
}

// Plan implements scrape.Scraper: the first page of every keyword ×
// location.
func (s *Scraper) Plan(job *trawl.Job) ([]trawl.TaskSpec, error) {
	var p Params
	if err := json.Unmarshal(job.Params, &p); err != nil {
		return nil, fmt.Errorf("read google serp params: %w", err)
	}
	locs := p.Locations
	if len(locs) == 0 {
		locs = []string{""}
	}
	var specs []trawl.TaskSpec
	for _, k := range p.Keywords {
		for _, l := range locs {
			spec, err := pageSpec(pageTask{Keyword: k, Location: l, Page: 1})
			if err != nil {
				return nil, err
			}
			specs = append(specs, spec)
		}
	}
	return specs, nil
}

// row is one organic result of a job.
type row struct {
	Keyword  string `json:"keyword"`
	Location string `json:"location,omitempty"`
	Page     int    `json:"page"`
	Organic
}

// Run implements scrape.Scraper.
func (s *Scraper) Run(ctx context.Context, job *trawl.Job, tk *trawl.Task) (*scrape.Result, error) {
	var p Params
	if err := json.Unmarshal(job.Params, &p); err != nil {
		return nil, fmt.Errorf("read google serp params: %w", err)
	}
	var t pageTask
	if err := json.Unmarshal(tk.Payload, &t); err != nil {
		return nil, fmt.Errorf("read google serp task: %w", err)
	}
	q := Query{Q: t.Keyword, Location: t.Location, GL: p.GL, HL: p.HL, Num: p.Num, Start: (t.Page - 1) * p.Num, Tbs: p.Tbs, Safe: p.Safe}
	page, err := s.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	res := &scrape.Result{Credits: 1}
	seen := slices.Clone(t.Seen)
	n := t.Base
	for _, o := range page.OrganicResults {
		if slices.Contains(seen, o.Link) {
			continue
		}
		seen = append(seen, o.Link)
		n++
		o.Position = n
		b, err := json.Marshal(row{Keyword: t.Keyword, Location: t.Location, Page: t.Page, Organic: o})
		if err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, b)
	}
	if t.Page < p.MaxPages && page.Pagination != nil && page.Pagination.Next != "" && n > t.Base {
		spec, err := pageSpec(pageTask{Keyword: t.Keyword, Location: t.Location, Page: t.Page + 1, Base: n, Seen: seen})
		if err != nil {
			return nil, err
		}
		res.Next = append(res.Next, spec)
	}
	return res, nil
}

// Search fetches and reads one results page. A status other than 2xx, a
// captcha or a page it cannot read is an error.
func (s *Scraper) Search(ctx context.Context, q Query) (*Page, error) {
	u := q.URL(s.base)
	h := http.Header{}
	if q.HL != "" {
		h.Set("Accept-Language", q.HL)
	}
	resp, err := s.fetcher.Fetch(ctx, scrape.Request{URL: u, Header: h})
	if err != nil {
		return nil, fmt.Errorf("google search %q: %w", q.Q, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("google search %q: HTTP %d from %s", q.Q, resp.StatusCode, u)
	}
	page, err := ParsePage(bytes.NewReader(resp.Body), resp.URL)
	if err != nil {
		return nil, fmt.Errorf("google search %q: %w (from %s)", q.Q, err, u)
	}
	return page, nil
}

// Endpoints implements GET /scrape/google/serp, in HasData's shape.
func (s *Scraper) Endpoints() []scrape.Endpoint {
	p := func(name, typ, desc string, enum ...string) scrape.EndpointParam {
		return scrape.EndpointParam{Name: name, Type: typ, Description: desc, Enum: enum}
	}
	num := func(lo, hi float64) (*float64, *float64) { return &lo, &hi }
	withPattern := func(e scrape.EndpointParam, re string) scrape.EndpointParam { e.Pattern = re; return e }
	withRange := func(e scrape.EndpointParam, lo, hi float64) scrape.EndpointParam {
		e.Minimum, e.Maximum = num(lo, hi)
		return e
	}
	location := p("location", "string", "Canonical location, \"Austin,Texas,United States\".")
	location.MaxLen = len(uuleKey) - 1
	tbs := p("tbs", "string", "Filters, e.g. qdr:d.")
	tbs.MaxLen = maxTextLen
	full := []scrape.EndpointParam{
		{Name: "q", Type: "string", Required: true, Pattern: `\S`, Description: "The query."},
		location,
		p("uule", "string", "An encoded location, used instead of location."),
		withPattern(p("domain", "string", "Google domain (checked; searches go to TRAWL_GOOGLE_SERP_URL)."), domainPattern),
		withPattern(p("gl", "string", "Country, a two-letter code."), glPattern),
		withPattern(p("hl", "string", "Language."), hlPattern),
		withRange(p("num", "integer", "Results per page, 1 to 100."), 1, MaxNum),
		withRange(p("start", "integer", "Offset of the first result."), 0, 1000),
		tbs,
		p("safe", "string", "SafeSearch.", safeVals...),
		p("deviceType", "string", "Accepted; trawl always fetches as its own user agent.", devices...),
		withRange(p("filter", "integer", "0 or 1: similar results."), 0, 1),
		withRange(p("nfpr", "integer", "0 or 1: auto-correction off."), 0, 1),
	}
	return []scrape.Endpoint{{
		Path:        "/scrape/google/serp",
		Summary:     "Search Google",
		Description: "One results page: searchInformation, organicResults, relatedSearches, relatedQuestions, pagination (blocks Google did not show are absent).",
		Params:      full,
		Do:          s.syncSearch,
	}, {
		Path:    "/scrape/google-light/serp",
		Summary: "Search Google (light)",
		Description: "HasData's lighter SERP call: the same page read the same way (searchInformation, organicResults, " +
			"relatedSearches, pagination), without the parameters only the full call takes.",
		Params: slices.DeleteFunc(slices.Clone(full), func(p scrape.EndpointParam) bool {
			return p.Name == "deviceType" || p.Name == "nfpr"
		}),
		Do: func(ctx context.Context, q url.Values) (*scrape.EndpointResult, error) {
			res, err := s.syncSearch(ctx, q)
			if err == nil {
				page := *res.Body.(*Page)
				page.RelatedQuestions = nil
				res.Body = &page
			}
			return res, err
		},
	}}
}

func (s *Scraper) syncSearch(ctx context.Context, q url.Values) (*scrape.EndpointResult, error) {
	var v trawl.Invalid
	query := Query{Q: strings.TrimSpace(q.Get("q")), Location: strings.TrimSpace(q.Get("location")), UULE: strings.TrimSpace(q.Get("uule"))}
	if query.Q == "" {
		v.Add("q", "is required: the search query")
	}
	var o options
	o.check(&v, func(name string) (string, bool) { return q.Get(name), q.Has(name) })
	query.GL, query.HL, query.Num, query.Tbs, query.Safe = o.GL, o.HL, o.Num, o.Tbs, o.Safe
	if !q.Has("num") {
		query.Num = 0 // Google's own default
	}
	if st := strings.TrimSpace(q.Get("start")); st != "" {
		n, err := strconv.Atoi(st)
		if err != nil || n < 0 || n > 1000 {
			v.Add("start", "must be a whole number from 0 to 1000")
		}
		query.Start = n
	}
	for _, name := range []string{"filter", "nfpr"} {
		if val := strings.TrimSpace(q.Get(name)); val != "" && val != "0" && val != "1" {
			v.Add(name, "must be 0 or 1")
		}
	}
	query.Filter, query.Nfpr = strings.TrimSpace(q.Get("filter")), strings.TrimSpace(q.Get("nfpr"))
	if query.Location != "" && query.UULE == "" && UULE(query.Location) == "" {
		v.Add("location", "must be at most %d characters", len(uuleKey)-1)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	page, err := s.Search(ctx, query)
	if err != nil {
		return nil, err
	}
	return &scrape.EndpointResult{Body: page, Credits: 1}, nil
}
