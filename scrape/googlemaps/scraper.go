package googlemaps

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/scrape/page"
)

// Slug is the scraper's path segment: POST /scrapers/google-maps/jobs.
const Slug = "google-maps"

// Task kinds.
const (
	kindSearch = "search" // fetch one page of a search's results
	kindPlace  = "place"  // write one place's row (after reading its website, with extractEmails)
)

// Scraper is the Google Maps scraper. A job is one search per search term ×
// location; a search task fetches one page of results and yields one place
// task per place, plus the task of the next page. A place task writes the
// place's row, reading its website for contacts first when the job asks for
// emails. Place tasks are keyed by the place's id, so a place found by
// several searches of a job (or twice by one) is one task and one row: the
// jobs service keeps task keys unique within a job, in the same transaction
// that stores rows, so this holds even when searches run at once.
type Scraper struct {
	fetcher *scrape.Fetcher
	base    string
}

var _ scrape.Scraper = (*Scraper)(nil)

// New returns a Google Maps scraper that fetches through f and sends its
// searches to baseURL (scheme and host, as TRAWL_GOOGLE_MAPS_URL; ""
// means DefaultBaseURL). It fails when baseURL is not an absolute http or
// https URL without a query.
func New(f *scrape.Fetcher, baseURL string) (*Scraper, error) {
	base, err := scrape.BaseURL(baseURL, DefaultBaseURL, "google maps base URL")
	if err != nil {
		return nil, err
	}
	return &Scraper{fetcher: f, base: base}, nil
}

// Columns are the row's fields, in export order. With extractEmails a row
// also has the social profile lists of the contacts scraper, after these.
func Columns() []string {
	return []string{"position", "title", "placeId", "dataId", "kgmid", "address", "phone", "website", "rating", "reviews",
		"type", "types", "price", "description", "openState", "workingHours", "gpsCoordinates", "timezone",
		"plusCode", "thumbnail", "keyword", "location", "emails", "phoneNumbers"}
}

// Info implements scrape.Scraper.
func (s *Scraper) Info() scrape.Info {
	return scrape.Info{
		Slug: Slug,
		Name: "Google Maps",
		Description: "Searches Google Maps for every keyword in every location and returns each place found once: " +
			"name, address, phone, website, rating, hours, coordinates…, and with extractEmails the emails, phone " +
			"numbers and social profiles on its website.",
		Columns: Columns(),
		Params:  searchSchema(),
	}
}

// searchSchema is the JSON Schema of a create body: keywords or categories,
// and locations, are required.
func searchSchema() map[string]any {
	terms := func(desc string) map[string]any {
		return map[string]any{"type": "array", "maxItems": MaxTerms,
			"items":       map[string]any{"type": "string", "minLength": 1, "maxLength": maxTextLen},
			"description": desc}
	}
	schema := scrape.BodySchema([]string{"locations"}, map[string]any{
		"keywords": terms("Search terms (1 to 100 with categories); each is searched in each location."),
		"categories": terms("More search terms, searched like keywords (e.g. \"dentist\"); " +
			"keywords may then be left out."),
		"locations": map[string]any{"type": "array", "minItems": 1, "maxItems": MaxLocations,
			"items": map[string]any{"type": "string", "minLength": 1, "anyOf": []any{
				map[string]any{"maxLength": maxTextLen},
				// The CUSTOM> prefix does not count towards the length.
				map[string]any{"pattern": fmt.Sprintf(`^\s*[Cc][Uu][Ss][Tt][Oo][Mm]>\s*.{1,%d}\s*$`, maxTextLen)},
			}},
			"description": "Where to search, as free text: \"Chicago, IL\" or HasData's \"CUSTOM>New York, NY\"."},
		"extractEmails": map[string]any{"type": "boolean", "default": false,
			"description": "Read each place's website (home page and contact pages) for emails, phone numbers and social profiles."},
		"language": map[string]any{"type": "string", "default": DefaultLanguage, "pattern": languageRE.String(),
			"description": "Language of the results (Google's hl), e.g. \"en\", \"de\", \"pt-BR\"."},
		"maxResultsPerQuery": map[string]any{"type": "integer", "minimum": 1, "maximum": MaxResultsPerQueryLimit,
			"default": DefaultMaxResultsPerQuery, "description": "Most places read per keyword × location (Maps lists about 120)."},
		"coordinates": map[string]any{"type": "string", "pattern": `^\s*` + strings.Trim(coordinatesPattern, "^$") + `\s*$`,
			"description": "The map viewport to search in, \"@latitude,longitude,zoomz\" (zoom 1..21), e.g. \"@40.7455,-74.0083,14z\"."},
		"grid": gridSchema(),
	})
	nonEmpty := func(field string) map[string]any {
		return map[string]any{"required": []string{field}, "properties": map[string]any{field: map[string]any{"minItems": 1}}}
	}
	schema["anyOf"] = []any{nonEmpty("keywords"), nonEmpty("categories")}
	return schema
}

