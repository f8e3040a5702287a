package crawler

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
)

// Parameter limits.
const (
	MaxURLs     = 100
	MaxDepth    = 20
	maxPatterns = 50
	maxURLLen   = 2048
)

// Output formats a row can carry.
const (
	FormatText     = "text"
	FormatMarkdown = "markdown"
	FormatHTML     = "html"
)

func formats() []string { return []string{FormatText, FormatMarkdown, FormatHTML} }

// Params are a crawler job's parameters, normalised: defaults filled in, the
// start URLs canonical.
type Params struct {
	URLs             []string `json:"urls"`
	MaxDepth         int      `json:"maxDepth"`
	IncludePaths     []string `json:"includePaths"`
	ExcludePaths     []string `json:"excludePaths"`
	OutputFormat     []string `json:"outputFormat"`
	RespectRobotsTxt bool     `json:"respectRobotsTxt"`
}

// input is the create body as sent; fields are raw so that a wrong type is
// reported against its own field.
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
	p := &Params{MaxDepth: 1, OutputFormat: []string{FormatText}, RespectRobotsTxt: true}
	var v trawl.Invalid

	if !scrape.Present(in.URLs) {
		v.Add("urls", "is required: a list of 1 to %d http or https URLs", MaxURLs)
	} else if urls, ok := scrape.StringList(in.URLs); !ok {
		v.Add("urls", "must be an array of strings")
	} else if len(urls) == 0 || len(urls) > MaxURLs {
		v.Add("urls", "must hold 1 to %d URLs, not %d", MaxURLs, len(urls))
	} else {
		for i, raw := range urls {
			field := fmt.Sprintf("urls[%d]", i)
			u, err := url.Parse(strings.TrimSpace(raw))
			switch {
			case len(raw) > maxURLLen:
				v.Add(field, "must be at most %d characters", maxURLLen)
			case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
				v.Add(field, "must be an absolute http or https URL, not %q", raw)
			default:
				norm, err := NormalizeURL(nil, u.String())
				if err != nil {
					v.Add(field, "must be an absolute http or https URL, not %q", raw)
				} else if !slices.Contains(p.URLs, norm) {
					p.URLs = append(p.URLs, norm)
				}
			}
		}
	}

	if scrape.Present(in.MaxDepth) {
		if d, err := scrape.StrictInt(in.MaxDepth); err != nil || d < 0 || d > MaxDepth {
			v.Add("maxDepth", "must be a whole number from 0 (the start pages only) to %d", MaxDepth)
		} else {
			p.MaxDepth = d
		}
	}
	p.IncludePaths = patterns("includePaths", in.IncludePaths, &v)
	p.ExcludePaths = patterns("excludePaths", in.ExcludePaths, &v)

	if scrape.Present(in.OutputFormat) {
		list, ok := scrape.StringList(in.OutputFormat)
		if !ok {
			var one string
			if json.Unmarshal(in.OutputFormat, &one) == nil {
				list, ok = []string{one}, true
			}
		}
		switch {
		case !ok:
			v.Add("outputFormat", "must be an array of formats (allowed: %s)", strings.Join(formats(), ", "))
		case len(list) == 0:
			v.Add("outputFormat", "must name at least one format (allowed: %s)", strings.Join(formats(), ", "))
		default:
			p.OutputFormat = nil
			for i, f := range list {
				if !slices.Contains(formats(), f) {
					v.Add(fmt.Sprintf("outputFormat[%d]", i), "unknown format %q; allowed: %s", f, strings.Join(formats(), ", "))
				} else if !slices.Contains(p.OutputFormat, f) {
					p.OutputFormat = append(p.OutputFormat, f)
				}
			}
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

// patterns validates a list of path regexes.
func patterns(field string, raw json.RawMessage, v *trawl.Invalid) []string {
	if !scrape.Present(raw) {
		return nil
	}
	list, ok := scrape.StringList(raw)
	if !ok {
		var one string
		if json.Unmarshal(raw, &one) != nil {
			v.Add(field, "must be an array of regular expressions")
			return nil
		}
		list = []string{one}
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

// matcher decides which discovered URLs a crawl follows.
type matcher struct {
	include, exclude []*regexp.Regexp
}

func newMatcher(p *Params) (*matcher, error) {
	m := &matcher{}
	for _, s := range p.IncludePaths {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, err
		}
		m.include = append(m.include, re)
	}
	for _, s := range p.ExcludePaths {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, err
		}
		m.exclude = append(m.exclude, re)
	}
	return m, nil
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
