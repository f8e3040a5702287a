package googlemaps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
)

// ReviewsSlug is the reviews scraper's path segment:
// POST /scrapers/google-maps-reviews/jobs.
const ReviewsSlug = "google-maps-reviews"

// MaxReviewPlaces bounds the places of one reviews job.
const MaxReviewPlaces = 100

// ReviewsParams are a google-maps-reviews job's parameters, normalised:
// every place once, by place id or (when only that is known) data id.
type ReviewsParams struct {
	PlaceIDs []string `json:"placeIds"`
	DataIDs  []string `json:"dataIds"`
	SortBy   string   `json:"sortBy"`
	Language string   `json:"language"`
}

type reviewsInput struct {
	PlaceIDs json.RawMessage `json:"placeIds"`
	DataIDs  json.RawMessage `json:"dataIds"`
	URLs     json.RawMessage `json:"urls"`
	SortBy   json.RawMessage `json:"sortBy"`
	Language json.RawMessage `json:"language"`
}

// ParseReviewsParams validates a google-maps-reviews create body. Each of
// placeIds, dataIds and urls may hold place ids, data ids or Google Maps
// URLs naming either; at least one place is required.
func ParseReviewsParams(body []byte) (*ReviewsParams, error) {
	var in reviewsInput
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, trawl.Errorf(trawl.EMALFORMED, "The request body is not valid JSON: %v.", err)
	}
	p := &ReviewsParams{SortBy: SortRelevant, Language: DefaultLanguage, PlaceIDs: []string{}, DataIDs: []string{}}
	var v trawl.Invalid
	for _, f := range []struct {
		name string
		raw  json.RawMessage
	}{{"placeIds", in.PlaceIDs}, {"dataIds", in.DataIDs}, {"urls", in.URLs}} {
		for i, s := range idList(&v, f.name, f.raw) {
			if s == "" || len(s) > 4096 {
				continue // reported by idList
			}
			placeID, dataID := s, ""
			switch {
			case strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://"):
				placeID, dataID = IDsFromURL(s)
			case ValidDataID(s):
				placeID, dataID = "", s
			}
			switch {
			case placeID != "" && ValidPlaceID(placeID):
				if !slices.Contains(p.PlaceIDs, placeID) {
					p.PlaceIDs = append(p.PlaceIDs, placeID)
				}
			case dataID != "":
				if !slices.Contains(p.DataIDs, dataID) {
					p.DataIDs = append(p.DataIDs, dataID)
				}
			default:
				v.Add(fmt.Sprintf("%s[%d]", f.name, i), "must be a place id (\"ChIJ…\"), a data id (\"0x…:0x…\") or a Google Maps URL naming one")
			}
		}
	}
	if n := len(p.PlaceIDs) + len(p.DataIDs); n == 0 && len(v.Fields) == 0 {
		v.Add("placeIds", "placeIds, dataIds or urls is required: the places whose reviews to read")
	} else if n > MaxReviewPlaces {
		v.Add("placeIds", "at most %d places together, not %d", MaxReviewPlaces, n)
	}
	if scrape.Present(in.SortBy) {
		var s string
		name, ok := "", false
		if json.Unmarshal(in.SortBy, &s) == nil {
			name, ok = ParseSortBy(s)
		}
		if !ok {
			v.Add("sortBy", "must be one of: %s", strings.Join(SortSpellings(), ", "))
		}
		p.SortBy = name
	}
	if scrape.Present(in.Language) {
		var lang string
		if err := json.Unmarshal(in.Language, &lang); err != nil || !languageRE.MatchString(strings.TrimSpace(lang)) {
			v.Add("language", "must be a language code such as \"en\", \"de\" or \"pt-BR\"")
		} else {
			p.Language = strings.TrimSpace(lang)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// idList reads an optional array of ids or URLs, each trimmed; an empty one
// is an error naming it.
func idList(v *trawl.Invalid, field string, raw json.RawMessage) []string {
	if !scrape.Present(raw) {
		return nil
	}
	items, ok := scrape.StringList(raw)
	if !ok {
		v.Add(field, "must be an array of strings")
		return nil
	}
	if len(items) > MaxReviewPlaces {
		v.Add(field, "must hold at most %d places, not %d", MaxReviewPlaces, len(items))
		return nil
	}
	out := make([]string, len(items))
	for i, s := range items {
		if out[i] = strings.TrimSpace(s); out[i] == "" || len(out[i]) > 4096 {
			v.Add(fmt.Sprintf("%s[%d]", field, i), "must be a place id, a data id or a Google Maps URL")
		}
	}
	return out
}

// Reviews is the google-maps-reviews scraper. A job reads each place's page
// (its title and data id), then its reviews a page at a time, each page a
// task that yields a row per review and the next page's task, until the
// last page or the job's limit. A place named twice (by place id and by
// data id) has its reviews read once: review pages are keyed by data id.
type Reviews struct {
	maps *Scraper
}

var _ scrape.Scraper = (*Reviews)(nil)

// NewReviews returns the reviews scraper; it fetches as maps does.
func NewReviews(maps *Scraper) *Reviews { return &Reviews{maps: maps} }

// ReviewColumns are a review row's fields, in export order.
func ReviewColumns() []string {
	return []string{"placeId", "dataId", "title", "reviewId", "rating", "snippet", "language", "date", "isoDate",
		"images", "user", "response", "error"}
}

// Info implements scrape.Scraper.
func (r *Reviews) Info() scrape.Info {
	ids := func(desc string) map[string]any {
		return map[string]any{"type": "array", "maxItems": MaxReviewPlaces,
			"items": map[string]any{"type": "string", "minLength": 1}, "description": desc}
	}
	schema := scrape.BodySchema([]string{}, map[string]any{
		"placeIds": ids("Place ids (\"ChIJ…\"); data ids and Google Maps URLs are read too."),
		"dataIds":  ids("Data ids (\"0x…:0x…\")."),
		"urls":     ids("Google Maps URLs of places."),
		"sortBy": map[string]any{"type": "string", "enum": SortSpellings(), "default": SortRelevant,
			"description": "Order of the reviews: most relevant (qualityScore, mostRelevant), newestFirst, highest (ratingHigh, highestRating) or lowest rating first (ratingLow, lowestRating)."},
		"language": map[string]any{"type": "string", "default": DefaultLanguage, "pattern": languageRE.String(),
			"description": "Language of the reviews' page (Google's hl)."},
	})
	schema["anyOf"] = []any{map[string]any{"required": []string{"placeIds"}}, map[string]any{"required": []string{"dataIds"}},
		map[string]any{"required": []string{"urls"}}}
	return scrape.Info{
		Slug: ReviewsSlug,
		Name: "Google Maps reviews",
		Description: "Reads every review of each place, page after page, in the order asked for: one row per review " +
			"with the place's id and title.",
		Params:  schema,
		Columns: ReviewColumns(),
	}
}

// Parse implements scrape.Scraper.
func (r *Reviews) Parse(body json.RawMessage) (json.RawMessage, error) {
	p, err := ParseReviewsParams(body)
	if err != nil {
		return nil, err
	}
	return json.Marshal(p)
}

// reviewsTask is one task: a place to look up (Token and Title empty, no
// DataID or no Looked), or a page of its reviews.
type reviewsTask struct {
	PlaceID string `json:"placeId,omitempty"`
	DataID  string `json:"dataId,omitempty"`
	Looked  bool   `json:"looked,omitempty"` // the place page was read: this is a reviews page
	Title   string `json:"title,omitempty"`
	Token   string `json:"token,omitempty"`
	Page    int    `json:"page,omitempty"`
	// Seen are the review ids of the page before: a review Maps repeats
	// across a page boundary is stored once.
	Seen []string `json:"seen,omitempty"`
}

func reviewsSpec(t reviewsTask) (trawl.TaskSpec, error) {
	var key string
	switch {
	case t.Looked:
		key = fmt.Sprintf("reviews:%s:%d", t.DataID, t.Page)
	case t.PlaceID != "":
		key = "place:" + t.PlaceID
	default:
		key = "place:" + t.DataID
	}
	payload, err := json.Marshal(t)
	return trawl.TaskSpec{Key: key, Payload: payload}, err
}

// Plan implements scrape.Scraper: one lookup per place.
func (r *Reviews) Plan(job *trawl.Job) ([]trawl.TaskSpec, error) {
	var p ReviewsParams
	if err := json.Unmarshal(job.Params, &p); err != nil {
		return nil, fmt.Errorf("read google maps reviews params: %w", err)
	}
	var specs []trawl.TaskSpec
	for _, id := range p.PlaceIDs {
		spec, err := reviewsSpec(reviewsTask{PlaceID: id})
		if err != nil {
			return nil, err
		}
		specs = append(specs, spec)
	}
	for _, id := range p.DataIDs {
		spec, err := reviewsSpec(reviewsTask{DataID: id})
		if err != nil {
			return nil, err
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

// reviewRow is one row: a review and its place.
type reviewRow struct {
	PlaceID string `json:"placeId,omitempty"`
	DataID  string `json:"dataId,omitempty"`
	Title   string `json:"title,omitempty"`
	*Review
	Error string `json:"error,omitempty"`
}

// Run implements scrape.Scraper.
func (r *Reviews) Run(ctx context.Context, job *trawl.Job, tk *trawl.Task) (*scrape.Result, error) {
	var p ReviewsParams
	if err := json.Unmarshal(job.Params, &p); err != nil {
		return nil, fmt.Errorf("read google maps reviews params: %w", err)
	}
	var t reviewsTask
	if err := json.Unmarshal(tk.Payload, &t); err != nil {
		return nil, fmt.Errorf("read google maps reviews task: %w", err)
	}
	if !t.Looked {
		return r.lookup(ctx, &p, t)
	}
	return r.page(ctx, &p, t)
}

// lookup reads a place's page for its title and data id and returns the
// task of its first page of reviews. A place that does not exist is a row
// that says so.
func (r *Reviews) lookup(ctx context.Context, p *ReviewsParams, t reviewsTask) (*scrape.Result, error) {
	d, err := r.maps.Details(ctx, t.PlaceID, t.DataID, p.Language)
	if errors.Is(err, scrape.ErrUnresolved) {
		return errorRow(t, err.Error())
	} else if err != nil {
		return nil, err
	}
	if d.DataID == "" {
		return errorRow(t, "Google Maps gives no data id for this place, so its reviews cannot be read.")
	}
	next := reviewsTask{PlaceID: d.PlaceID, DataID: d.DataID, Looked: true, Title: d.Title}
	if next.PlaceID == "" {
		next.PlaceID = t.PlaceID
	}
	spec, err := reviewsSpec(next)
	if err != nil {
		return nil, err
	}
	return &scrape.Result{Next: []trawl.TaskSpec{spec}, Credits: 1}, nil
}

func errorRow(t reviewsTask, msg string) (*scrape.Result, error) {
	b, err := json.Marshal(reviewRow{PlaceID: t.PlaceID, DataID: t.DataID, Error: msg})
	if err != nil {
		return nil, err
	}
	return &scrape.Result{Rows: []json.RawMessage{b}}, nil
}

// page reads one page of reviews: a row per review not on the page before,
// and the next page's task unless this was the last.
func (r *Reviews) page(ctx context.Context, p *ReviewsParams, t reviewsTask) (*scrape.Result, error) {
	page, err := r.maps.ReviewsPage(ctx, t.DataID, p.SortBy, t.Token, p.Language)
	if err != nil {
		return nil, err
	}
	res := &scrape.Result{Credits: 1}
	var ids []string
	for i := range page.Reviews {
		rv := &page.Reviews[i]
		if slices.Contains(t.Seen, rv.ReviewID) || slices.Contains(ids, rv.ReviewID) {
			continue
		}
		ids = append(ids, rv.ReviewID)
		b, err := json.Marshal(reviewRow{PlaceID: t.PlaceID, DataID: t.DataID, Title: t.Title, Review: rv})
		if err != nil {
			return nil, fmt.Errorf("encode google maps review row: %w", err)
		}
		res.Rows = append(res.Rows, b)
	}
	// A page of nothing new ends the place even with a token: Maps is
	// going round in circles.
	if page.NextPageToken != "" && page.NextPageToken != t.Token && len(ids) > 0 {
		spec, err := reviewsSpec(reviewsTask{PlaceID: t.PlaceID, DataID: t.DataID, Looked: true, Title: t.Title,
			Token: page.NextPageToken, Page: t.Page + 1, Seen: ids})
		if err != nil {
			return nil, err
		}
		res.Next = append(res.Next, spec)
	}
	return res, nil
}
