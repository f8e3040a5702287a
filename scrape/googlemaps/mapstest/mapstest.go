// Package mapstest fakes the Google Maps search endpoint for tests. It
// writes responses in the format the Maps web app receives (trawl's
// reference scraping.md §2.4: a ")]}'" line, then JSON whose data[0][1]
// lists the results from index 1, each with its place array at [14]) and
// serves them by query and offset like GET /search?tbm=map&q=…&pb=…!8i<offset>.
//
// It encodes places from the documented index map on its own, without
// trawl's parser, so a test that parses its output checks the parser against
// the documentation rather than against itself.
package mapstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Place is a place as the fake lists it. A zero field is absent from the
// place array (null), as Google leaves out what it does not know.
type Place struct {
	Title   string
	PlaceID string   // "ChIJ…", at [78]
	DataID  string   // "0x…:0x…", at [10]
	Kgmid   string   // "/g/…", at [89]
	Address []string // address lines, at [2]; also "Title, lines" at [18]
	Phone   string   // at [178][0][0]
	// Website is written at [7][0] wrapped in Google's /url?q= redirect,
	// unless RawWebsite.
	Website     string
	RawWebsite  bool
	Rating      float64  // at [4][7]
	Reviews     int      // at [4][8]
	Price       string   // at [4][2]
	Types       []string // at [13]
	Latitude    float64  // at [9][2]; both zero: no coordinates
	Longitude   float64  // at [9][3]
	Timezone    string   // at [30]
	OpenState   string   // at [34][4][4]
	Hours       []Day    // at [34][1], or [203][0] with NewHours
	NewHours    bool
	Description string // at [32][1][1]
	Thumbnail   string // at [72][0][1][6][0]
	PlusCode    string // at [183][2][2][0]
	Country     string // at [183][1][6]
	// Noise adds about this many bytes of other data (review-like text at
	// [175], photo-like URLs at [171]), as real place arrays carry.
	Noise int
}

// Day is one day's opening hours: "Monday", ["7 AM–6 PM"].
type Day struct {
	Day   string
	Hours []string
}

// Hours is one day's opening hours: Hours("Monday", "7–11 AM", "1–6 PM").
func Hours(day string, spans ...string) Day {
	return Day{Day: day, Hours: spans}
}

// placeLen is the length of a place array (real ones are about that long).
const placeLen = 260

