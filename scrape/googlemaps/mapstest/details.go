package mapstest

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Details are what a place page and the reviews endpoint serve of a place.
type Details struct {
	Place   Place
	CID     string  // at [25][3][0][13][0][0][1] of the page's data
	Images  []Image // at the place array's [171][0]
	Reviews []Review
}

// Image is one photo of a place: its title at [2], its URL at [3][0][6][0].
type Image struct {
	Title string
	URL   string
}

// Review is a review as the fake lists it. A zero field is absent.
type Review struct {
	ID            string    // at [0]
	Author        string    // at [1][4][5][0]
	Avatar        string    // at [1][4][5][1]
	ContributorID string    // in the profile link at [1][4][2][0]
	When          string    // "2 weeks ago", at [1][6]
	Posted        time.Time // microseconds at [1][2]
	Rating        int       // at [2][0][0]
	Text          string    // at [2][15][0][0]
	Language      string    // at [2][14][0]
	Images        []string  // each at [2][2][k][1][6][0]
	Reply         string    // the owner's, at [3][14][0][0]
	ReplyPosted   time.Time // microseconds at [3][1]
}

// Array returns the review's array (data[2][i][0]).
func (r Review) Array() []any {
	el := make([]any, 6)
	el[0] = r.ID
	meta := make([]any, 14)
	if !r.Posted.IsZero() {
		meta[2] = float64(r.Posted.UnixMicro())
		meta[3] = float64(r.Posted.UnixMicro())
	}
	if r.Author != "" || r.ContributorID != "" {
		author := make([]any, 6)
		if r.ContributorID != "" {
			author[2] = []any{"https://www.google.com/maps/contrib/" + r.ContributorID + "?hl=en"}
		}
		author[5] = []any{r.Author, r.Avatar, nil, r.ContributorID}
		meta[4] = author
	}
	if r.When != "" {
		meta[6] = r.When
	}
	meta[13] = []any{"Google", nil, nil, nil, 5}
	el[1] = meta
	body := make([]any, 16)
	if r.Rating != 0 {
		body[0] = []any{r.Rating}
	}
	if len(r.Images) > 0 {
		imgs := make([]any, len(r.Images))
		for i, u := range r.Images {
			imgs[i] = []any{"photo" + strconv.Itoa(i), []any{nil, nil, nil, nil, nil, nil, []any{u, 400, 300}}}
		}
		body[2] = imgs
	}
	if r.Language != "" {
		body[14] = []any{r.Language}
	}
	if r.Text != "" {
		body[15] = []any{[]any{r.Text, nil, []any{0, len(r.Text)}}}
	}
	el[2] = body
	if r.Reply != "" {
		reply := make([]any, 15)
		if !r.ReplyPosted.IsZero() {
			reply[1] = float64(r.ReplyPosted.UnixMicro())
		}
		reply[14] = []any{[]any{r.Reply}}
		el[3] = reply
	}
	return el
}

// ReviewsResponse encodes one reviews response: ")]}'", then JSON whose [1]
// is next (null on the last page) and [2] the reviews.
func ReviewsResponse(next string, reviews ...Review) []byte {
	var tok any
	if next != "" {
		tok = next
	}
	var list any
	if len(reviews) > 0 {
		l := make([]any, len(reviews))
		for i, r := range reviews {
			l[i] = []any{r.Array(), 1}
		}
		list = l
	}
	b, err := json.Marshal([]any{nil, tok, list, nil, []any{"0ahUKEwj"}})
	if err != nil {
		panic(err)
	}
	return append([]byte(")]}'\n"), b...)
}

// PlacePage encodes the place page of d: HTML whose script sets
// APP_INITIALIZATION_STATE, with the place's data string at [3][2][6].
func PlacePage(d Details) []byte {
	place := d.Place.Array()
	if len(d.Images) > 0 {
		imgs := make([]any, len(d.Images))
		for i, im := range d.Images {
			imgs[i] = []any{nil, nil, im.Title, []any{[]any{nil, nil, nil, nil, nil, nil, []any{im.URL, 408, 306}}}}
		}
		place[171] = []any{imgs}
	}
	jd := make([]any, 30)
	jd[6] = place
	if d.CID != "" {
		jd[25] = []any{nil, nil, nil, []any{[]any{nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
			[]any{[]any{[]any{nil, d.CID}}}}}}
	}
	data, err := json.Marshal(jd)
	if err != nil {
		panic(err)
	}
	return statePage(d.Place.Title, string(append([]byte(")]}'\n"), data...)))
}

