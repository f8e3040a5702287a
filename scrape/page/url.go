package page

import (
	"encoding/json"
	"slices"

	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
)

// NormalizeURL resolves ref against base and returns the canonical string
// form the crawler uses to de-duplicate pages.
//
// ref is cleaned the way a browser cleans an href first: leading and trailing
// control characters and spaces are trimmed and every tab, CR and LF inside
// it is removed. The resolved URL must be absolute http or https with a
// non-empty host; anything else (mailto:, javascript:, tel:, data:, a
// relative ref with a nil or relative base, a port above 65535, a malformed
// escape) is an error.
//
// Canonicalisation: scheme and host are lower-cased; the default port (:80
// for http, :443 for https) and an empty port are removed, and leading zeros
// of a port are dropped; dot segments are resolved; an empty path becomes
// "/"; the fragment and any userinfo are dropped. The query is kept exactly
// as written (neither re-ordered nor re-encoded), so "?a=1&b=2" and
// "?b=2&a=1" stay different URLs. Internationalised host names are only
// lower-cased, not converted to punycode.
//
// A nil base is allowed; ref must then be absolute.
func NormalizeURL(base *url.URL, ref string) (string, error) {
	u, err := normalize(base, ref)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

func normalize(base *url.URL, ref string) (*url.URL, error) {
	r, err := url.Parse(cleanRef(ref))
	if err != nil {
		return nil, fmt.Errorf("normalize url: %w", err)
	}
	if base == nil {
		base = &url.URL{}
	}
	// ResolveReference also removes dot segments when ref is absolute.
	u := base.ResolveReference(r)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("normalize url %q: scheme %q is not http or https", ref, u.Scheme)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return nil, fmt.Errorf("normalize url %q: no host", ref)
	}
	host, err := canonicalHost(u.Scheme, u.Host)
	if err != nil {
		return nil, fmt.Errorf("normalize url %q: %w", ref, err)
	}
	u.Host = host
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" {
		u.Path, u.RawPath = "/", ""
	}
	return u, nil
}

// cleanRef strips what the WHATWG URL parser strips before parsing: C0
// controls and spaces around the ref, and ASCII tab or newline anywhere in it.
func cleanRef(ref string) string {
	ref = strings.TrimFunc(ref, func(r rune) bool { return r <= ' ' })
	if strings.ContainsAny(ref, "\t\n\r") {
		ref = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(ref)
	}
	return ref
}

var errBadPort = errors.New("port out of range")

// canonicalHost lower-cases hostport and drops an empty port or the default
// port of scheme. A port is rewritten without leading zeros; a numeric port
// above 65535 is an error.
func canonicalHost(scheme, hostport string) (string, error) {
	hostport = strings.ToLower(hostport)
	host, port := splitHostPort(hostport)
	if port == "" {
		return host, nil
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		// url.Parse only lets digits through; keep whatever else came in.
		return hostport, nil
	}
	if n > 65535 {
		return "", errBadPort
	}
	switch scheme = strings.ToLower(scheme); {
	case scheme == "http" && n == 80, scheme == "https" && n == 443:
		return host, nil
	}
	return host + ":" + strconv.Itoa(n), nil
}

// splitHostPort splits "host:port", "[v6]:port", "host" or "host:" without
// validating either part. host keeps the brackets of an IPv6 literal.
func splitHostPort(hostport string) (host, port string) {
	i := strings.LastIndexByte(hostport, ':')
	if i < 0 || strings.LastIndexByte(hostport, ']') > i {
		return hostport, ""
	}
	return hostport[:i], hostport[i+1:]
}

// SameHost reports whether u is on host, a "hostname[:port]" as found in
// url.URL.Host. Both sides are compared after the canonicalisation of
// [NormalizeURL]: lower-cased, with an empty port or the default port of u's
// scheme removed, so "https://Example.com:443/x" is on "example.com".
//
// Only the exact host name matches: "www.example.com" and "example.com" are
// different hosts, as are "example.com" and "blog.example.com", and
// "example.com:8080" differs from "example.com". A crawl that should span
// both the bare and the www name must list both. A nil u or an empty host
// never matches.
func SameHost(u *url.URL, host string) bool {
	if u == nil || u.Host == "" || host == "" {
		return false
	}
	a, err := canonicalHost(u.Scheme, u.Host)
	if err != nil {
		return false
	}
	b, err := canonicalHost(u.Scheme, host)
	if err != nil {
		return false
	}
	return a == b
}

// MaxURLLen is the longest URL a scraper takes as input.
const MaxURLLen = 2048

// URLList validates a required list of 1 to maxItems absolute http or https
// URLs, each at most 2048 characters, and returns them canonical
// ([NormalizeURL]) with repeats dropped. Each problem is added to v against
// field ("urls") or the item ("urls[2]"). Every scraper that takes a
// "urls" list reads it this way.
func URLList(v *trawl.Invalid, field string, raw json.RawMessage, maxItems int) []string {
	if !scrape.Present(raw) {
		v.Add(field, "is required: a list of 1 to %d http or https URLs", maxItems)
		return nil
	}
	urls, ok := scrape.StringList(raw)
	if !ok {
		v.Add(field, "must be an array of strings")
		return nil
	}
	if len(urls) == 0 || len(urls) > maxItems {
		v.Add(field, "must hold 1 to %d URLs, not %d", maxItems, len(urls))
		return nil
	}
	var out []string
	for i, raw := range urls {
		item := fmt.Sprintf("%s[%d]", field, i)
		if len(raw) > MaxURLLen {
			v.Add(item, "must be at most %d characters", MaxURLLen)
			continue
		}
		u, err := url.Parse(strings.TrimSpace(raw))
		if err == nil && u.Host != "" && (u.Scheme == "http" || u.Scheme == "https") {
			var norm string
			if norm, err = NormalizeURL(nil, u.String()); err == nil {
				if !slices.Contains(out, norm) {
					out = append(out, norm)
				}
				continue
			}
		}
		v.Add(item, "must be an absolute http or https URL, not %q", raw)
	}
	return out
}
