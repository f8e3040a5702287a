package contacts

import (
	"encoding/json"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/scrape/page"
)

// MaxURLs is the most websites one job reads.
const MaxURLs = 100

// Params are a contacts job's parameters, normalised: defaults filled in,
// the URLs canonical and de-duplicated.
type Params struct {
	URLs             []string `json:"urls"`
	MaxPagesPerSite  int      `json:"maxPagesPerSite"`
	RespectRobotsTxt bool     `json:"respectRobotsTxt"`
	// JSRendering loads the pages in the headless browser, when this trawl
	// has one (otherwise they are fetched).
	JSRendering bool `json:"jsRendering,omitempty"`
}

// input is the create body as sent; fields are raw so that a wrong type is
// reported against its own field. Fields it does not name are ignored.
type input struct {
	URLs             json.RawMessage `json:"urls"`
	MaxPagesPerSite  json.RawMessage `json:"maxPagesPerSite"`
	RespectRobotsTxt json.RawMessage `json:"respectRobotsTxt"`
	JSRendering      json.RawMessage `json:"jsRendering"`
}

// ParseParams validates a contacts create body. A wrong value is an
// EINVALID *trawl.Error naming the field ("urls[2]", "maxPagesPerSite");
// a body that is not a JSON object is EMALFORMED.
func ParseParams(body []byte) (*Params, error) {
	var in input
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, trawl.Errorf(trawl.EMALFORMED, "The request body is not valid JSON: %v.", err)
	}
	p := &Params{MaxPagesPerSite: page.DefaultMaxPages, RespectRobotsTxt: true}
	var v trawl.Invalid

	p.URLs = page.URLList(&v, "urls", in.URLs, MaxURLs)

	if scrape.Present(in.MaxPagesPerSite) {
		n, err := scrape.StrictInt(in.MaxPagesPerSite)
		if err != nil || n < 0 || n > page.MaxPages {
			v.Add("maxPagesPerSite", "must be a whole number from 0 (the given page only) to %d", page.MaxPages)
		} else {
			p.MaxPagesPerSite = n
		}
	}
	if scrape.Present(in.RespectRobotsTxt) {
		if err := json.Unmarshal(in.RespectRobotsTxt, &p.RespectRobotsTxt); err != nil {
			v.Add("respectRobotsTxt", "must be true or false")
		}
	}
	if scrape.Present(in.JSRendering) {
		if err := json.Unmarshal(in.JSRendering, &p.JSRendering); err != nil {
			v.Add("jsRendering", "must be true or false")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// options turns a job's parameters into Extract options.
func (p *Params) options() page.SiteOptions {
	o := page.SiteOptions{MaxPages: p.MaxPagesPerSite, IgnoreRobots: !p.RespectRobotsTxt}
	if o.MaxPages == 0 {
		o.MaxPages = -1 // the given page only
	}
	return o
}