// Array returns the place array (data[0][1][i][14]).
func (p Place) Array() []any {
	b := make([]any, placeLen)
	set := func(i int, v any) { b[i] = v }
	if p.Title != "" {
		set(11, p.Title)
	}
	if p.PlaceID != "" {
		set(78, p.PlaceID)
	}
	if p.DataID != "" {
		set(10, p.DataID)
	}
	if p.Kgmid != "" {
		set(89, p.Kgmid)
	}
	if len(p.Address) > 0 {
		lines := make([]any, len(p.Address))
		for i, l := range p.Address {
			lines[i] = l
		}
		set(2, lines)
		set(18, strings.Join(append([]string{p.Title}, p.Address...), ", "))
		set(39, strings.Join(p.Address, ", "))
	}
	if p.Phone != "" {
		set(178, []any{[]any{p.Phone, []any{[]any{p.Phone, 1}}}})
	}
	if p.Website != "" {
		link := p.Website
		if !p.RawWebsite {
			link = "/url?q=" + url.QueryEscape(p.Website) + "&opi=79508299&sa=U&ved=0ahUKEwiQ4pTq2fiJAxV&usg=AOvVaw3"
		}
		host := p.Website
		if u, err := url.Parse(p.Website); err == nil && u.Host != "" {
			host = strings.TrimPrefix(u.Host, "www.")
		}
		set(7, []any{link, host, nil, "0ahUKEwiQ4pTq2fiJAxV"})
	}
	if p.Rating != 0 || p.Reviews != 0 || p.Price != "" {
		r := make([]any, 9)
		if p.Price != "" {
			r[2] = p.Price
		}
		if p.Rating != 0 || p.Reviews != 0 {
			r[7], r[8] = p.Rating, p.Reviews
		}
		set(4, r)
	}
	if len(p.Types) > 0 {
		types := make([]any, len(p.Types))
		for i, t := range p.Types {
			types[i] = t
		}
		set(13, types)
	}
	if p.Latitude != 0 || p.Longitude != 0 {
		set(9, []any{nil, nil, p.Latitude, p.Longitude})
	}
	if p.Timezone != "" {
		set(30, p.Timezone)
	}
	hours := p.Hours
	if p.NewHours {
		days := make([]any, len(hours))
		for i, d := range hours {
			spans := make([]any, len(d.Hours))
			for k, h := range d.Hours {
				spans[k] = []any{h, []any{[]any{7}, []any{18}}}
			}
			days[i] = []any{d.Day, i + 1, []any{2026, 11, 23 + i}, spans, 0, 1}
		}
		set(203, []any{days, nil, nil, 1})
		hours = nil
	}
	if len(hours) > 0 || p.OpenState != "" {
		s := make([]any, 5)
		if len(hours) > 0 {
			days := make([]any, len(hours))
			for i, d := range hours {
				spans := make([]any, len(d.Hours))
				for k, h := range d.Hours {
					spans[k] = h
				}
				days[i] = []any{d.Day, spans}
			}
			s[1] = days
		}
		if p.OpenState != "" {
			s[4] = []any{nil, nil, nil, nil, p.OpenState, nil, nil, 1}
		}
		set(34, s)
	}
	if p.Description != "" {
		set(32, []any{nil, []any{nil, p.Description}})
	}
	if p.Thumbnail != "" {
		set(72, []any{[]any{nil, []any{nil, nil, nil, nil, nil, nil, []any{p.Thumbnail, 80, 106}}}})
	}
	if p.PlusCode != "" || p.Country != "" {
		addr := make([]any, 7)
		if p.Country != "" {
			addr[6] = p.Country
		}
		var code any
		if p.PlusCode != "" {
			code = []any{nil, nil, []any{p.PlusCode, p.PlusCode}}
		}
		set(183, []any{nil, addr, code})
	}
	if p.Noise > 0 {
		var reviews, photos []any
		for n, i := 0, 0; n < p.Noise; i++ {
			text := fmt.Sprintf("Review %d of %s: great place, friendly staff, would come again. ", i, p.Title)
			photo := fmt.Sprintf("https://lh5.googleusercontent.com/p/AF1QipN%08d=w408-h306-k-no", i)
			reviews = append(reviews, []any{[]any{nil, []any{"Reviewer", i}, []any{5, text, nil, []any{2026, 1, i % 28}}}})
			photos = append(photos, []any{nil, nil, "Photo", []any{nil, nil, nil, nil, nil, nil, []any{photo}}})
			n += len(text) + len(photo) + 60
		}
		set(175, []any{nil, nil, nil, []any{1, 2, 3, 4, 5}, nil, nil, nil, nil, nil, []any{reviews}})
		set(171, []any{photos})
	}
	return b
}

// Entry wraps a place array as a result entry (its [14]).
func Entry(place []any) []any {
	e := make([]any, 15)
	e[14] = place
	return e
}

// Entries returns the entries of places.
func Entries(places ...Place) [][]any {
	out := make([][]any, len(places))
	for i, p := range places {
		out[i] = Entry(p.Array())
	}
	return out
}

// Page encodes a response listing entries, ")]}'" line first. With no
// entries the result list is null, as Google answers past the last result.
func Page(query string, entries ...[]any) []byte {
	var list any
	if len(entries) > 0 {
		l := []any{[]any{nil, []any{len(entries), query}}}
		for _, e := range entries {
			l = append(l, e)
		}
		list = l
	}
	data := []any{
		[]any{query, list, nil, []any{nil, []any{3826.9, -73.98, 40.75}}},
		nil,
		"0ahUKEwjB5rXq2fiJAxUQ",
		[]any{[]any{nil, nil, 1}},
	}
	b, err := json.Marshal(data)
	if err != nil {
		panic(err) // only plain values: cannot happen
	}
	return append([]byte(")]}'\n"), b...)
}

// Wrapped is Page inside the {"c":0,"d":"…"}/*""*/ wrapper some Google hosts
// answer with.
func Wrapped(query string, entries ...[]any) []byte {
	b, err := json.Marshal(map[string]any{"c": 0, "d": string(Page(query, entries...)), "e": "0ahUKEwjB"})
	if err != nil {
		panic(err)
	}
	return append(b, `/*""*/`...)
}

