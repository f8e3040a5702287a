package crawler

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"time"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/scrape/page"
)

// Slug is the crawler's path segment: POST /scrapers/crawler/jobs.
const Slug = "crawler"

// busyPatience is how long a task waits for its host before it steps aside.
// Dispatch queues no more of an account's tasks of a host than the host's
// concurrency, so at the host's own rate a task waits at most about
// concurrency/rate in the worker, asleep; it steps aside (and is snoozed)
// only for longer waits: a Retry-After pause, a slow Crawl-delay, or other
// accounts holding the host's slots on this node.
const busyPatience = 2 * time.Second

// Crawler is the website crawler: from each start URL it follows HTML links on
// the same host, breadth first up to maxDepth, one task and one row per URL.
type Crawler struct {
	engine  *page.Engine
	fetcher *scrape.Fetcher
}

// New returns a crawler that reads pages with e, which fetches through f.
func New(e *page.Engine, f *scrape.Fetcher) *Crawler {
	return &Crawler{engine: e, fetcher: f}
}

var _ scrape.Scraper = (*Crawler)(nil)

// Row is one crawled URL. Exactly the output formats the job asked for are
// present; "json" adds the response headers. The extraction fields are
// present when their option was given; error is set when the page could not
// be scraped.
type Row struct {
	URL           string            `json:"url"`
	StatusCode    *int              `json:"statusCode"`
	StatusText    string            `json:"statusText,omitempty"`
	Title         string            `json:"title,omitempty"`
	Depth         int               `json:"depth"`
	Text          *string           `json:"text,omitempty"`
	Markdown      *string           `json:"markdown,omitempty"`
	HTML          *string           `json:"html,omitempty"`
	Headers       map[string]string `json:"headers,omitempty"`
	ExtractedData map[string]any    `json:"extractedData,omitempty"`
	// AIResponse is the model's answer as a JSON-encoded string, which is
	// how HasData's clients read it from a crawl's rows.
	AIResponse *string   `json:"aiResponse,omitempty"`
	Emails     *[]string `json:"emails,omitempty"`
	Links      *[]string `json:"links,omitempty"`
	// Screenshot is the signed link of the page's screenshot (jsRendering
	// with screenshot).
	Screenshot string `json:"screenshot,omitempty"`
	Error      string `json:"error,omitempty"`
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
	params := scrape.BodySchema([]string{"urls"}, props())
	if c.engine != nil {
		if limits := c.engine.Limits(false); len(limits) > 0 {
			params["allOf"] = limits
		}
	}
	return scrape.Info{
		Slug:        Slug,
		Name:        "Website crawler",
		Description: "Crawls websites from start URLs, following links on the same host, and returns each page's text, Markdown or HTML.",
		Columns: []string{"url", "statusCode", "statusText", "title", "depth", "text", "markdown", "html",
			"headers", "extractedData", "aiResponse", "emails", "links", "screenshot", "error"},
		OneRowPerTask: true,
		Params:        params,
	}
}

// props is the create body's schema: the crawl's own fields and the page
// options.
func props() map[string]any {
	p := page.OptionProps(page.Options{OutputFormat: []string{page.FormatText}})
	p["urls"] = scrape.URLsSchema(MaxURLs, "Start URLs (http or https).")
	p["maxDepth"] = map[string]any{"type": "integer", "minimum": 0, "maximum": MaxDepth, "default": 1,
		"description": "How many links away from a start page to go; 0 = the start pages only."}
	p["includePaths"] = patternsSchema("Follow only links whose path matches one of these regular expressions (RE2 syntax).")
	p["excludePaths"] = patternsSchema("Never follow links whose path matches one of these regular expressions (RE2 syntax).")
	p["respectRobotsTxt"] = scrape.RobotsSchema()
	return p
}

// Parse implements scrape.Scraper.
func (c *Crawler) Parse(body json.RawMessage) (json.RawMessage, error) {
	p, err := ParseParams(body)
	if err != nil {
		return nil, err
	}
	if c.engine != nil {
		var v trawl.Invalid
		c.engine.Check(&v, &p.Options)
		if err := v.Err(); err != nil {
			return nil, err
		}
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
	return trawl.TaskSpec{Key: t.URL, Payload: b, Host: scrape.HostKey(t.URL)}, err
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
	pg, err := c.engine.Scrape(ctx, page.Request{URL: t.URL, Options: &p.Options, RespectRobots: p.RespectRobotsTxt})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err() // shutting down: the task runs again later
		}
		row.Error = scrape.DescribeError(err)
		return rowResult(res, row)
	}
	row.StatusCode, row.StatusText = &pg.StatusCode, pg.StatusText
	if pg.StatusCode < 200 || pg.StatusCode > 299 {
		row.Error = scrape.StatusError(pg.StatusCode)
		return rowResult(res, row)
	}
	res.Credits = pg.Credits
	if !pg.IsHTML {
		mediaType, _, _ := mime.ParseMediaType(pg.ContentType)
		if mediaType == "" {
			mediaType = "unknown"
		}
		row.Error = "Not an HTML page (content type " + mediaType + ")."
		return rowResult(res, row)
	}
	fillRow(&row, pg, &p.Options)
	if pg.Truncated {
		row.Error = "The page was cut at the body size limit; the row holds its start."
	}
	if t.Depth < p.MaxDepth {
		next, err := c.follow(&p, t, pg.PageLinks)
		if err != nil {
			return nil, err
		}
		res.Next = next
	}
	return rowResult(res, row)
}

// fillRow copies a read page into its row.
func fillRow(row *Row, pg *page.Result, o *page.Options) {
	row.Title = pg.Title
	if o.Wants(page.FormatText) {
		row.Text = pg.Text
	}
	if o.Wants(page.FormatMarkdown) {
		row.Markdown = pg.Markdown
	}
	if o.Wants(page.FormatHTML) {
		row.HTML = pg.HTML
	}
	if o.Wants(page.FormatJSON) {
		row.Headers = make(map[string]string, len(pg.Header))
		for k := range pg.Header {
			row.Headers[strings.ToLower(k)] = pg.Header.Get(k)
		}
	}
	if len(o.ExtractRules) > 0 {
		row.ExtractedData = pg.ExtractedData
	}
	if pg.AIResponse != nil {
		b, _ := json.Marshal(pg.AIResponse)
		s := string(b)
		row.AIResponse = &s
		if pg.AIError != "" {
			row.Error = "AI extraction failed: " + pg.AIError
		}
	}
	if o.ExtractEmails {
		row.Emails = &pg.Emails
	}
	if o.ExtractLinks {
		row.Links = &pg.Links
	}
	row.Screenshot = pg.ScreenshotURL
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
		if err != nil || !page.SameHost(u, t.Host) || !m.allows(u.Path) || link == t.URL {
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
