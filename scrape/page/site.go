package page

import (
	"cmp"
	"context"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/trawlhq/trawl/scrape"
)

// Defaults and bounds of SiteOptions.
const (
	DefaultMaxPages = 5               // SiteOptions.MaxPages
	MaxPages        = 20              // the most SiteOptions.MaxPages can ask for
	DefaultTimeout  = 2 * time.Minute // SiteOptions.Timeout
	// maxPerKind caps each list of a site's Contacts.
	maxPerKind = 100
	// maxLinkDepth is how many links away from the given page a page may be
	// (the home page's contact link is 1; a link on that page is 2).
	maxLinkDepth = 2
	// repeatPenalty lowers the score of a candidate whose kind was already
	// visited, so five pages are a contact page, an imprint, an about page…
	// rather than the contact page in five languages.
	repeatPenalty = 40
	// depthPenalty lowers the score of candidates found on pages past the
	// first.
	depthPenalty = 10
)

// SiteOptions tune Extract. The zero value reads the given page and up to five
// more, honours robots.txt, and takes the phone region from the site.
type SiteOptions struct {
	// MaxPages is how many same-site pages are read after the given one,
	// most likely to hold contacts first: 0 means DefaultMaxPages, a
	// negative value none (the given page only); at most MaxPages (20).
	MaxPages int
	// IgnoreRobots reads pages robots.txt disallows for trawl's user agent.
	IgnoreRobots bool
	// Region is the country (ISO 3166-1 alpha-2, e.g. "US") phone numbers
	// written without a country code are read in; the Google Maps scraper
	// passes the place's. "" takes it from the site: its country-code
	// top-level domain (.de, .co.uk), else what its pages say (JSON-LD
	// addressCountry, <html lang="en-US">); with none, only numbers written
	// with a leading + are kept.
	Region string
	// Rate, when > 0, replaces the Fetcher's requests per second to the site
	// (see scrape.Request.Rate).
	Rate float64
	// Timeout bounds the whole site read; pages not read by then are skipped
	// and what was found is returned. 0 means DefaultTimeout (2 minutes).
	Timeout time.Duration
	// Renderer, when set, loads each page in a headless browser
	// (jsRendering) instead of fetching it, images, fonts, stylesheets and
	// ads blocked; nil fetches.
	Renderer Renderer
}

// Contacts is what a website says about how to reach its owner: one row of
// the contacts scraper. Every list is non-nil (an empty JSON array, never
// null), de-duplicated and capped at 100 entries.
type Contacts struct {
	// URL is the site URL as given.
	URL string `json:"url"`
	// Domain is its host, lower-cased, without port or a leading "www.".
	Domain string `json:"domain"`
	// Emails are lower-cased addresses, those on the site's own domain (or
	// a subdomain of it) first, then the others, each in the order found.
	Emails []string `json:"emails"`
	// PhoneNumbers are in E.164 form ("+493012345678"), in the order found.
	PhoneNumbers []string `json:"phoneNumbers"`
	Profiles
	// PagesVisited are the pages read (2xx HTML responses), by final URL,
	// in the order read.
	PagesVisited []string `json:"pagesVisited"`
	// Error says why no page of the site could be read; "" when one was.
	Error string `json:"error,omitempty"`
}

// Extract reads a website's contacts: the page at siteURL, then up to
// opts.MaxPages pages of the same site (same registrable domain) chosen by
// how likely they hold contacts (contact pages, then imprints, about and
// team pages, in several languages; see Link), following links up to two
// away. Pages are fetched one at a time through f, which enforces the
// per-host rate and concurrency limits, robots.txt, retries and the body cap;
// a page disallowed by robots.txt is skipped. siteURL may lack its scheme
// ("acme.de"): http is assumed.
//
// credits counts the successful (2xx) fetches made. A site that cannot be
// read at all (DNS failure, refused by the egress guard, robots.txt, no 2xx
// HTML page) is not an error: the Contacts says why in Error, with empty
// lists. err is non-nil only when ctx ends first; the Contacts is then nil.
// Extract is safe for concurrent use.
func Extract(ctx context.Context, f *scrape.Fetcher, siteURL string, opts SiteOptions) (_ *Contacts, credits int64, err error) {
	switch {
	case opts.MaxPages == 0:
		opts.MaxPages = DefaultMaxPages
	case opts.MaxPages < 0:
		opts.MaxPages = 0
	}
	opts.MaxPages = min(opts.MaxPages, MaxPages)
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	r := &siteReader{f: f, opts: opts, scope: newSiteScope(), seen: map[string]bool{}, taken: map[string]int{},
		seenProf: map[string]bool{}, out: &Contacts{URL: siteURL}}
	start, perr := startURL(siteURL)
	if perr != nil {
		r.out.Error = "Not an http or https URL."
		return r.finish(), 0, nil
	}
	r.out.Domain = strings.TrimPrefix(strings.ToLower(start.Hostname()), "www.")
	r.scope.add(start)
	if _, _, ok := ProfileURL(start.String()); ok {
		// A business whose website is its Facebook page: keep the profile,
		// read that page only.
		r.addProfile(start.String())
		r.opts.MaxPages = 0
	}

	budget, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	if err := r.read(ctx, budget, start); err != nil {
		return nil, 0, err
	}
	return r.finish(), r.credits, nil
}

