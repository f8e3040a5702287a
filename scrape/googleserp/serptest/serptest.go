// Package serptest fakes Google's results page for tests: GET /search?q=…
// &num=…&start=… answers an HTML page in the shape googleserp.ParsePage
// documents (results as links holding an <h3> in #search, their blocks of
// class "g", snippets of class "VwiC3b", "People also ask" as data-q,
// related searches in #bres, statistics in #result-stats, pages labelled
// "Page N" and #pnnext). It writes that shape on its own, without trawl's
// parser.
package serptest

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

// Result is one organic result. Zero fields are left out of the page.
type Result struct {
	Title, Link, Source, Displayed string
	Snippet                        string // words between * are highlighted: "the *best* pizza"
	Date                           string // "Nov 3, 2025", shown before the snippet
	Redirect                       bool   // link through Google's /url?q=
}

// Search is what one query finds.
type Search struct {
	Results   []Result
	Related   []string // related searches
	Questions []string // "People also ask"
}

// Page writes the results page of s from start, num results.
func Page(query string, s Search, start, num int) []byte {
	var b strings.Builder
	from, to := min(start, len(s.Results)), min(start+num, len(s.Results))
	fmt.Fprintf(&b, `<!doctype html><html><head><title>%s - Google Search</title></head><body>`, html.EscapeString(query))
	if len(s.Results) == 0 {
		fmt.Fprintf(&b, `<div id="topstuff"><p>Your search - <b>%s</b> - did not match any documents.</p></div></body></html>`, html.EscapeString(query))
		return []byte(b.String())
	}
	fmt.Fprintf(&b, `<div id="appbar"><div id="result-stats">About %s results<nobr> (0.%02d seconds)&nbsp;</nobr></div></div>`,
		thousands(len(s.Results)*1370), 31+start%50)
	b.WriteString(`<div id="search"><div id="rso">`)
	for i, r := range s.Results[from:to] {
		href := r.Link
		if r.Redirect {
			href = "/url?q=" + url.QueryEscape(r.Link) + "&sa=U&ved=2ahUKEw"
		}
		fmt.Fprintf(&b, `<div class="MjjYud"><div class="g" data-hveid="CA%d"><div class="yuRUbf"><div><span><a href="%s" data-ved="2ah"><br><h3 class="LC20lb">%s</h3>`,
			i, html.EscapeString(href), html.EscapeString(r.Title))
		b.WriteString(`<div class="notranslate"><div><span class="VuuXrf">` + html.EscapeString(r.Source) + `</span>`)
		if r.Displayed != "" {
			b.WriteString(`<cite role="text">` + html.EscapeString(r.Displayed) + `</cite>`)
		}
		b.WriteString(`</div></div></a></span></div></div><div class="kb0PBd"><div class="VwiC3b" style="-webkit-line-clamp:2">`)
		if r.Date != "" {
			b.WriteString(`<span class="LEwnzc"><span>` + html.EscapeString(r.Date) + `</span> — </span>`)
		}
		for k, part := range strings.Split(r.Snippet, "*") {
			if k%2 == 1 {
				b.WriteString("<em>" + html.EscapeString(part) + "</em>")
			} else {
				b.WriteString(html.EscapeString(part))
			}
		}
		b.WriteString(`</div></div></div></div>`)
		if i == 1 && start == 0 && len(s.Questions) > 0 {
			b.WriteString(`<div class="MjjYud"><div jsname="N760b"><h2>People also ask</h2>`)
			for _, q := range s.Questions {
				fmt.Fprintf(&b, `<div class="related-question-pair" data-q="%s"><span>%s</span></div>`, html.EscapeString(q), html.EscapeString(q))
			}
			b.WriteString(`</div></div>`)
		}
	}
	b.WriteString(`</div></div><div id="botstuff">`)
	if len(s.Related) > 0 && start == 0 {
		b.WriteString(`<div id="bres"><h2>Related searches</h2>`)
		for _, r := range s.Related {
			fmt.Fprintf(&b, `<div class="s75CSd"><a href="/search?q=%s&amp;sa=X"><div><b>%s</b></div></a></div>`, url.QueryEscape(r), html.EscapeString(r))
		}
		b.WriteString(`</div>`)
	}
	b.WriteString(`<div role="navigation"><table class="AaVjTc"><tr>`)
	for p, off := 1, 0; off < len(s.Results); p, off = p+1, off+num {
		if off == start {
			fmt.Fprintf(&b, `<td class="YyVfkd"><span aria-label="Page %d">%d</span></td>`, p, p)
		} else {
			fmt.Fprintf(&b, `<td><a aria-label="Page %d" class="fl" href="/search?q=%s&amp;start=%d">%d</a></td>`, p, url.QueryEscape(query), off, p)
		}
	}
	if to < len(s.Results) {
		fmt.Fprintf(&b, `<td class="d6cvqb"><a id="pnnext" href="/search?q=%s&amp;start=%d"><span>Next</span></a></td>`, url.QueryEscape(query), to)
	}
	b.WriteString(`</tr></table></div></div></body></html>`)
	return []byte(b.String())
}

// Captcha is Google's unusual-traffic page.
func Captcha() []byte {
	return []byte(`<html><body><div>Our systems have detected unusual traffic from your computer network.</div>` +
		`<form id="captcha-form" action="index" method="post"><div class="g-recaptcha"></div></form></body></html>`)
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Request is a search the fake answered.
type Request struct {
	Query, HL, GL, UULE, Tbs string
	Num, Start               int
}

// Server is the fake. Searches are found by q (ignoring case); an unknown
// query has no results.
type Server struct {
	*httptest.Server
	searches  map[string]Search
	intercept func(w http.ResponseWriter, r *http.Request, n int) bool
	mu        sync.Mutex
	reqs      []Request
}

// Start starts a fake and closes it when the test ends. intercept, when
// not nil, sees every request first (n from 1) and answers it itself when
// it returns true.
func Start(tb testing.TB, searches map[string]Search, intercept func(w http.ResponseWriter, r *http.Request, n int) bool) *Server {
	s := &Server{searches: map[string]Search{}, intercept: intercept}
	for q, v := range searches {
		s.searches[strings.ToLower(q)] = v
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req := Request{Query: q.Get("q"), HL: q.Get("hl"), GL: q.Get("gl"), UULE: q.Get("uule"), Tbs: q.Get("tbs"), Num: 10}
	if n, err := strconv.Atoi(q.Get("num")); err == nil {
		req.Num = n
	}
	req.Start, _ = strconv.Atoi(q.Get("start"))
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	n := len(s.reqs)
	s.mu.Unlock()
	if s.intercept != nil && s.intercept(w, r, n) {
		return
	}
	if r.URL.Path != "/search" || req.Query == "" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.Write(Page(req.Query, s.searches[strings.ToLower(req.Query)], req.Start, req.Num))
}

// Requests returns the searches answered so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}