// EmptyPlacePage is the Maps page served for an id that names no place.
func EmptyPlacePage() []byte {
	return statePage("Google Maps", "")
}

func statePage(title, data string) []byte {
	var slot any
	if data != "" {
		slot = data
	}
	state := []any{[]any{[]any{3826.9, -73.98, 40.75}}, nil, nil,
		[]any{[]any{"", nil, nil}, nil, []any{nil, nil, nil, nil, nil, nil, slot}}, nil}
	b, err := json.Marshal(state)
	if err != nil {
		panic(err)
	}
	return []byte(fmt.Sprintf("<!DOCTYPE html><html><head><title>%s - Google Maps</title></head><body>"+
		"<script>window.APP_OPTIONS=[1];window.APP_INITIALIZATION_STATE=%s;window.APP_FLAGS=[];</script>"+
		"</body></html>", html.EscapeString(title), b))
}

var (
	pagePlaceIDRE = regexp.MustCompile(`place_id:([A-Za-z0-9_-]+)`)
	pageDataIDRE  = regexp.MustCompile(`!1s(0x[0-9a-fA-F]+:0x[0-9a-fA-F]+)`)
	reviewsDataRE = regexp.MustCompile(`!1m6!1s([^!]+)`)
	reviewsSizeRE = regexp.MustCompile(`!2m3!1i([0-9]+)`)
	reviewsTokRE  = regexp.MustCompile(`!2s([^!]*)`)
	reviewsSortRE = regexp.MustCompile(`!3e([0-9])`)
)

func (s *Server) find(placeID, dataID string) (Details, bool) {
	for _, d := range s.opts.Places {
		if (placeID != "" && d.Place.PlaceID == placeID) || (dataID != "" && d.Place.DataID == dataID) {
			return d, true
		}
	}
	return Details{}, false
}

func (s *Server) servePlace(w http.ResponseWriter, r *http.Request) {
	req := Request{Kind: "place", Language: r.URL.Query().Get("hl")}
	if m := pagePlaceIDRE.FindStringSubmatch(r.URL.Query().Get("q")); m != nil {
		req.PlaceID = m[1]
	}
	if m := pageDataIDRE.FindStringSubmatch(r.URL.Path); m != nil {
		req.DataID = m[1]
	}
	s.record(req)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	d, ok := s.find(req.PlaceID, req.DataID)
	if !ok {
		w.Write(EmptyPlacePage())
		return
	}
	w.Write(PlacePage(d))
}

// serveReviews answers a reviews page: the place's reviews in the order pb's
// 3e asks for (1 as listed, 2 newest first, 3 highest rating first, 4
// lowest), PageSize from the offset the token names ("t<offset>").
func (s *Server) serveReviews(w http.ResponseWriter, r *http.Request) {
	pb := r.URL.Query().Get("pb")
	req := Request{Kind: "reviews", Language: r.URL.Query().Get("hl"), PB: pb, PageSize: 10, Sort: 1}
	if m := reviewsDataRE.FindStringSubmatch(pb); m != nil {
		req.DataID = m[1]
	}
	if m := reviewsSizeRE.FindStringSubmatch(pb); m != nil {
		req.PageSize, _ = strconv.Atoi(m[1])
	}
	if m := reviewsTokRE.FindStringSubmatch(pb); m != nil {
		req.Token = m[1]
	}
	if m := reviewsSortRE.FindStringSubmatch(pb); m != nil {
		req.Sort, _ = strconv.Atoi(m[1])
	}
	s.record(req)
	d, ok := s.find("", req.DataID)
	if !ok {
		http.Error(w, "no such place", http.StatusNotFound)
		return
	}
	reviews := slices.Clone(d.Reviews)
	switch req.Sort {
	case 2:
		slices.SortStableFunc(reviews, func(a, b Review) int { return b.Posted.Compare(a.Posted) })
	case 3:
		slices.SortStableFunc(reviews, func(a, b Review) int { return b.Rating - a.Rating })
	case 4:
		slices.SortStableFunc(reviews, func(a, b Review) int { return a.Rating - b.Rating })
	}
	from := 0
	if t, ok := strings.CutPrefix(req.Token, "t"); ok {
		from, _ = strconv.Atoi(t)
	}
	from = min(max(from, 0), len(reviews))
	to := min(from+max(req.PageSize, 1), len(reviews))
	next := ""
	if to < len(reviews) {
		next = "t" + strconv.Itoa(to)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Write(ReviewsResponse(next, reviews[from:to]...))
}
