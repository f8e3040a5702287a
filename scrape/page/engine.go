package page

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
)

// ErrNoLLM is returned by Engine.Scrape (wrapped) when aiExtractRules is
// asked for and no model is configured.
var ErrNoLLM = errors.New("aiExtractRules needs a language model: set TRAWL_LLM_URL and TRAWL_LLM_MODEL")

// EngineConfig is what an Engine needs. Fetcher is required.
type EngineConfig struct {
	// Fetcher fetches every page that is not rendered; it goes through the
	// egress guard and the per-host politeness limits.
	Fetcher *scrape.Fetcher
	// Renderer, when set, loads pages asked for with jsRendering; nil
	// fetches them without rendering.
	Renderer Renderer
	// LLM, when set, answers aiExtractRules; nil makes them ErrNoLLM.
	LLM *LLM
	// Screenshots, when set, stores the screenshots of rendered pages and
	// gives Result.ScreenshotURL; nil leaves screenshots unstored.
	Screenshots ScreenshotSaver
	// Proxies is the pool the Fetcher's client sends through (nil: direct).
	// When its proxies are labelled, a request's proxyType and proxyCountry
	// choose among them; Result.Proxy says which way a request went.
	Proxies *scrape.ProxyPool
}

// Engine reads pages with their options: fetch (or render), then the tag
// filters, extraction rules, emails and links, then the output formats. It
// is safe for concurrent use.
type Engine struct{ c EngineConfig }

// NewEngine returns an Engine. It panics when c.Fetcher is nil, a wiring bug.
func NewEngine(c EngineConfig) *Engine {
	if c.Fetcher == nil {
		panic("page: EngineConfig.Fetcher is required")
	}
	return &Engine{c: c}
}

// CanAI reports whether aiExtractRules can be answered.
func (e *Engine) CanAI() bool { return e.c.LLM != nil }

// Check adds to v what this trawl cannot do of o: aiExtractRules without a
// model, a proxyType or proxyCountry no labelled proxy pool serves. It is
// called when a request or job is accepted, so that it is refused with a 422
// naming the field rather than failing later.
func (e *Engine) Check(v *trawl.Invalid, o *Options) {
	if len(o.AIExtractRules) > 0 && e.c.LLM == nil {
		v.Add("aiExtractRules", "%s", ErrNoLLM.Error())
	}
	want := scrape.ProxyLabel{Type: o.ProxyType, Country: o.ProxyCountry}
	if _, ok := e.c.Proxies.Route(want); !ok {
		field := "proxyCountry"
		if _, typeOK := e.c.Proxies.Route(scrape.ProxyLabel{Type: o.ProxyType}); !typeOK {
			field = "proxyType"
		}
		v.Add(field, "no proxy in TRAWL_PROXY_URLS is labelled %s; the labelled pools are: %s", want, e.labels())
	}
	if field := browserOnly(o); field != "" && e.c.Renderer == nil {
		v.Add(field, "needs a headless browser, and %s", ErrNoBrowser.Error())
	}
}

// browserOnly names the first option of o that only a browser can honour,
// or "". jsRendering alone is not one: without a browser the page is
// fetched, and Result.RenderNote says so.
func browserOnly(o *Options) string {
	if !o.JSRendering {
		return ""
	}
	switch {
	case o.Wait > 0:
		return "wait"
	case o.WaitFor != "":
		return "waitFor"
	case len(o.JSScenario) > 0:
		return "jsScenario"
	case o.Screenshot:
		return "screenshot"
	}
	return ""
}

// labels lists the labels of the proxy pool, for error messages.
func (e *Engine) labels() string {
	return strings.Join(e.c.Proxies.Labels(), ", ")
}

// Request is one page to read.
type Request struct {
	URL           string
	Options       *Options
	RespectRobots bool    // check robots.txt first (crawler jobs); /scrape/web does not
	Rate          float64 // per-job requests per second to the host; 0 = the Fetcher's
}

