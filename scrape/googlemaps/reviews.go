package googlemaps

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// ReviewsPageSize is how many reviews one reviews request asks for.
const ReviewsPageSize = 10

// Review sort orders, by the names of HasData's reviews endpoint.
const (
	SortRelevant   = "qualityScore"
	SortNewest     = "newestFirst"
	SortRatingHigh = "ratingHigh"
	SortRatingLow  = "ratingLow"
)

// sortCodes maps every spelling of a sort order HasData's sources use
// (hasdata-more.md §3.1: its schema, its MCP server, its agent docs) to the
// order's name and the code the Maps web app sends for it.
var sortCodes = map[string]struct {
	name string
	code int
}{
	"qualityscore":  {SortRelevant, 1},
	"mostrelevant":  {SortRelevant, 1},
	"relevant":      {SortRelevant, 1},
	"newestfirst":   {SortNewest, 2},
	"newest":        {SortNewest, 2},
	"ratinghigh":    {SortRatingHigh, 3},
	"highestrating": {SortRatingHigh, 3},
	"ratinglow":     {SortRatingLow, 4},
	"lowestrating":  {SortRatingLow, 4},
}

// SortSpellings lists every accepted sortBy value, for messages and schemas.
func SortSpellings() []string {
	return []string{"qualityScore", "mostRelevant", "newestFirst", "ratingHigh", "highestRating", "ratingLow", "lowestRating"}
}

// ParseSortBy reads a sortBy value in any of its spellings (case ignored)
// and returns its canonical name; "" is the default, SortRelevant.
func ParseSortBy(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return SortRelevant, true
	}
	c, ok := sortCodes[strings.ToLower(s)]
	return c.name, ok
}

func sortCode(name string) int {
	if c, ok := sortCodes[strings.ToLower(name)]; ok {
		return c.code
	}
	return 1
}

// ReviewsURL returns the URL of one page of a place's reviews, as the Maps
// web app asks for them: {base}/maps/rpc/listugcposts?authuser=0&hl=…&pb=…,
// where pb names the data id, the page size and the page token ("" for the
// first page), the sort order (!3e: 1 most relevant, 2 newest, 3 highest
// rating, 4 lowest) and a session id, here derived from the data id so that
// the URL of a page is always the same.
func ReviewsURL(base, dataID, sortBy, token, language string) string {
	sum := sha256.Sum256([]byte(dataID))
	session := base64.RawURLEncoding.EncodeToString(sum[:])[:21]
	pb := fmt.Sprintf("!1m6!1s%s!6m4!4m1!1e1!4m1!1e3!2m3!1i%d!2s%s!3e%d!5m2!1s%s!7e81!8m9!2b1!3b1!5b1!7b1"+
		"!12m4!1b1!2b1!4m1!1e1!11m0!13m1!1e1", dataID, ReviewsPageSize, token, sortCode(sortBy), session)
	q := url.Values{"authuser": {"0"}, "pb": {pb}}
	if language != "" {
		q.Set("hl", language)
	}
	return strings.TrimRight(base, "/") + "/maps/rpc/listugcposts?" + q.Encode()
}

// Review is one review of a place, in HasData's shape.
type Review struct {
	ReviewID string   `json:"reviewId"`
	Rating   *float64 `json:"rating,omitempty"`
	Snippet  string   `json:"snippet,omitempty"`
	Language string   `json:"language,omitempty"`
	Date     string   `json:"date,omitempty"`    // as Maps shows it: "2 weeks ago"
	IsoDate  string   `json:"isoDate,omitempty"` // RFC 3339, UTC
	Images   []string `json:"images,omitempty"`
	User     User     `json:"user"`
	// Response is the owner's reply.
	Response *ReviewResponse `json:"response,omitempty"`
}

// User is a review's author.
type User struct {
	Name          string `json:"name,omitempty"`
	ContributorID string `json:"contributorId,omitempty"`
	Link          string `json:"link,omitempty"`
	Thumbnail     string `json:"thumbnail,omitempty"`
}

// ReviewResponse is the owner's reply to a review.
type ReviewResponse struct {
	Snippet string `json:"snippet"`
	IsoDate string `json:"isoDate,omitempty"`
}

// ReviewPage is one page of a place's reviews.
type ReviewPage struct {
	Reviews []Review `json:"reviews"`
	// NextPageToken asks for the next page; "" on the last.
	NextPageToken string `json:"nextPageToken"`
}

