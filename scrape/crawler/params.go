package crawler

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/scrape/page"
)

// Parameter limits.
const (
	MaxURLs     = 100
	MaxDepth    = 20
	maxPatterns = 50
)

// Params are a crawler job's parameters, normalised: defaults filled in, the
// start URLs canonical. The page options (outputFormat, extractRules…) apply
// to every page of the crawl.
type Params struct {
	URLs             []string `json:"urls"`
	MaxDepth         int      `json:"maxDepth"`
	IncludePaths     []string `json:"includePaths"`
	ExcludePaths     []string `json:"excludePaths"`
	RespectRobotsTxt bool     `json:"respectRobotsTxt"`
	page.Options
}

// input is the create body as sent; fields are raw so that a wrong type is
// reported against its own field. The page options are read by
// page.ParseOptions.
type input struct {
	URLs             json.RawMessage `json:"urls"`
	MaxDepth         json.RawMessage `json:"maxDepth"`
	IncludePaths     json.RawMessage `json:"includePaths"`
	ExcludePaths     json.RawMessage `json:"excludePaths"`
	OutputFormat     json.RawMessage `json:"outputFormat"`
	RespectRobotsTxt json.RawMessage `json:"respectRobotsTxt"`
}

// ParseParams validates a crawler create body.
func ParseParams(body []byte) (*Params, error) {
	var in input
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, trawl.Errorf(trawl.EMALFORMED, "The request body is not valid JSON: %v.", err)
	}
	p := &Params{MaxDepth: 1, RespectRobotsTxt: true}
	var v trawl.Invalid

	p.URLs = page.URLList(&v, "urls", in.URLs, MaxURLs)

	if scrape.Present(in.MaxDepth) {
		if d, err := scrape.StrictInt(in.MaxDepth); err != nil || d < 0 || d > MaxDepth {
			v.Add("maxDepth", "must be a whole number from 0 (the start pages only) to %d", MaxDepth)
		} else {
			p.MaxDepth = d
		}
	}
	p.IncludePaths = patterns("includePaths", in.IncludePaths, &v)
	p.ExcludePaths = patterns("excludePaths", in.ExcludePaths, &v)

	p.Options = page.ParseOptions(&v, body, page.Options{OutputFormat: []string{page.FormatText}})
	if scrape.Present(in.OutputFormat) && len(p.OutputFormat) == 0 && v.Err() == nil {
		v.Add("outputFormat", "must name at least one format (allowed: %s)", strings.Join(page.FormatNames(), ", "))
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

// patterns validates a list of path regexes.
func patterns(field string, raw json.RawMessage, v *trawl.Invalid) []string {
	if !scrape.Present(raw) {
		return nil
	}
	list, ok := oneOrList(raw)
	if !ok {
		v.Add(field, "must be an array of regular expressions")
		return nil
	}
	if len(list) > maxPatterns {
		v.Add(field, "must hold at most %d patterns", maxPatterns)
		return nil
	}
	for i, p := range list {
		if _, err := regexp.Compile(p); err != nil {
			v.Add(fmt.Sprintf("%s[%d]", field, i), "is not a valid regular expression: %v", err)
		}
	}
	return list
}

// oneOrList reads a JSON array of strings, or one string as a list of one.
func oneOrList(raw json.RawMessage) ([]string, bool) {
	if list, ok := scrape.StringList(raw); ok {
		return list, true
	}
	var one string
	if json.Unmarshal(raw, &one) != nil {
		return nil, false
	}
	return []string{one}, true
}

// matcher decides which discovered URLs a crawl follows.
type matcher struct {
	include, exclude []*regexp.Regexp
}

func newMatcher(p *Params) (*matcher, error) {
	include, err := compileAll(p.IncludePaths)
	if err != nil {
		return nil, err
	}
	exclude, err := compileAll(p.ExcludePaths)
	if err != nil {
		return nil, err
	}
	return &matcher{include: include, exclude: exclude}, nil
}

func compileAll(exprs []string) ([]*regexp.Regexp, error) {
	var out []*regexp.Regexp
	for _, s := range exprs {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, err
		}
		out = append(out, re)
	}
	return out, nil
}

// allows reports whether a URL path passes the include and exclude patterns.
func (m *matcher) allows(path string) bool {
	for _, re := range m.exclude {
		if re.MatchString(path) {
			return false
		}
	}
	if len(m.include) == 0 {
		return true
	}
	for _, re := range m.include {
		if re.MatchString(path) {
			return true
		}
	}
	return false
}