// siteReader is the state of one Extract.
type siteReader struct {
	f     *scrape.Fetcher
	opts  SiteOptions
	scope *siteScope

	queue []candidate
	seen  map[string]bool // URLs queued or fetched
	taken map[string]int  // candidates fetched, by kind
	order int

	credits   int64
	firstErr  string
	firstHost string
	regions   []string // page region hints, in page order
	emails    orderedSet
	phones    orderedSet // raw
	seenProf  map[string]bool
	out       *Contacts
}

type candidate struct {
	Link
	depth, order int
}

// read fetches the given page, then the best candidates until the page
// budget, the candidates or the time run out.
func (r *siteReader) read(ctx, budget context.Context, start *url.URL) error {
	startURL := start.String()
	r.seen[startURL] = true
	if _, err := r.page(ctx, budget, startURL, 0); err != nil {
		return err
	}
	if start.Path != "/" || start.RawQuery != "" {
		root := &url.URL{Scheme: start.Scheme, Host: start.Host, Path: "/"}
		r.push(Link{URL: root.String(), Kind: "home", Score: homeScore}, 1)
	}
	for visits := 0; visits < r.opts.MaxPages && len(r.queue) > 0 && budget.Err() == nil; {
		c := r.pop()
		fetched, err := r.page(ctx, budget, c.URL, c.depth)
		if err != nil {
			return err
		}
		if fetched {
			visits++
			r.taken[c.Kind]++
		}
	}
	return nil
}

// page fetches and reads one page. fetched reports whether a request was
// made (robots.txt may forbid it); err is set only when ctx ended.
func (r *siteReader) page(ctx, budget context.Context, rawURL string, depth int) (fetched bool, err error) {
	resp, ferr := r.load(budget, rawURL)
	if ferr != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		r.fail(scrape.DescribeError(ferr))
		return !errors.Is(ferr, scrape.ErrRobotsDisallowed), nil
	}
	final, perr := url.Parse(resp.URL)
	if perr != nil {
		final, _ = url.Parse(rawURL)
	}
	if canon, err := NormalizeURL(nil, final.String()); err == nil {
		r.seen[canon] = true
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		r.fail(scrape.StatusError(resp.StatusCode))
		return true, nil
	}
	r.credits++
	contentType := resp.Header.Get("Content-Type")
	if !IsHTML(contentType, resp.Body) {
		mediaType, _, _ := mime.ParseMediaType(contentType)
		if mediaType == "" {
			mediaType = "unknown"
		}
		r.fail("Not an HTML page (content type " + mediaType + ").")
		return true, nil
	}
	if depth == 0 {
		r.scope.add(final) // a redirect to www. or another domain
		r.firstHost = final.Hostname()
	} else if !r.scope.contains(final) {
		return true, nil // redirected off the site (a form provider, a social page): not the site's contacts
	}
	pc := ExtractPage(resp.Body, contentType, final)
	r.out.PagesVisited = append(r.out.PagesVisited, final.String())
	for _, e := range pc.Emails {
		r.emails.add(e)
	}
	for _, p := range pc.Phones {
		r.phones.add(p)
	}
	for _, n := range networks() {
		for _, p := range *pc.Profiles.list(n) {
			r.addProfile(p)
		}
	}
	if pc.Region != "" {
		r.regions = append(r.regions, pc.Region)
	}
	if depth < maxLinkDepth {
		for _, l := range pc.Links {
			l.Score -= depthPenalty * depth
			r.push(l, depth+1)
		}
	}
	return true, nil
}

// load fetches rawURL, or renders it when SiteOptions.Renderer is set.
func (r *siteReader) load(ctx context.Context, rawURL string) (*scrape.Response, error) {
	if r.opts.Renderer == nil {
		return r.f.Fetch(ctx, scrape.Request{URL: rawURL, RespectRobots: !r.opts.IgnoreRobots, Rate: r.opts.Rate})
	}
	pg, err := r.opts.Renderer.Render(ctx, rawURL, RenderOptions{
		BlockResources: true, BlockAds: true, RespectRobots: !r.opts.IgnoreRobots, Rate: r.opts.Rate,
	})
	if err != nil {
		return nil, err
	}
	header := pg.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	header.Set("Content-Type", cmp.Or(pg.ContentType, "text/html; charset=utf-8")) // a DOM is UTF-8 HTML, whatever was served
	return &scrape.Response{URL: pg.URL, StatusCode: pg.StatusCode, Status: pg.Status, Header: header, Body: pg.HTML, Attempts: 1}, nil
}

