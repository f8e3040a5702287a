package googleserp

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	dom "github.com/trawlhq/trawl/scrape/page"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// DefaultBaseURL is where searches go unless TRAWL_GOOGLE_SERP_URL says
// otherwise.
const DefaultBaseURL = "https://www.google.com"

// maxPageBytes bounds what ParsePage reads; real pages are under 2 MB.
const maxPageBytes = 8 << 20

// Query is one results page to fetch.
type Query struct {
	Q          string
	Location   string // canonical, "Austin,Texas,United States"; sent as uule
	UULE       string // an encoded location, used instead of Location
	GL, HL     string
	Num, Start int
	Tbs, Safe  string
	Filter     string // "0" or "1"
	Nfpr       string // "0" or "1"
}

// URL returns the results page of q under base.
func (q Query) URL(base string) string {
	v := url.Values{"q": {q.Q}}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("hl", q.HL)
	set("gl", q.GL)
	if q.Num > 0 {
		v.Set("num", strconv.Itoa(q.Num))
	}
	if q.Start > 0 {
		v.Set("start", strconv.Itoa(q.Start))
	}
	set("tbs", q.Tbs)
	set("safe", q.Safe)
	set("filter", q.Filter)
	set("nfpr", q.Nfpr)
	switch {
	case q.UULE != "":
		v.Set("uule", q.UULE)
	case q.Location != "":
		v.Set("uule", UULE(q.Location))
	}
	return strings.TrimRight(base, "/") + "/search?" + v.Encode()
}

// uuleKey is the alphabet whose letter at a name's length precedes the
// name in a uule.
const uuleKey = "EFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// UULE encodes a canonical location name as Google's uule parameter:
// "w+CAIQICI", a letter for the name's length, then the name in base64.
// A name longer than the alphabet cannot be encoded; "" then.
func UULE(name string) string {
	if name == "" || len(name) >= len(uuleKey) {
		return ""
	}
	return "w+CAIQICI" + string(uuleKey[len(name)]) + base64.StdEncoding.EncodeToString([]byte(name))
}

// Page is one results page in HasData's shape. A block Google did not show
// is absent (nil), not empty; OrganicResults is always a list.
type Page struct {
	SearchInformation *SearchInformation `json:"searchInformation,omitempty"`
	OrganicResults    []Organic          `json:"organicResults"`
	RelatedSearches   []RelatedSearch    `json:"relatedSearches,omitempty"`
	RelatedQuestions  []RelatedQuestion  `json:"relatedQuestions,omitempty"`
	Pagination        *Pagination        `json:"pagination,omitempty"`
}

// SearchInformation is the "About 1,230,000 results (0.42 seconds)" line.
type SearchInformation struct {
	TotalResults       int64   `json:"totalResults"`
	TimeTakenDisplayed float64 `json:"timeTakenDisplayed,omitempty"`
}

// Organic is one organic result.
type Organic struct {
	Position              int      `json:"position"`
	Title                 string   `json:"title"`
	Link                  string   `json:"link"`
	DisplayedLink         string   `json:"displayedLink,omitempty"`
	Source                string   `json:"source,omitempty"`
	Snippet               string   `json:"snippet,omitempty"`
	SnippetHighlitedWords []string `json:"snippetHighlitedWords,omitempty"` // sic: HasData's spelling
	Date                  string   `json:"date,omitempty"`
}

// RelatedSearch is one "related searches" suggestion.
type RelatedSearch struct {
	Query string `json:"query"`
	Link  string `json:"link,omitempty"`
}

// RelatedQuestion is one "People also ask" question.
type RelatedQuestion struct {
	Question string `json:"question"`
}

// Pagination links the other pages of a search.
type Pagination struct {
	Current    int               `json:"current"`
	Next       string            `json:"next,omitempty"`
	OtherPages map[string]string `json:"otherPages,omitempty"`
}

// ErrBlocked is a page that is Google's "unusual traffic" check, not
// results.
var ErrBlocked = errors.New("google answered with its unusual-traffic check (a captcha), not results")

var (
	statsRE = regexp.MustCompile(`([0-9][0-9.,\x{00a0} ]*)\s+results?(?:\s*\(([0-9.]+)\s*sec)?`)
	// dateRE reads the date Google puts before a snippet: "Nov 3, 2025 — ",
	// "3 days ago · ".
	dateRE = regexp.MustCompile(`^((?:[A-Z][a-z]{2,8}\.? [0-9]{1,2}, [0-9]{4})|(?:[0-9]{1,2} [A-Z][a-z]{2,8}\.? [0-9]{4})|(?:[0-9]+ (?:second|minute|hour|day|week|month|year)s? ago))\s*(?:—|–|-|·)\s*`)
)