// Request is a request the fake answered.
type Request struct {
	Kind     string // "search", "place" or "reviews"
	Query    string // q (search)
	Language string // hl
	Offset   int    // pb's 8i (search)
	PageSize int    // pb's 7i (search) or 1i (reviews)
	PB       string
	// Latitude, Longitude and Zoom are a search's viewport (pb's 3d, 2d, 4f).
	Latitude, Longitude, Zoom float64
	PlaceID, DataID           string // the place asked for (place, reviews)
	Sort                      int    // pb's 3e (reviews)
	Token                     string // pb's 2s (reviews)
}

// Options configure a fake.
type Options struct {
	// Results are the places each search query lists (compared ignoring
	// case); an unknown query has no results.
	Results map[string][]Place
	// Viewport, when set, answers the searches instead of Results: the
	// places query finds in the viewport centred on lat, lng at zoom.
	Viewport func(query string, lat, lng, zoom float64) []Place
	// Places are served as place pages (by place id and by data id) and
	// have reviews.
	Places []Details
	// Intercept, when set, sees every request first (n counts them from 1)
	// and answers it itself when it returns true: a 429, a broken page.
	Intercept func(w http.ResponseWriter, r *http.Request, n int) bool
}

// Server is a fake Maps: GET /search?tbm=map&q=…&pb=… lists the places of
// the query, PageSize of them from pb's offset; GET /maps/place/… serves
// place pages and GET /maps/rpc/listugcposts reviews (details.go). It
// records every request.
type Server struct {
	*httptest.Server
	opts    Options
	results map[string][]Place
	mu      sync.Mutex
	reqs    []Request
	n       int
}

var (
	offsetRE   = regexp.MustCompile(`!8i([0-9]+)`)
	pageSizeRE = regexp.MustCompile(`!7i([0-9]+)`)
	lngRE      = regexp.MustCompile(`!2d(-?[0-9.]+)`)
	latRE      = regexp.MustCompile(`!3d(-?[0-9.]+)`)
	zoomRE     = regexp.MustCompile(`!4f([0-9.]+)`)
)

// NewServer starts a fake serving results (by query) and closes it when the
// test ends.
func NewServer(tb testing.TB, results map[string][]Place) *Server {
	return Start(tb, Options{Results: results})
}

// Start starts a fake with opts and closes it when the test ends.
func Start(tb testing.TB, opts Options) *Server {
	s := &Server{opts: opts, results: map[string][]Place{}}
	for q, places := range opts.Results {
		s.results[strings.ToLower(q)] = places
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.n++
	n := s.n
	s.mu.Unlock()
	if s.opts.Intercept != nil && s.opts.Intercept(w, r, n) {
		return
	}
	switch {
	case r.URL.Path == "/search":
		s.serveSearch(w, r)
	case strings.HasPrefix(r.URL.Path, "/maps/place/"):
		s.servePlace(w, r)
	case r.URL.Path == "/maps/rpc/listugcposts":
		s.serveReviews(w, r)
	default:
		http.Error(w, "not a maps endpoint", http.StatusNotFound)
	}
}

func (s *Server) record(req Request) {
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()
}

func (s *Server) serveSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("tbm") != "map" || q.Get("pb") == "" {
		http.Error(w, "not a maps search", http.StatusBadRequest)
		return
	}
	req := Request{Kind: "search", Query: q.Get("q"), Language: q.Get("hl"), PB: q.Get("pb"), PageSize: 20}
	if m := offsetRE.FindStringSubmatch(req.PB); m != nil {
		req.Offset, _ = strconv.Atoi(m[1])
	}
	if m := pageSizeRE.FindStringSubmatch(req.PB); m != nil {
		req.PageSize, _ = strconv.Atoi(m[1])
	}
	if m := latRE.FindStringSubmatch(req.PB); m != nil {
		req.Latitude, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := lngRE.FindStringSubmatch(req.PB); m != nil {
		req.Longitude, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := zoomRE.FindStringSubmatch(req.PB); m != nil {
		req.Zoom, _ = strconv.ParseFloat(m[1], 64)
	}
	s.record(req)
	places := s.results[strings.ToLower(req.Query)]
	if s.opts.Viewport != nil {
		places = s.opts.Viewport(req.Query, req.Latitude, req.Longitude, req.Zoom)
	}
	from := min(req.Offset, len(places))
	to := min(from+req.PageSize, len(places))
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Write(Page(req.Query, Entries(places[from:to]...)...))
}

// Requests returns the requests answered so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}