func (r *siteReader) fail(msg string) {
	if r.firstErr == "" {
		r.firstErr = msg
	}
}

func (r *siteReader) addProfile(raw string) {
	n, canon, ok := ProfileURL(raw)
	if !ok || r.seenProf[canon] {
		return
	}
	if l := r.out.list(n); len(*l) < maxPerKind {
		r.seenProf[canon] = true
		*l = append(*l, canon)
	}
}

// push queues a candidate page unless it is off the site or already queued.
func (r *siteReader) push(l Link, depth int) {
	u, err := url.Parse(l.URL)
	if err != nil || !r.scope.contains(u) || r.seen[l.URL] || l.Score <= 0 {
		return
	}
	r.seen[l.URL] = true
	r.order++
	r.queue = append(r.queue, candidate{Link: l, depth: depth, order: r.order})
}

// pop removes and returns the best candidate: the highest score, lowered by
// repeatPenalty for each page of its kind already fetched; the first found
// among equals.
func (r *siteReader) pop() candidate {
	best := 0
	for i := range r.queue {
		if r.effective(r.queue[i]) > r.effective(r.queue[best]) {
			best = i
		}
	}
	c := r.queue[best]
	r.queue = slices.Delete(r.queue, best, best+1)
	return c
}

func (r *siteReader) effective(c candidate) int {
	return c.Score - repeatPenalty*r.taken[c.Kind]
}

// finish fills the row: ranks emails, normalises phones, turns nil lists
// into empty ones and caps them.
func (r *siteReader) finish() *Contacts {
	out := r.out
	if len(out.PagesVisited) == 0 && out.Error == "" {
		out.Error = r.firstErr
	}
	own := r.scope.ownDomains()
	onOwn := func(e string) bool {
		host := e[strings.IndexByte(e, '@')+1:]
		return slices.ContainsFunc(own, func(d string) bool { return onDomain(host, d) })
	}
	emails := slices.Clone(r.emails.items)
	slices.SortStableFunc(emails, func(a, b string) int {
		switch oa, ob := onOwn(a), onOwn(b); {
		case oa && !ob:
			return -1
		case ob && !oa:
			return 1
		}
		return 0
	})
	out.Emails = emails

	region := r.region()
	var phones orderedSet
	for _, raw := range r.phones.items {
		if p, ok := NormalizePhone(raw, region); ok {
			phones.add(p)
		}
	}
	out.PhoneNumbers = phones.items

	lists := []*[]string{&out.Emails, &out.PhoneNumbers, &out.PagesVisited}
	for _, n := range networks() {
		lists = append(lists, out.list(n))
	}
	for _, l := range lists {
		if *l == nil {
			*l = []string{}
		}
		if len(*l) > maxPerKind {
			*l = (*l)[:maxPerKind]
		}
	}
	return out
}

// region picks the phone region: SiteOptions.Region, the given URL's or the
// first page's country-code TLD, else the first page hint.
func (r *siteReader) region() string {
	if reg := strings.ToUpper(r.opts.Region); knownRegion(reg) {
		return reg
	}
	if u, err := startURL(r.out.URL); err == nil {
		if reg := RegionForHost(u.Hostname()); reg != "" {
			return reg
		}
	}
	if reg := RegionForHost(r.firstHost); reg != "" {
		return reg
	}
	if len(r.regions) > 0 {
		return r.regions[0]
	}
	return ""
}

// startURL reads a site URL, assuming http:// when it has no scheme.
func startURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if !strings.Contains(raw, "://") {
		// "acme.de" or "acme.de:8080/x", but not "mailto:x@acme.de".
		hostPort, _, _ := strings.Cut(raw, "/")
		if _, port, ok := strings.Cut(hostPort, ":"); (ok && (port == "" || strings.Trim(port, "0123456789") != "")) ||
			strings.ContainsAny(hostPort, "@ \t") {
			return nil, errors.New("not a URL")
		}
		raw = "http://" + raw
	}
	canon, err := NormalizeURL(nil, raw)
	if err != nil {
		return nil, err
	}
	return url.Parse(canon)
}

// ContactColumns are the fields of a Contacts row, in export order.
func ContactColumns() []string {
	cols := []string{"url", "domain", "emails", "phoneNumbers"}
	for _, n := range networks() {
		cols = append(cols, string(n))
	}
	return append(cols, "pagesVisited", "error")
}