// ParsePage reads a results page. base is the URL it was fetched from;
// relative links (the next page, related searches) are made absolute
// against it.
//
// What it relies on: organic results are the links (<a href>) holding an
// <h3> inside the element with id "search" (or "rso"), Google's /url?q=
// redirect removed and Google's own links skipped (id "main" in the
// basic HTML page); a result's block is its
// nearest ancestor with class "g" or "MjjYud" (else the link's
// grandparent), where <cite> is the displayed link, class "VuuXrf" the
// source, an element with data-sncf or class "VwiC3b" (else the block's
// longest text outside the link) the snippet, its <em>/<b> the highlighted
// words and a leading "Nov 3, 2025 — " the date. "People also ask"
// questions are the data-q attributes; related searches the /search links
// inside id "bres"; the statistics are id "result-stats"; the next page is
// id "pnnext" and the other pages the links labelled "Page N".
//
// A page that is Google's captcha is ErrBlocked; one with neither results
// nor Google's "did not match any documents" is an error. It is safe for
// concurrent use.
func ParsePage(r io.Reader, base string) (*Page, error) {
	body, err := io.ReadAll(io.LimitReader(r, maxPageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read results page: %w", err)
	}
	if len(body) > maxPageBytes {
		return nil, fmt.Errorf("results page larger than %d bytes", maxPageBytes)
	}
	if bytes.Contains(body, []byte(`id="captcha-form"`)) || bytes.Contains(body, []byte("/sorry/index")) {
		return nil, ErrBlocked
	}
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("results page is not HTML: %w", err)
	}
	baseURL, _ := url.Parse(base)
	abs := func(href string) string {
		u, err := url.Parse(href)
		if err != nil || baseURL == nil {
			return href
		}
		return baseURL.ResolveReference(u).String()
	}
	page := &Page{OrganicResults: []Organic{}}
	root := byID(doc, "search")
	if root == nil {
		root = byID(doc, "rso")
	}
	if root == nil {
		root = byID(doc, "main") // the basic HTML page some clients get
	}
	if root == nil {
		text := dom.TextOf(doc)
		if strings.Contains(text, "did not match any documents") || strings.Contains(text, "No results found") {
			return page, nil
		}
		return nil, errors.New("not a Google results page: it has no search results element")
	}
	seen := map[string]bool{}
	dom.Walk(root, func(n *html.Node) bool {
		if n.DataAtom != atom.A || dom.Find(n, func(c *html.Node) bool { return c.DataAtom == atom.H3 }) == nil {
			return true
		}
		link := resultLink(dom.Attr(n, "href"))
		if link == "" || seen[link] {
			return false
		}
		seen[link] = true
		h3 := dom.Find(n, func(c *html.Node) bool { return c.DataAtom == atom.H3 })
		o := Organic{Position: len(page.OrganicResults) + 1, Title: dom.Clean(dom.TextOf(h3)), Link: link}
		block := blockOf(n)
		if c := dom.Find(block, func(c *html.Node) bool { return c.DataAtom == atom.Cite }); c != nil {
			o.DisplayedLink = dom.Clean(dom.TextOf(c))
		}
		if s := dom.Find(block, hasClass("VuuXrf")); s != nil {
			o.Source = dom.Clean(dom.TextOf(s))
		}
		if o.Source == "" {
			if u, err := url.Parse(link); err == nil {
				o.Source = strings.TrimPrefix(u.Hostname(), "www.")
			}
		}
		snip := dom.Find(block, func(c *html.Node) bool { return dom.Attr(c, "data-sncf") != "" || hasClass("VwiC3b")(c) })
		if snip == nil {
			snip = longestText(block, n)
		}
		if snip != nil {
			o.Snippet = dom.Clean(dom.TextOf(snip))
			dom.Walk(snip, func(c *html.Node) bool {
				if c.DataAtom == atom.Em || c.DataAtom == atom.B {
					if w := dom.Clean(dom.TextOf(c)); w != "" && !slices.Contains(o.SnippetHighlitedWords, w) {
						o.SnippetHighlitedWords = append(o.SnippetHighlitedWords, w)
					}
					return false
				}
				return true
			})
		}
		if m := dateRE.FindStringSubmatch(o.Snippet); m != nil {
			o.Date, o.Snippet = m[1], strings.TrimSpace(o.Snippet[len(m[0]):])
		}
		page.OrganicResults = append(page.OrganicResults, o)
		return false
	})
	dom.Walk(doc, func(n *html.Node) bool {
		if q := strings.TrimSpace(dom.Attr(n, "data-q")); q != "" {
			page.RelatedQuestions = append(page.RelatedQuestions, RelatedQuestion{Question: q})
		}
		return true
	})
	if bres := byID(doc, "bres"); bres != nil {
		dom.Walk(bres, func(n *html.Node) bool {
			if href := dom.Attr(n, "href"); n.DataAtom == atom.A && strings.HasPrefix(href, "/search?") {
				if q := dom.Clean(dom.TextOf(n)); q != "" {
					page.RelatedSearches = append(page.RelatedSearches, RelatedSearch{Query: q, Link: abs(href)})
				}
				return false
			}
			return true
		})
	}
	if stats := byID(doc, "result-stats"); stats != nil {
		if m := statsRE.FindStringSubmatch(dom.TextOf(stats)); m != nil {
			digits := strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, m[1])
			n, err := strconv.ParseInt(digits, 10, 64)
			if err == nil {
				page.SearchInformation = &SearchInformation{TotalResults: n}
				page.SearchInformation.TimeTakenDisplayed, _ = strconv.ParseFloat(m[2], 64)
			}
		}
	}
	page.Pagination = pagination(doc, abs)
	return page, nil
}

