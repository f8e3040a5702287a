package crawler

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"slices"
	"time"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
)

// Slug is the crawler's path segment: POST /scrapers/crawler/jobs.
const Slug = "crawler"

// busyPatience is how long a task waits for its host before it steps aside.
const busyPatience = 300 * time.Millisecond

// Crawler is the website crawler: from each start URL it follows HTML links on
// the same host, breadth first up to maxDepth, one task and one row per URL.
type Crawler struct {
	fetcher *scrape.Fetcher
}

// New returns a crawler that fetches through f.
func New(f *scrape.Fetcher) *Crawler {
	return &Crawler{fetcher: f}
}

var _ scrape.Scraper = (*Crawler)(nil)

// Row is one crawled URL. Exactly the output formats the job asked for are
// present; error is set when the page could not be scraped.
type Row struct {
	URL        string  `json:"url"`
	StatusCode *int    `json:"statusCode"`
	StatusText string  `json:"statusText,omitempty"`
	Title      string  `json:"title,omitempty"`
	Depth      int     `json:"depth"`
	Text       *string `json:"text,omitempty"`
	Markdown   *string `json:"markdown,omitempty"`
	HTML       *string `json:"html,omitempty"`
	Error      string  `json:"error,omitempty"`
}

// task is the payload of one crawl task.
type task struct {
	URL   string `json:"url"`
	Depth int    `json:"depth"`
	// Host is the host of the start URL the page was reached from; links are
	// followed only on it.
	Host string `json:"host"`
}

// Info implements scrape.Scraper.
func (c *Crawler) Info() scrape.Info {
	return scrape.Info{
		Slug:          Slug,
		Name:          "Website crawler",
		Description:   "Crawls websites from start URLs, following links on the same host, and returns each page's text, Markdown or HTML.",
		Columns:       []string{"url", "statusCode", "statusText", "title", "depth", "text", "markdown", "html", "error"},
		OneRowPerTask: true,
		Params: scrape.BodySchema([]string{"urls"}, map[string]any{
			"urls": scrape.URLsSchema(MaxURLs, "Start URLs (http or https)."),
			"maxDepth": map[string]any{"type": "integer", "minimum": 0, "maximum": MaxDepth, "default": 1,
				"description": "How many links away from a start page to go; 0 = the start pages only."},
			"includePaths": patternsSchema("Follow only links whose path matches one of these regular expressions (RE2 syntax)."),
			"excludePaths": patternsSchema("Never follow links whose path matches one of these regular expressions (RE2 syntax)."),
			"outputFormat": map[string]any{"oneOf": []any{
				map[string]any{"type": "array", "minItems": 1, "items": map[string]any{"type": "string", "enum": formats()}},
				map[string]any{"type": "string", "enum": formats()},
			}, "default": []string{FormatText}, "description": "What each row carries: one format or a list of them."},
			"respectRobotsTxt": scrape.RobotsSchema(),
		}),
	}
}

// Parse implements scrape.Scraper.
func (c *Crawler) Parse(body json.RawMessage) (json.RawMessage, error) {
	p, err := ParseParams(body)
	if err != nil {
		return nil, err
	}
	return json.Marshal(p)
}

