package contacts

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/scrape/crawler"
)

// Parameter limits.
const (
	MaxURLs   = 100
	maxURLLen = 2048
)

// Params are a contacts job's parameters, normalised: defaults filled in,
// the URLs canonical and de-duplicated.
type Params struct {
	URLs             []string `json:"urls"`
	MaxPagesPerSite  int      `json:"maxPagesPerSite"`
	RespectRobotsTxt bool     `json:"respectRobotsTxt"`
}

// input is the create body as sent; fields are raw so that a wrong type is
// reported against its own field. Fields it does not name are ignored.
type input struct {
	URLs             json.RawMessage `json:"urls"`
	MaxPagesPerSite  json.RawMessage `json:"maxPagesPerSite"`
	RespectRobotsTxt json.RawMessage `json:"respectRobotsTxt"`
}

// ParseParams validates a contacts create body. A wrong value is an
// EINVALID *trawl.Error naming the field ("urls[2]", "maxPagesPerSite");
// a body that is not a JSON object is EMALFORMED.
func ParseParams(body []byte) (*Params, error) {
	var in input
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, trawl.Errorf(trawl.EMALFORMED, "The request body is not valid JSON: %v.", err)
	}
	p := &Params{MaxPagesPerSite: DefaultMaxPages, RespectRobotsTxt: true}
	var v trawl.Invalid

	var urls []string
	switch {
	case !scrape.Present(in.URLs):
		v.Add("urls", "is required: a list of 1 to %d http or https URLs", MaxURLs)
	case json.Unmarshal(in.URLs, &urls) != nil:
		v.Add("urls", "must be an array of strings")
	case len(urls) == 0 || len(urls) > MaxURLs:
		v.Add("urls", "must hold 1 to %d URLs, not %d", MaxURLs, len(urls))
	default:
		for i, raw := range urls {
			field := fmt.Sprintf("urls[%d]", i)
			u, err := url.Parse(strings.TrimSpace(raw))
			switch {
			case len(raw) > maxURLLen:
				v.Add(field, "must be at most %d characters", maxURLLen)
			case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
				v.Add(field, "must be an absolute http or https URL, not %q", raw)
			default:
				norm, err := crawler.NormalizeURL(nil, u.String())
				if err != nil {
					v.Add(field, "must be an absolute http or https URL, not %q", raw)
				} else if !slices.Contains(p.URLs, norm) {
					p.URLs = append(p.URLs, norm)
				}
			}
		}
	}

	if scrape.Present(in.MaxPagesPerSite) {
		n, err := scrape.StrictInt(in.MaxPagesPerSite)
		if err != nil || n < 0 || n > MaxPages {
			v.Add("maxPagesPerSite", "must be a whole number from 0 (the given page only) to %d", MaxPages)
		} else {
			p.MaxPagesPerSite = n
		}
	}
	if scrape.Present(in.RespectRobotsTxt) {
		if err := json.Unmarshal(in.RespectRobotsTxt, &p.RespectRobotsTxt); err != nil {
			v.Add("respectRobotsTxt", "must be true or false")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// options turns a job's parameters into Extract options.
func (p *Params) options() Options {
	o := Options{MaxPages: p.MaxPagesPerSite, IgnoreRobots: !p.RespectRobotsTxt}
	if o.MaxPages == 0 {
		o.MaxPages = -1 // the given page only
	}
	return o
}
