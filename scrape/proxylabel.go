package scrape

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// ProxyLabel is the type and country a proxy is labelled with in
// TRAWL_PROXY_URLS ("http://host:3128#type=residential&country=DE"), or
// that a request asks for (proxyType, proxyCountry). An empty field matches
// any value.
type ProxyLabel struct {
	Type    string // "datacenter" or "residential"
	Country string // ISO 3166-1 alpha-2, upper case ("US", "UK")
}

func (l ProxyLabel) String() string {
	switch {
	case l.Type != "" && l.Country != "":
		return l.Type + "/" + l.Country
	case l.Type != "":
		return l.Type
	case l.Country != "":
		return l.Country
	}
	return "(any)"
}

// matches reports whether a proxy labelled l serves a request that wants
// want. A label field left empty on either side matches anything.
func (l ProxyLabel) matches(want ProxyLabel) bool {
	return (l.Type == "" || want.Type == "" || l.Type == want.Type) &&
		(l.Country == "" || want.Country == "" || l.Country == want.Country)
}

// parseProxyLabel reads the fragment of a TRAWL_PROXY_URLS entry:
// "type=residential&country=DE", either part optional.
func parseProxyLabel(fragment string) (ProxyLabel, error) {
	if fragment == "" {
		return ProxyLabel{}, nil
	}
	q, err := url.ParseQuery(fragment)
	if err != nil {
		return ProxyLabel{}, fmt.Errorf("label %q: %w", fragment, err)
	}
	l := ProxyLabel{Type: strings.ToLower(q.Get("type")), Country: strings.ToUpper(q.Get("country"))}
	for k := range q {
		if k != "type" && k != "country" {
			return ProxyLabel{}, fmt.Errorf("label %q: only type= and country= are known", fragment)
		}
	}
	switch l.Type {
	case "", "datacenter", "residential":
	default:
		return ProxyLabel{}, fmt.Errorf("label %q: type must be datacenter or residential", fragment)
	}
	if l.Country == "GB" {
		l.Country = "UK"
	}
	return l, nil
}

// Labelled reports whether any proxy of the pool carries a label: then a
// request's proxyType and proxyCountry choose among them.
func (p *ProxyPool) Labelled() bool {
	if p == nil {
		return false
	}
	for _, ps := range p.proxies {
		if ps.label != (ProxyLabel{}) {
			return true
		}
	}
	return false
}

// Route says how a request that wants label would leave: "direct" without
// proxies, "pool" through an unlabelled pool (whatever the label), or the
// label it is served by. ok is false when the pool is labelled and no proxy
// matches: such a request cannot be served as asked.
func (p *ProxyPool) Route(want ProxyLabel) (route string, ok bool) {
	switch {
	case p.Len() == 0:
		return "direct", true
	case !p.Labelled():
		return "pool", true
	}
	for _, ps := range p.proxies {
		if ps.label.matches(want) {
			return want.String(), true
		}
	}
	return "", false
}

// proxyLabelKey carries the ProxyLabel a request wants in its context.
type proxyLabelKey struct{}

// WithProxyLabel returns a context whose requests a labelled ProxyPool
// sends only through proxies matching l.
func WithProxyLabel(ctx context.Context, l ProxyLabel) context.Context {
	if l == (ProxyLabel{}) {
		return ctx
	}
	return context.WithValue(ctx, proxyLabelKey{}, l)
}

// Labels lists the distinct labels of the pool's labelled proxies, in the
// order they were given.
func (p *ProxyPool) Labels() []string {
	var out []string
	if p == nil {
		return out
	}
	seen := map[ProxyLabel]bool{}
	for _, ps := range p.proxies {
		if ps.label != (ProxyLabel{}) && !seen[ps.label] {
			seen[ps.label] = true
			out = append(out, ps.label.String())
		}
	}
	return out
}
