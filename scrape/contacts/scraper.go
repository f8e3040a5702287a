package contacts

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/scrape/page"
)

// Slug is the contacts scraper's path segment: POST /scrapers/contacts/jobs.
const Slug = "contacts"

// Scraper is the contacts scraper: one task and one row per website, made by
// Extract.
type Scraper struct {
	fetcher *scrape.Fetcher
	// Renderer, when set, renders the pages of jobs asked for with
	// jsRendering; nil fetches them. Set it before the scraper is used.
	Renderer page.Renderer
}

// New returns a contacts scraper that fetches through f.
func New(f *scrape.Fetcher) *Scraper {
	return &Scraper{fetcher: f}
}

var _ scrape.Scraper = (*Scraper)(nil)

// task is the payload of one contacts task.
type task struct {
	URL string `json:"url"`
}

// Columns are the row's fields, in export order.
func Columns() []string { return page.ContactColumns() }

// Info implements scrape.Scraper.
func (s *Scraper) Info() scrape.Info {
	return scrape.Info{
		Slug: Slug,
		Name: "Contacts",
		Description: "Finds the emails, phone numbers and social profiles a website publishes: its given page, " +
			"then its contact, imprint, about and team pages.",
		Columns:       Columns(),
		OneRowPerTask: true,
		Params: scrape.BodySchema([]string{"urls"}, map[string]any{
			"urls": scrape.URLsSchema(MaxURLs, "Websites (http or https); one row each."),
			"maxPagesPerSite": map[string]any{"type": "integer", "minimum": 0, "maximum": page.MaxPages, "default": page.DefaultMaxPages,
				"description": "Same-site pages read after the given one, likeliest to hold contacts first; 0 = the given page only."},
			"respectRobotsTxt": scrape.RobotsSchema(),
			"jsRendering": map[string]any{"type": "boolean", "default": false,
				"description": "Load the pages in a headless browser, when this trawl has one; otherwise they are fetched."},
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

// Plan implements scrape.Scraper: one task per URL.
func (s *Scraper) Plan(job *trawl.Job) ([]trawl.TaskSpec, error) {
	var p Params
	if err := json.Unmarshal(job.Params, &p); err != nil {
		return nil, fmt.Errorf("read contacts params: %w", err)
	}
	specs := make([]trawl.TaskSpec, 0, len(p.URLs))
	for _, u := range p.URLs {
		b, err := json.Marshal(task{URL: u})
		if err != nil {
			return nil, err
		}
		specs = append(specs, trawl.TaskSpec{Key: u, Payload: b})
	}
	return specs, nil
}

// Run implements scrape.Scraper: read one site's contacts into one row. A
// site that cannot be read is a row whose error says why; Run errs only when
// ctx ends (the task then runs again later).
func (s *Scraper) Run(ctx context.Context, job *trawl.Job, tk *trawl.Task) (*scrape.Result, error) {
	var p Params
	if err := json.Unmarshal(job.Params, &p); err != nil {
		return nil, fmt.Errorf("read contacts params: %w", err)
	}
	var t task
	if err := json.Unmarshal(tk.Payload, &t); err != nil {
		return nil, fmt.Errorf("read contacts task: %w", err)
	}
	opts := p.options()
	if p.JSRendering {
		opts.Renderer = s.Renderer
	}
	c, credits, err := page.Extract(ctx, s.fetcher, t.URL, opts)
	if err != nil {
		return nil, err
	}
	row, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode contacts row: %w", err)
	}
	return &scrape.Result{Rows: []json.RawMessage{row}, Credits: credits}, nil
}
