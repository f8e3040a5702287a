// Package yellowpages implements trawl's Yellow Pages scraper:
// yellow-pages jobs (POST /scrapers/yellow-pages/jobs: every keyword in
// every location, page after page, one row per listing) and the
// synchronous GET /scrape/yellowpages/search, both from one parser
// (ParsePage) over the search page
// {base}/search?search_terms=…&geo_location_terms=…&page=N. Package yptest
// serves such pages for tests.
package yellowpages

import (
	"bytes"
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

// DefaultBaseURL is where searches go unless TRAWL_YELLOW_PAGES_URL says
// otherwise.
const DefaultBaseURL = "https://www.yellowpages.com"

// PageSize is how many listings a search page holds.
const PageSize = 30

const maxPageBytes = 8 << 20

// Sorts are the accepted sort orders (HasData's names) and the search
// page's s parameter for each.
var Sorts = map[string]string{"default": "", "distance": "distance", "averageRating": "average_rating", "name": "name"}

// SearchURL is page (from 1) of the search for keyword in location.
func SearchURL(base, keyword, location, sort string, page int) string {
	q := url.Values{"search_terms": {keyword}, "geo_location_terms": {location}}
	if s := Sorts[sort]; s != "" {
		q.Set("s", s)
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	return strings.TrimRight(base, "/") + "/search?" + q.Encode()
}

// Listing is one organic result, in HasData's shape.
type Listing struct {
	Position   int      `json:"position"`
	Title      string   `json:"title"`
	URL        string   `json:"url,omitempty"`
	Phone      string   `json:"phone,omitempty"`
	Address    string   `json:"address,omitempty"`
	City       string   `json:"city,omitempty"`
	Region     string   `json:"region,omitempty"`
	Zipcode    string   `json:"zipcode,omitempty"`
	Website    string   `json:"website,omitempty"`
	Categories []string `json:"categories,omitempty"`
	Rating     *float64 `json:"rating,omitempty"`
	Reviews    *int     `json:"reviews,omitempty"`
	OpenState  string   `json:"openState,omitempty"`
	Badges     []string `json:"badges,omitempty"`
}

// SearchInformation is the page's "Showing 1-30 of 245" line.
type SearchInformation struct {
	TotalResults int `json:"totalResults"`
}

// Pagination links the search's pages.
type Pagination struct {
	CurrentPage int    `json:"currentPage"`
	TotalPages  int    `json:"totalPages,omitempty"`
	PerPage     int    `json:"perPage"`
	NextPageURL string `json:"nextPageUrl,omitempty"`
}

// Page is one search page.
type Page struct {
	SearchInformation *SearchInformation `json:"searchInformation,omitempty"`
	OrganicResults    []Listing          `json:"organicResults"`
	Pagination        *Pagination        `json:"pagination,omitempty"`
}

var (
	positionRE = regexp.MustCompile(`^\s*([0-9]+)\.\s*`)
	localityRE = regexp.MustCompile(`^(.*?),\s*([A-Z]{2})\s+([0-9]{5}(?:-[0-9]{4})?|[A-Z][0-9][A-Z] ?[0-9][A-Z][0-9])?\s*$`)
	showingRE  = regexp.MustCompile(`(?i)showing\s+([0-9,]+)\s*-\s*([0-9,]+)\s+of\s+([0-9,]+)`)
	countRE    = regexp.MustCompile(`[0-9,]+`)
	ratingWord = map[string]float64{"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
)

// ParsePage reads a search page fetched from base. What it relies on: each
// listing is an element of class "result" holding an <h2 class="n"> ("1.
// Joe's Pizza", whose link of class "business-name" is the listing's
// page); within it, class "phones" is the phone, "street-address" and
// "locality" ("New York, NY 10014") the address, "track-visit-website"
// the website's link, the links in "categories" the categories, the
// classes of "result-rating" the stars ("four half" = 4.5) and "count" the
// reviews, "open-status" the open state and the items of "badges" the
// badges. "showing-count" gives the total; "pagination" the next page
// (class "next"). A listing without a title is skipped; a page with no
// listing and no "no results" notice is an error. It is safe for concurrent
// use.
func ParsePage(r io.Reader, base string) (*Page, error) {
	body, err := io.ReadAll(io.LimitReader(r, maxPageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read search page: %w", err)
	}
	if len(body) > maxPageBytes {
		return nil, fmt.Errorf("search page larger than %d bytes", maxPageBytes)
	}
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("search page is not HTML: %w", err)
	}
	baseURL, _ := url.Parse(base)
	abs := func(href string) string {
		u, err := url.Parse(strings.TrimSpace(href))
		if err != nil || href == "" {
			return ""
		}
		if baseURL != nil {
			u = baseURL.ResolveReference(u)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return ""
		}
		return u.String()
	}
	page := &Page{OrganicResults: []Listing{}}
	dom.Walk(doc, func(n *html.Node) bool {
		if !dom.HasClass(n, "result") {
			return true
		}
		if l, ok := parseListing(n, abs); ok {
			if l.Position == 0 {
				l.Position = len(page.OrganicResults) + 1
			}
			page.OrganicResults = append(page.OrganicResults, l)
		}
		return false
	})
	if len(page.OrganicResults) == 0 && dom.Find(doc, func(n *html.Node) bool {
		return dom.HasClass(n, "search-results") || dom.HasClass(n, "no-results") || dom.Attr(n, "id") == "no-results-main"
	}) == nil {
		return nil, errors.New("not a Yellow Pages search page: it has no results and no \"no results\" notice")
	}
	if sc := dom.Find(doc, func(n *html.Node) bool { return dom.HasClass(n, "showing-count") }); sc != nil {
		if m := showingRE.FindStringSubmatch(dom.TextOf(sc)); m != nil {
			num := func(s string) int { v, _ := strconv.Atoi(strings.ReplaceAll(s, ",", "")); return v }
			from, total := num(m[1]), num(m[3])
			page.SearchInformation = &SearchInformation{TotalResults: total}
			page.Pagination = &Pagination{CurrentPage: max(from-1, 0)/PageSize + 1, TotalPages: (total + PageSize - 1) / PageSize, PerPage: PageSize}
		}
	}
	if pg := dom.Find(doc, func(n *html.Node) bool { return dom.HasClass(n, "pagination") }); pg != nil {
		if next := dom.Find(pg, func(n *html.Node) bool { return n.DataAtom == atom.A && dom.HasClass(n, "next") }); next != nil {
			if page.Pagination == nil {
				page.Pagination = &Pagination{CurrentPage: 1, PerPage: PageSize}
			}
			page.Pagination.NextPageURL = abs(dom.Attr(next, "href"))
		}
	}
	return page, nil
}

func parseListing(n *html.Node, abs func(string) string) (Listing, bool) {
	var l Listing
	h2 := dom.Find(n, func(c *html.Node) bool { return c.DataAtom == atom.H2 && dom.HasClass(c, "n") })
	name := dom.Find(n, func(c *html.Node) bool { return dom.HasClass(c, "business-name") })
	switch {
	case name != nil:
		l.Title = dom.Clean(dom.TextOf(name))
		l.URL = abs(dom.Attr(name, "href"))
	case h2 != nil:
		l.Title = dom.Clean(positionRE.ReplaceAllString(dom.TextOf(h2), ""))
	}
	if h2 != nil {
		if m := positionRE.FindStringSubmatch(dom.TextOf(h2)); m != nil {
			l.Position, _ = strconv.Atoi(m[1])
		}
	}
	if l.Title == "" {
		return Listing{}, false
	}
	text := func(class string) string {
		if c := dom.Find(n, func(c *html.Node) bool { return dom.HasClass(c, class) }); c != nil {
			return dom.Clean(dom.TextOf(c))
		}
		return ""
	}
	l.Phone = text("phones")
	l.Address = text("street-address")
	if loc := text("locality"); loc != "" {
		if m := localityRE.FindStringSubmatch(loc); m != nil {
			l.City, l.Region, l.Zipcode = strings.TrimSpace(m[1]), m[2], m[3]
		} else {
			l.City = loc
		}
	}
	if w := dom.Find(n, func(c *html.Node) bool { return dom.HasClass(c, "track-visit-website") }); w != nil {
		l.Website = abs(dom.Attr(w, "href"))
	}
	if cats := dom.Find(n, func(c *html.Node) bool { return dom.HasClass(c, "categories") }); cats != nil {
		dom.Walk(cats, func(c *html.Node) bool {
			if c.DataAtom == atom.A {
				if t := dom.Clean(dom.TextOf(c)); t != "" && !slices.Contains(l.Categories, t) {
					l.Categories = append(l.Categories, t)
				}
				return false
			}
			return true
		})
	}
	if rr := dom.Find(n, func(c *html.Node) bool { return dom.HasClass(c, "result-rating") }); rr != nil {
		var stars float64
		for _, cl := range strings.Fields(dom.Attr(rr, "class")) {
			if v, ok := ratingWord[cl]; ok {
				stars = v
			}
		}
		if stars > 0 && dom.HasClass(rr, "half") && stars < 5 {
			stars += 0.5
		}
		if stars > 0 {
			l.Rating = &stars
		}
		if c := dom.Find(n, func(c *html.Node) bool { return dom.HasClass(c, "count") }); c != nil {
			if m := countRE.FindString(dom.TextOf(c)); m != "" {
				if v, err := strconv.Atoi(strings.ReplaceAll(m, ",", "")); err == nil {
					l.Reviews = &v
				}
			}
		}
	}
	l.OpenState = text("open-status")
	if b := dom.Find(n, func(c *html.Node) bool { return dom.HasClass(c, "badges") }); b != nil {
		for c := b.FirstChild; c != nil; c = c.NextSibling {
			if t := dom.Clean(dom.TextOf(c)); c.Type == html.ElementNode && t != "" && !slices.Contains(l.Badges, t) {
				l.Badges = append(l.Badges, t)
			}
		}
	}
	return l, true
}