// Result is a page read with its options. The format fields are set only for
// the formats asked for (or, for HTML, always when nothing was asked for);
// the extraction fields only when their option was given.
type Result struct {
	URL        string      // final URL
	StatusCode int         // the target's status, e.g. 404
	StatusText string      // e.g. "Not Found"
	Header     http.Header // the target's response headers
	// ContentType is the response's media type ("text/html").
	ContentType string
	Title       string
	// HTML is the page as served, decoded to UTF-8, or re-serialised after
	// excludeTags, includeOnlyTags and removeBase64Images. A body that is not
	// HTML (XML, JSON, text) is kept as it is.
	HTML     *string
	Text     *string
	Markdown *string
	// ExtractedData holds the extractRules results: string, []string or nil.
	ExtractedData map[string]any
	// AIResponse is the model's answer to aiExtractRules; AIError says why
	// there is none (the model failed; AIResponse then holds nulls).
	AIResponse map[string]any
	AIError    string
	Emails     []string
	Links      []string
	// Links of the page, whether or not extractLinks was asked for (for the
	// crawler to follow).
	PageLinks []string
	// Rendered says a browser loaded the page; RenderNote explains when
	// jsRendering was asked for and the page was fetched without rendering.
	Rendered   bool
	RenderNote string
	Screenshot []byte
	// ScreenshotURL is the signed link of Screenshot, when
	// EngineConfig.Screenshots stored it.
	ScreenshotURL string
	// Proxy is how the request left: "direct", "pool" (TRAWL_PROXY_URLS,
	// unlabelled) or the label of the proxies that served it
	// ("datacenter/US").
	Proxy string
	// IsHTML says the body was parsed as HTML.
	IsHTML    bool
	Truncated bool
	Credits   int64
}

// Scrape reads one page. It fails only when no response was obtained (the
// error says why; scrape.DescribeError words it for a user), when ctx ends,
// or with ErrNoLLM. Any HTTP status is a Result.
func (e *Engine) Scrape(ctx context.Context, req Request) (*Result, error) {
	o := req.Options
	if o == nil {
		o = &Options{}
	}
	if len(o.AIExtractRules) > 0 && e.c.LLM == nil {
		return nil, ErrNoLLM
	}
	want := scrape.ProxyLabel{Type: o.ProxyType, Country: o.ProxyCountry}
	route, ok := e.c.Proxies.Route(want)
	if !ok {
		return nil, fmt.Errorf("%w: no proxy is labelled %s", scrape.ErrNoProxy, want)
	}
	if e.c.Proxies.Labelled() {
		ctx = scrape.WithProxyLabel(ctx, want)
	}
	res := &Result{Proxy: route}
	header := make(http.Header, len(o.Headers))
	for k, v := range o.Headers {
		header.Set(k, v)
	}
	var body []byte
	switch {
	case o.JSRendering && e.c.Renderer != nil:
		r, err := e.c.Renderer.Render(ctx, req.URL, RenderOptions{
			Header: header, Wait: time.Duration(o.Wait) * time.Millisecond, WaitFor: o.WaitFor, Scenario: o.JSScenario,
			Screenshot: o.Screenshot, BlockResources: o.BlockResources, BlockAds: o.BlockAds, BlockURLs: o.BlockURLs,
			RespectRobots: req.RespectRobots, Rate: req.Rate,
		})
		if err != nil {
			return nil, fmt.Errorf("render %s: %w", req.URL, err)
		}
		res.URL, res.StatusCode, res.StatusText, res.Header = r.URL, r.StatusCode, r.Status, r.Header
		res.Rendered, res.Screenshot, body = true, r.Screenshot, r.HTML
		res.ContentType = cmp.Or(r.ContentType, "text/html; charset=utf-8")
		if len(r.Screenshot) > 0 && e.c.Screenshots != nil {
			link, err := e.c.Screenshots.SaveScreenshot(ctx, r.Screenshot)
			if err != nil {
				return nil, fmt.Errorf("store the screenshot of %s: %w", req.URL, err)
			}
			res.ScreenshotURL = link
		}
	case browserOnly(o) != "":
		return nil, fmt.Errorf("%s: %w", browserOnly(o), ErrNoBrowser)
	default:
		if o.JSRendering {
			res.RenderNote = "jsRendering was asked for, but this trawl has no browser configured: the page was fetched without rendering."
		}
		resp, err := e.c.Fetcher.Fetch(ctx, scrape.Request{URL: req.URL, Header: header, RespectRobots: req.RespectRobots, Rate: req.Rate})
		if err != nil {
			return nil, err
		}
		res.URL, res.StatusCode, res.StatusText, res.Header = resp.URL, resp.StatusCode, resp.Status, resp.Header
		res.Truncated, body = resp.Truncated, resp.Body
		res.ContentType = resp.Header.Get("Content-Type")
	}
	if res.Header == nil {
		res.Header = http.Header{}
	}
	if res.StatusCode >= 200 && res.StatusCode <= 299 {
		res.Credits = 1
	}
	final, err := url.Parse(res.URL)
	if err != nil {
		final, _ = url.Parse(req.URL)
	}
	if err := e.apply(ctx, res, body, final, o); err != nil {
		return nil, err
	}
	return res, nil
}