// Plan implements scrape.Scraper: one task per start URL, at depth 0.
func (c *Crawler) Plan(job *trawl.Job) ([]trawl.TaskSpec, error) {
	var p Params
	if err := json.Unmarshal(job.Params, &p); err != nil {
		return nil, fmt.Errorf("read crawler params: %w", err)
	}
	specs := make([]trawl.TaskSpec, 0, len(p.URLs))
	for _, raw := range p.URLs {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("start url %q: %w", raw, err)
		}
		spec, err := taskSpec(task{URL: raw, Depth: 0, Host: u.Host})
		if err != nil {
			return nil, err
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

func taskSpec(t task) (trawl.TaskSpec, error) {
	b, err := json.Marshal(t)
	return trawl.TaskSpec{Key: t.URL, Payload: b}, err
}

// Run implements scrape.Scraper: fetch one URL, make its row, and follow its
// links when the page is not yet at the job's depth.
func (c *Crawler) Run(ctx context.Context, job *trawl.Job, tk *trawl.Task) (*scrape.Result, error) {
	var p Params
	if err := json.Unmarshal(job.Params, &p); err != nil {
		return nil, fmt.Errorf("read crawler params: %w", err)
	}
	var t task
	if err := json.Unmarshal(tk.Payload, &t); err != nil {
		return nil, fmt.Errorf("read crawler task: %w", err)
	}
	// A crawl's pages are queued together, so most tasks of one job want the
	// same host: step aside while it is saturated rather than hold a worker
	// that another host's task could use.
	if err := c.fetcher.Busy(t.URL, busyPatience); err != nil {
		return nil, err
	}
	row := Row{URL: t.URL, Depth: t.Depth}
	res := &scrape.Result{}
	resp, err := c.fetcher.Fetch(ctx, scrape.Request{URL: t.URL, RespectRobots: p.RespectRobotsTxt})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err() // shutting down: the task runs again later
		}
		row.Error = scrape.DescribeError(err)
		return rowResult(res, row)
	}
	row.StatusCode, row.StatusText = &resp.StatusCode, resp.Status
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		row.Error = scrape.StatusError(resp.StatusCode)
		return rowResult(res, row)
	}
	res.Credits = 1
	contentType := resp.Header.Get("Content-Type")
	if !IsHTML(contentType, resp.Body) {
		mediaType, _, _ := mime.ParseMediaType(contentType)
		if mediaType == "" {
			mediaType = "unknown"
		}
		row.Error = "Not an HTML page (content type " + mediaType + ")."
		return rowResult(res, row)
	}
	final, err := url.Parse(resp.URL)
	if err != nil {
		final, _ = url.Parse(t.URL)
	}
	want := Formats{
		Text:     slices.Contains(p.OutputFormat, FormatText),
		Markdown: slices.Contains(p.OutputFormat, FormatMarkdown),
		HTML:     slices.Contains(p.OutputFormat, FormatHTML),
	}
	page, err := ParsePage(resp.Body, contentType, final, want)
	if err != nil {
		row.Error = "Could not read the page: " + err.Error()
		return rowResult(res, row)
	}
	row.Title = page.Title
	if want.Text {
		row.Text = &page.Text
	}
	if want.Markdown {
		row.Markdown = &page.Markdown
	}
	if want.HTML {
		row.HTML = &page.HTML
	}
	if resp.Truncated {
		row.Error = "The page was cut at the body size limit; the row holds its start."
	}
	if t.Depth < p.MaxDepth {
		next, err := c.follow(&p, t, page.Links)
		if err != nil {
			return nil, err
		}
		res.Next = next
	}
	return rowResult(res, row)
}

// follow turns a page's links into tasks one level deeper: same host as the
// start URL, passing the path patterns.
func (c *Crawler) follow(p *Params, t task, links []string) ([]trawl.TaskSpec, error) {
	m, err := newMatcher(p)
	if err != nil {
		return nil, err
	}
	var out []trawl.TaskSpec
	for _, link := range links {
		u, err := url.Parse(link)
		if err != nil || !SameHost(u, t.Host) || !m.allows(u.Path) || link == t.URL {
			continue
		}
		spec, err := taskSpec(task{URL: link, Depth: t.Depth + 1, Host: t.Host})
		if err != nil {
			return nil, err
		}
		out = append(out, spec)
	}
	return out, nil
}

func rowResult(res *scrape.Result, row Row) (*scrape.Result, error) {
	b, err := json.Marshal(row)
	if err != nil {
		return nil, fmt.Errorf("encode crawler row: %w", err)
	}
	res.Rows = []json.RawMessage{b}
	return res, nil
}

// patternsSchema documents includePaths and excludePaths: up to 50 regular
// expressions, or one as a plain string.
func patternsSchema(description string) map[string]any {
	item := map[string]any{"type": "string", "format": "regex"}
	return map[string]any{"oneOf": []any{
		map[string]any{"type": "array", "maxItems": maxPatterns, "items": item},
		item,
	}, "description": description}
}