// Parse implements scrape.Scraper.
func (s *Scraper) Parse(body json.RawMessage) (json.RawMessage, error) {
	p, err := ParseParams(body)
	if err != nil {
		return nil, err
	}
	return json.Marshal(p)
}

// task is the payload of a task: one of Search and Place, as Kind says.
type task struct {
	Kind   string      `json:"kind"`
	Search *searchTask `json:"search,omitempty"`
	Place  *placeTask  `json:"place,omitempty"`
	Locate *locateTask `json:"locate,omitempty"`
}

// searchTask is one page of one search.
type searchTask struct {
	Term     string `json:"term"`
	Location string `json:"location"`
	Offset   int    `json:"offset"` // index of the page's first result (pb 8i)
	Base     int    `json:"base"`   // places the search yielded on earlier pages
	// Seen are the keys of those places: a place Maps repeats on a later
	// page is neither yielded nor counted again.
	Seen []string `json:"seen,omitempty"`
	// Cell, in a grid search, is the viewport searched (the term alone,
	// without the location's name); CellIndex tells cells apart.
	Cell      *Coordinates `json:"cell,omitempty"`
	CellIndex int          `json:"cellIndex,omitempty"`
}

// placeTask is one place to write, as its search found it.
type placeTask struct {
	Place  Place  `json:"place"`
	Region string `json:"region,omitempty"` // Place.CountryCode, which the row does not carry
}

// Plan implements scrape.Scraper: the first page of every term × location.
func (s *Scraper) Plan(job *trawl.Job) ([]trawl.TaskSpec, error) {
	p, err := params(job)
	if err != nil {
		return nil, err
	}
	if p.Grid != nil {
		return planGrid(p)
	}
	var specs []trawl.TaskSpec
	for _, term := range p.Terms() {
		for _, loc := range p.Locations {
			spec, err := searchSpec(searchTask{Term: term, Location: loc})
			if err != nil {
				return nil, err
			}
			specs = append(specs, spec)
		}
	}
	return specs, nil
}

func params(job *trawl.Job) (*Params, error) {
	var p Params
	if err := json.Unmarshal(job.Params, &p); err != nil {
		return nil, fmt.Errorf("read google maps params: %w", err)
	}
	return &p, nil
}

// searchSpec keys a search page by term, location and offset.
func searchSpec(t searchTask) (trawl.TaskSpec, error) {
	k := []any{t.Term, t.Location, t.Offset}
	if t.Cell != nil {
		k = append(k, t.CellIndex)
	}
	key, err := json.Marshal(k)
	if err != nil {
		return trawl.TaskSpec{}, err
	}
	payload, err := json.Marshal(task{Kind: kindSearch, Search: &t})
	return trawl.TaskSpec{Key: "search:" + string(key), Payload: payload}, err
}

// PlaceKey is the task key of a place: its place id, else its data id, else
// (a response that lost both) its title and address. Two searches that find
// the same place give it the same key, so the job stores it once.
func PlaceKey(p *Place) string {
	switch {
	case p.PlaceID != "":
		return "place:" + p.PlaceID
	case p.DataID != "":
		return "place:" + p.DataID
	default:
		return "place:?" + p.Title + "|" + p.Address
	}
}

func placeSpec(p Place) (trawl.TaskSpec, error) {
	payload, err := json.Marshal(task{Kind: kindPlace, Place: &placeTask{Place: p, Region: p.CountryCode}})
	return trawl.TaskSpec{Key: PlaceKey(&p), Payload: payload}, err
}

// Run implements scrape.Scraper.
func (s *Scraper) Run(ctx context.Context, job *trawl.Job, tk *trawl.Task) (*scrape.Result, error) {
	p, err := params(job)
	if err != nil {
		return nil, err
	}
	var t task
	if err := json.Unmarshal(tk.Payload, &t); err != nil {
		return nil, fmt.Errorf("read google maps task: %w", err)
	}
	switch {
	case t.Kind == kindSearch && t.Search != nil:
		return s.search(ctx, job, p, t.Search)
	case t.Kind == kindPlace && t.Place != nil:
		return s.place(ctx, p, t.Place)
	case t.Kind == kindLocate && t.Locate != nil:
		return s.locate(ctx, p, t.Locate)
	}
	return nil, fmt.Errorf("google maps task %q: unknown kind %q", tk.Key, t.Kind)
}