// apply runs the options over body.
func (e *Engine) apply(ctx context.Context, res *Result, body []byte, final *url.URL, o *Options) error {
	res.IsHTML = IsHTML(res.ContentType, body)
	wantHTML := o.Wants(FormatHTML) || len(o.OutputFormat) == 0
	if !res.IsHTML {
		s, err := DecodeHTML(body, res.ContentType)
		if err != nil {
			s = strings.ToValidUTF8(string(body), "\uFFFD")
		}
		if wantHTML {
			res.HTML = &s
		}
		if o.Wants(FormatText) {
			res.Text = &s
		}
		if o.Wants(FormatMarkdown) {
			res.Markdown = &s
		}
		if len(o.ExtractRules) > 0 {
			res.ExtractedData = applyRules(&html.Node{Type: html.DocumentNode}, o.ExtractRules, urlResolver{final})
		}
		if o.ExtractEmails {
			res.Emails = nonNil(ExtractPage(body, res.ContentType, final).Emails)
		}
		if o.ExtractLinks {
			res.Links = []string{}
		}
		return e.ai(ctx, res, s, o)
	}
	decoded, err := DecodeHTML(body, res.ContentType)
	if err != nil {
		decoded = strings.ToValidUTF8(string(body), "\uFFFD")
	}
	doc, err := html.Parse(strings.NewReader(decoded))
	if err != nil {
		return e.unparsable(ctx, res, decoded, o)
	}
	docBase := documentBase(doc, final)
	res.Title = title(doc)
	res.PageLinks = links(doc, docBase)
	if o.ExtractLinks {
		res.Links = nonNil(res.PageLinks)
	}
	if len(o.ExtractRules) > 0 {
		res.ExtractedData = applyRules(doc, o.ExtractRules, urlResolver{docBase})
	}
	if o.ExtractEmails {
		res.Emails = nonNil(ExtractPage(body, res.ContentType, final).Emails)
	}
	changed := len(o.IncludeOnlyTags) > 0 || len(o.ExcludeTags) > 0 || o.RemoveBase64Images
	if len(o.IncludeOnlyTags) > 0 {
		doc = includeOnlyTags(doc, o.IncludeOnlyTags)
	}
	excludeTags(doc, o.ExcludeTags)
	if o.RemoveBase64Images {
		removeBase64Images(doc)
	}
	if wantHTML {
		s := decoded
		if changed {
			var b strings.Builder
			if err := html.Render(&b, doc); err == nil {
				s = b.String()
			}
		}
		res.HTML = &s
	}
	if o.Wants(FormatText) {
		var w textWriter
		w.walk(doc, false)
		s := w.String()
		res.Text = &s
	}
	var md string
	if o.Wants(FormatMarkdown) || len(o.AIExtractRules) > 0 {
		// Last: the conversion rewrites doc in place.
		if md, err = markdown(doc, docBase); err != nil {
			md = ""
		}
		if o.Wants(FormatMarkdown) {
			res.Markdown = &md
		}
	}
	return e.ai(ctx, res, md, o)
}

// unparsable fills the formats of an HTML body the parser gave up on
// (nesting deeper than 512): the decoded source stands for every format.
func (e *Engine) unparsable(ctx context.Context, res *Result, decoded string, o *Options) error {
	if o.Wants(FormatHTML) || len(o.OutputFormat) == 0 {
		res.HTML = &decoded
	}
	if o.Wants(FormatText) {
		res.Text = &decoded
	}
	if o.Wants(FormatMarkdown) {
		res.Markdown = &decoded
	}
	return e.ai(ctx, res, decoded, o)
}

// ai answers aiExtractRules from the page's Markdown. A model failure is
// kept in the Result (AIError, with every field null), not returned: the
// page itself was read.
func (e *Engine) ai(ctx context.Context, res *Result, markdown string, o *Options) error {
	if len(o.AIExtractRules) == 0 {
		return nil
	}
	answer, err := e.c.LLM.Extract(ctx, markdown, o.AIExtractRules)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		res.AIResponse, res.AIError = nullAnswer(o.AIExtractRules), err.Error()
		return nil
	}
	res.AIResponse = answer
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// urlResolver makes attribute URLs absolute against a page's base.
type urlResolver struct{ base *url.URL }

func (r urlResolver) resolve(ref string) string {
	if r.base == nil {
		return ref
	}
	u, err := r.base.Parse(strings.TrimSpace(ref))
	if err != nil {
		return ref
	}
	return u.String()
}
