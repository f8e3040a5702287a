// Package yptest fakes Yellow Pages' search page for tests: GET
// /search?search_terms=…&geo_location_terms=…&page=N answers 30 listings a
// page in the markup yellowpages.ParsePage documents (listings of class
// "result" with an <h2 class="n">, "business-name", "phones",
// "street-address", "locality", "track-visit-website", "categories",
// "result-rating" and "count", "open-status", "badges"; "showing-count";
// "pagination" with "next"). It writes that markup on its own, without
// trawl's parser.
package yptest

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Listing is one business. Zero fields are left out.
type Listing struct {
	Name, Slug, Phone, Street, Locality, Website, OpenState string
	Categories, Badges                                      []string
	Stars                                                   string // "four half"
	Reviews                                                 int
}

// Page writes page (from 1) of the listings of a search, 30 a page.
func Page(keyword, location string, listings []Listing, page int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `<!DOCTYPE html><html><head><title>%s in %s | Yellow Pages</title></head><body><div id="main-content">`,
		html.EscapeString(keyword), html.EscapeString(location))
	from, to := min((page-1)*30, len(listings)), min(page*30, len(listings))
	if len(listings) == 0 {
		b.WriteString(`<div id="no-results-main"><h1>No results found for ` + html.EscapeString(keyword) + `</h1></div></div></body></html>`)
		return []byte(b.String())
	}
	fmt.Fprintf(&b, `<div class="pagination"><span class="showing-count">Showing %d-%d of %d</span><ul>`, from+1, to, len(listings))
	if to < len(listings) {
		q := url.Values{"search_terms": {keyword}, "geo_location_terms": {location}, "page": {strconv.Itoa(page + 1)}}
		fmt.Fprintf(&b, `<li><a class="next ajax-page" href="/search?%s" data-page="%d">Next</a></li>`, html.EscapeString(q.Encode()), page+1)
	}
	b.WriteString(`</ul></div><div class="search-results organic">`)
	for i, l := range listings[from:to] {
		fmt.Fprintf(&b, `<div class="result" id="lid-%d"><div class="srp-listing clickable-area"><div class="v-card"><div class="info"><div class="info-section info-primary">`, 1000+from+i)
		fmt.Fprintf(&b, `<h2 class="n">%d.&nbsp;<a class="business-name" href="/austin-tx/mip/%s?lid=%d"><span>%s</span></a></h2>`,
			from+i+1, l.Slug, 1000+from+i, html.EscapeString(l.Name))
		if len(l.Categories) > 0 {
			b.WriteString(`<div class="categories">`)
			for _, c := range l.Categories {
				fmt.Fprintf(&b, `<a href="/austin-tx/%s">%s</a>`, url.PathEscape(strings.ToLower(c)), html.EscapeString(c))
			}
			b.WriteString(`</div>`)
		}
		if l.Stars != "" {
			fmt.Fprintf(&b, `<a class="rating hasExtraRating" href="#"><div class="result-rating %s"></div><span class="count">(%d)</span></a>`, l.Stars, l.Reviews)
		}
		if l.OpenState != "" {
			b.WriteString(`<div class="open-status open">` + html.EscapeString(l.OpenState) + `</div>`)
		}
		b.WriteString(`</div><div class="info-section info-secondary">`)
		if l.Phone != "" {
			b.WriteString(`<div class="phones phone primary">` + html.EscapeString(l.Phone) + `</div>`)
		}
		if l.Street != "" || l.Locality != "" {
			fmt.Fprintf(&b, `<div class="adr"><div class="street-address">%s</div><div class="locality">%s</div></div>`,
				html.EscapeString(l.Street), html.EscapeString(l.Locality))
		}
		if len(l.Badges) > 0 {
			b.WriteString(`<div class="badges">`)
			for _, x := range l.Badges {
				b.WriteString(`<span class="badge">` + html.EscapeString(x) + `</span>`)
			}
			b.WriteString(`</div>`)
		}
		b.WriteString(`<div class="links">`)
		if l.Website != "" {
			fmt.Fprintf(&b, `<a class="track-visit-website" href="%s" rel="nofollow noopener" target="_blank">Website</a>`, html.EscapeString(l.Website))
		}
		b.WriteString(`<a class="track-map-it directions" href="#">Directions</a></div></div></div></div></div></div>`)
	}
	b.WriteString(`</div></div></body></html>`)
	return []byte(b.String())
}

// Server is the fake; searches are found by "keyword|location" (case
// ignored).
type Server struct {
	*httptest.Server
	searches  map[string][]Listing
	intercept func(w http.ResponseWriter, r *http.Request, n int) bool
	mu        sync.Mutex
	reqs      []url.Values
}

// Start starts the fake; intercept, when not nil, sees every request first
// (n from 1) and answers it itself when it returns true.
func Start(tb testing.TB, searches map[string][]Listing, intercept func(w http.ResponseWriter, r *http.Request, n int) bool) *Server {
	s := &Server{searches: map[string][]Listing{}, intercept: intercept}
	for k, v := range searches {
		s.searches[strings.ToLower(k)] = v
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	s.reqs = append(s.reqs, q)
	n := len(s.reqs)
	s.mu.Unlock()
	if s.intercept != nil && s.intercept(w, r, n) {
		return
	}
	if r.URL.Path != "/search" {
		http.NotFound(w, r)
		return
	}
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	kw, loc := q.Get("search_terms"), q.Get("geo_location_terms")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(Page(kw, loc, s.searches[strings.ToLower(kw+"|"+loc)], page))
}

// Requests returns the query of every request so far.
func (s *Server) Requests() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.reqs...)
}