// The index map of a review (el = data[2][i][0]) in a reviews response
// (data[1] is the next page's token), as the Maps web app receives it.
var (
	idxReviewID      = []int{0}
	idxReviewPosted  = []int{1, 2} // microseconds since 1970
	idxReviewUpdated = []int{1, 3}
	idxReviewAuthor  = []int{1, 4, 5, 0}
	idxReviewAvatar  = []int{1, 4, 5, 1}
	idxReviewProfile = []int{1, 4, 2, 0} // https://www.google.com/maps/contrib/<id>…
	idxReviewWhen    = []int{1, 6}
	idxReviewRating  = []int{2, 0, 0}
	idxReviewImages  = []int{2, 2} // each image's URL at [1][6][0]
	idxReviewLang    = []int{2, 14, 0}
	idxReviewText    = []int{2, 15, 0, 0}
	idxReplyPosted   = []int{3, 1}
	idxReplyText     = []int{3, 14, 0, 0}
)

var contribRE = regexp.MustCompile(`/contrib/([0-9]+)`)

// ParseReviews reads one reviews response: a ")]}'" line, then JSON whose
// [1] is the next page's token and [2] the reviews, each review's array at
// [0]. A response with no review list is a page without reviews; a review
// without an id is skipped; within a review, a field missing or shaped
// otherwise than expected is left out. It fails only on a response it
// cannot read at all (empty, HTML, not JSON, another shape). It is safe for
// concurrent use.
func ParseReviews(r io.Reader) (*ReviewPage, error) {
	body, err := io.ReadAll(io.LimitReader(r, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read reviews response: %w", err)
	}
	if len(body) > maxResponseBytes {
		return nil, fmt.Errorf("reviews response larger than %d bytes", maxResponseBytes)
	}
	text, err := unwrap(body)
	if err != nil {
		return nil, err
	}
	var data []any
	if err := json.Unmarshal(text, &data); err != nil {
		return nil, fmt.Errorf("reviews response is not a JSON array: %w", err)
	}
	page := &ReviewPage{Reviews: []Review{}}
	page.NextPageToken = str(data, 1)
	list, ok := at(data, 2).([]any)
	if !ok && at(data, 2) != nil {
		return nil, errors.New("reviews response has an unknown shape: data[2] is not an array")
	}
	for _, item := range list {
		el := arr(item, 0)
		if el == nil {
			continue
		}
		if rv, ok := parseReview(el); ok {
			page.Reviews = append(page.Reviews, rv)
		}
	}
	return page, nil
}

func parseReview(el []any) (Review, bool) {
	rv := Review{ReviewID: str(el, idxReviewID...)}
	if rv.ReviewID == "" {
		return Review{}, false
	}
	if r, ok := num(el, idxReviewRating...); ok && r >= 1 && r <= 5 {
		rv.Rating = &r
	}
	rv.Snippet = str(el, idxReviewText...)
	rv.Language = str(el, idxReviewLang...)
	rv.Date = str(el, idxReviewWhen...)
	rv.IsoDate = microsDate(el, idxReviewPosted...)
	if rv.IsoDate == "" {
		rv.IsoDate = microsDate(el, idxReviewUpdated...)
	}
	for _, img := range arr(el, idxReviewImages...) {
		if u := str(img, 1, 6, 0); u != "" {
			rv.Images = append(rv.Images, u)
		}
	}
	rv.User = User{Name: str(el, idxReviewAuthor...), Thumbnail: str(el, idxReviewAvatar...), Link: str(el, idxReviewProfile...)}
	if m := contribRE.FindStringSubmatch(rv.User.Link); m != nil {
		rv.User.ContributorID = m[1]
	}
	if text := str(el, idxReplyText...); text != "" {
		rv.Response = &ReviewResponse{Snippet: text, IsoDate: microsDate(el, idxReplyPosted...)}
	}
	return rv, true
}

// microsDate is the time at path (microseconds since 1970) in RFC 3339, ""
// when there is none or it is not a plausible date (2000 to 2100).
func microsDate(v any, path ...int) string {
	f, ok := num(v, path...)
	if !ok || f < 946684800e6 || f > 4102444800e6 {
		return ""
	}
	return time.UnixMicro(int64(f)).UTC().Format(time.RFC3339)
}