// search fetches one page of results and returns a place task for each place
// on it and, unless it was the last, the next page's task. A search never
// yields more distinct places than maxResultsPerQuery, nor more than the
// job's limit: if any one search has that many places, they alone fill the
// limit, so no page past that is needed.
//
// A page that cannot be fetched (after the Fetcher's retries), answers other
// than 2xx or cannot be read is an error naming the search, so the task is
// tried again later.
func (s *Scraper) search(ctx context.Context, job *trawl.Job, p *Params, st *searchTask) (*scrape.Result, error) {
	query, coords := Query(st.Term, st.Location), p.Coordinates
	if st.Cell != nil {
		query, coords = st.Term, st.Cell
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("google maps search %q (results from %d): %w", query, st.Offset, fmt.Errorf(format, args...))
	}
	u := SearchURL(s.base, query, p.Language, coords, st.Offset)
	resp, err := s.fetcher.Fetch(ctx, scrape.Request{URL: u, Header: http.Header{"Accept-Language": {p.Language}}})
	if err != nil {
		return nil, fail("%w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fail("HTTP %d %s from %s", resp.StatusCode, resp.Status, u)
	}
	page, err := ParseSearch(bytes.NewReader(resp.Body))
	if err != nil {
		return nil, fail("%w (from %s)", err, u)
	}
	res := &scrape.Result{Credits: 1}

	limit := p.MaxResultsPerQuery
	if job.Limit > 0 && job.Limit < int64(limit) {
		limit = int(job.Limit)
	}
	seen := slices.Clone(st.Seen)
	yielded := st.Base
	for _, pl := range page.Places {
		if yielded >= limit {
			break
		}
		key := PlaceKey(&pl)
		if slices.Contains(seen, key) {
			continue
		}
		seen = append(seen, key)
		yielded++
		pl.Position = yielded
		pl.Keyword, pl.Location = st.Term, st.Location
		spec, err := placeSpec(pl)
		if err != nil {
			return nil, err
		}
		res.Next = append(res.Next, spec)
	}
	if page.Entries >= PageSize && yielded < limit {
		spec, err := searchSpec(searchTask{Term: st.Term, Location: st.Location, Offset: st.Offset + PageSize,
			Base: yielded, Seen: seen, Cell: st.Cell, CellIndex: st.CellIndex})
		if err != nil {
			return nil, err
		}
		res.Next = append(res.Next, spec)
	}
	return res, nil
}

// row is a place with the contacts of its website (extractEmails).
type row struct {
	*Place
	Emails       []string `json:"emails"`
	PhoneNumbers []string `json:"phoneNumbers"`
	page.Profiles
}

// place writes one place's row. With extractEmails it first reads the
// place's website for contacts, so the row is stored once, complete. A
// website on a social network is not read; its profile link is kept.
func (s *Scraper) place(ctx context.Context, p *Params, pt *placeTask) (*scrape.Result, error) {
	if !p.ExtractEmails {
		b, err := json.Marshal(&pt.Place)
		if err != nil {
			return nil, fmt.Errorf("encode google maps row: %w", err)
		}
		return &scrape.Result{Rows: []json.RawMessage{b}}, nil
	}
	r := row{Place: &pt.Place}
	var credits int64
	switch site := pt.Place.Website; {
	case site == "":
	case isSocial(site):
		r.Profiles.Add(site)
	default:
		c, n, err := page.Extract(ctx, s.fetcher, site, page.SiteOptions{Region: pt.Region})
		if err != nil {
			return nil, fmt.Errorf("read the website of %q (%s): %w", pt.Place.Title, site, err)
		}
		r.Emails, r.PhoneNumbers, r.Profiles, credits = c.Emails, c.PhoneNumbers, c.Profiles, n
	}
	r.fillEmpty()
	b, err := json.Marshal(&r)
	if err != nil {
		return nil, fmt.Errorf("encode google maps row: %w", err)
	}
	return &scrape.Result{Rows: []json.RawMessage{b}, Credits: credits}, nil
}

// isSocial reports whether a website is a social network page rather than
// the business's own site.
func isSocial(site string) bool {
	if !strings.Contains(site, "://") {
		site = "http://" + site
	}
	u, err := url.Parse(site)
	return err == nil && page.IsSocialHost(u.Hostname())
}

// fillEmpty turns every nil list into an empty one: the JSON has [] rather
// than null, as the contacts scraper's rows do.
func (r *row) fillEmpty() {
	for _, l := range []*[]string{&r.Emails, &r.PhoneNumbers, &r.LinkedIn, &r.XCom, &r.Facebook, &r.Instagram,
		&r.YouTube, &r.TikTok, &r.Pinterest, &r.GitHub, &r.Dribbble, &r.Clutch} {
		if *l == nil {
			*l = []string{}
		}
	}
}