// pagination reads the page links: the current page is the one labelled
// "Page N" without a link (or 1).
func pagination(doc *html.Node, abs func(string) string) *Pagination {
	p := &Pagination{Current: 1, OtherPages: map[string]string{}}
	if next := byID(doc, "pnnext"); next != nil && dom.Attr(next, "href") != "" {
		p.Next = abs(dom.Attr(next, "href"))
	}
	dom.Walk(doc, func(n *html.Node) bool {
		label := dom.Attr(n, "aria-label")
		num, ok := strings.CutPrefix(label, "Page ")
		if !ok {
			return true
		}
		if _, err := strconv.Atoi(num); err != nil {
			return true
		}
		if href := dom.Attr(n, "href"); n.DataAtom == atom.A && href != "" {
			p.OtherPages[num] = abs(href)
		} else if c, err := strconv.Atoi(num); err == nil {
			p.Current = c
		}
		return false
	})
	if p.Next == "" && len(p.OtherPages) == 0 {
		return nil
	}
	if len(p.OtherPages) == 0 {
		p.OtherPages = nil
	}
	return p
}

// resultLink is href without Google's /url?q= redirect; "" for links that
// are not results (Google's own, fragments, javascript:).
func resultLink(href string) string {
	if strings.HasPrefix(href, "/url?") {
		u, err := url.Parse(href)
		if err != nil {
			return ""
		}
		href = u.Query().Get("q")
		if href == "" {
			href = u.Query().Get("url")
		}
	}
	u, err := url.Parse(href)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	if strings.HasPrefix(host, "google.") || strings.Contains(host, ".google.") || strings.HasSuffix(host, ".googleusercontent.com") {
		return ""
	}
	return href
}

// blockOf is a result link's block.
func blockOf(a *html.Node) *html.Node {
	for p := a.Parent; p != nil; p = p.Parent {
		if hasClass("g")(p) || hasClass("MjjYud")(p) {
			return p
		}
	}
	if a.Parent != nil && a.Parent.Parent != nil {
		return a.Parent.Parent
	}
	return a
}

// longestText is the element of block, outside skip, with the longest text
// of its own (40 characters at least).
func longestText(block, skip *html.Node) *html.Node {
	var best *html.Node
	bestLen := 39
	dom.Walk(block, func(n *html.Node) bool {
		if n == skip {
			return false
		}
		if n.Type == html.ElementNode && (n.DataAtom == atom.Span || n.DataAtom == atom.Div) {
			direct := 0
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.TextNode || c.DataAtom == atom.Em || c.DataAtom == atom.B {
					direct += len(strings.TrimSpace(dom.TextOf(c)))
				}
			}
			if direct > bestLen {
				best, bestLen = n, direct
			}
		}
		return true
	})
	return best
}

func byID(n *html.Node, id string) *html.Node {
	return dom.Find(n, func(c *html.Node) bool { return dom.Attr(c, "id") == id })
}

func hasClass(class string) func(*html.Node) bool {
	return func(n *html.Node) bool { return dom.HasClass(n, class) }
}
