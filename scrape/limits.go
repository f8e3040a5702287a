package scrape

import (
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
)

// Bounds of the per-host politeness limits an operator may set.
const (
	MaxHostRate        = 1_000_000 // requests per second
	MaxHostConcurrency = 10_000    // requests in flight
)

// HostLimit is the operator's politeness limit for the hosts Pattern names:
// an exact host name ("docs.example.com") or, with a leading "*.", every
// subdomain of a domain ("*.example.com" matches "a.example.com" and
// "a.b.example.com" but not "example.com" itself). It applies to every port
// of the host. An exact name wins over a wildcard, and a longer wildcard
// over a shorter one.
type HostLimit struct {
	Pattern     string
	Rate        float64 // requests per second, > 0
	Concurrency int     // requests in flight, ≥ 1
}

// ParseHostLimits reads the operator's per-host limits, one entry per item,
// each "pattern=rate/concurrency" (e.g. "docs.example.com=200/32"). An item
// may hold several entries separated by commas. Errors name the entry and
// say what is allowed.
func ParseHostLimits(items []string) ([]HostLimit, error) {
	var out []HostLimit
	seen := map[string]bool{}
	for _, item := range items {
		for entry := range strings.SplitSeq(item, ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			l, err := parseHostLimit(entry)
			if err != nil {
				return nil, fmt.Errorf("entry %q: %w; an entry is host=rate/concurrency, e.g. docs.example.com=200/32 or *.example.com=50/8", entry, err)
			}
			if seen[l.Pattern] {
				return nil, fmt.Errorf("entry %q: host %s is listed twice", entry, l.Pattern)
			}
			seen[l.Pattern] = true
			out = append(out, l)
		}
	}
	return out, nil
}

func parseHostLimit(entry string) (HostLimit, error) {
	pattern, limits, ok := strings.Cut(entry, "=")
	if !ok {
		return HostLimit{}, fmt.Errorf("no '='")
	}
	pattern = strings.ToLower(strings.TrimSpace(pattern))
	name := strings.TrimPrefix(pattern, "*.")
	if name == "" || strings.ContainsAny(name, "*/:@ ") || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") {
		return HostLimit{}, fmt.Errorf("host %q is not a host name (a leading *. is the only wildcard; no port, scheme or path)", pattern)
	}
	r, c, ok := strings.Cut(limits, "/")
	if !ok {
		return HostLimit{}, fmt.Errorf("no '/' between rate and concurrency")
	}
	rate, err := ParseHostRate(strings.TrimSpace(r))
	if err != nil {
		return HostLimit{}, err
	}
	conc, err := ParseHostConcurrency(strings.TrimSpace(c))
	if err != nil {
		return HostLimit{}, err
	}
	return HostLimit{Pattern: pattern, Rate: rate, Concurrency: conc}, nil
}

// ParseHostRate reads a per-host rate in requests per second.
func ParseHostRate(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !CheckHostRate(v) {
		return 0, fmt.Errorf("rate %q must be a number of requests per second above 0 and at most %d", s, MaxHostRate)
	}
	return v, nil
}

// CheckHostRate reports whether v is an allowed per-host rate.
func CheckHostRate(v float64) bool { return v > 0 && v <= MaxHostRate && !math.IsNaN(v) }

// ParseHostConcurrency reads a per-host number of requests in flight.
func ParseHostConcurrency(s string) (int, error) {
	v, err := strconv.Atoi(s)
	if err != nil || !CheckHostConcurrency(v) {
		return 0, fmt.Errorf("concurrency %q must be a whole number from 1 to %d", s, MaxHostConcurrency)
	}
	return v, nil
}

// CheckHostConcurrency reports whether v is an allowed per-host concurrency.
func CheckHostConcurrency(v int) bool { return v >= 1 && v <= MaxHostConcurrency }

// hostLimits finds the limit of a host name.
type hostLimits struct {
	exact map[string]HostLimit
	wild  []HostLimit // longest suffix first
	def   HostLimit
}

func newHostLimits(def HostLimit, list []HostLimit) *hostLimits {
	h := &hostLimits{exact: map[string]HostLimit{}, def: def}
	for _, l := range list {
		if strings.HasPrefix(l.Pattern, "*.") {
			h.wild = append(h.wild, l)
		} else {
			h.exact[l.Pattern] = l
		}
	}
	// Longest wildcard first: the most specific one matches first.
	for i := 1; i < len(h.wild); i++ {
		for j := i; j > 0 && len(h.wild[j].Pattern) > len(h.wild[j-1].Pattern); j-- {
			h.wild[j], h.wild[j-1] = h.wild[j-1], h.wild[j]
		}
	}
	return h
}

// of returns the limit of hostname (lower-case, no port).
func (h *hostLimits) of(hostname string) HostLimit {
	if l, ok := h.exact[hostname]; ok {
		return l
	}
	for _, l := range h.wild {
		if strings.HasSuffix(hostname, l.Pattern[1:]) { // ".example.com"
			return l
		}
	}
	return h.def
}

// HostKey is the key trawl limits a URL's requests by: the lower-case
// host:port, with the scheme's default port filled in. It is "" for a URL
// that is not absolute http or https.
func HostKey(rawURL string) string {
	u, err := parseTarget(rawURL)
	if err != nil {
		return ""
	}
	return hostKey(u)
}

// HostConcurrency is how many requests to the host of key (a HostKey) may be
// in flight at once: the operator's limit for that host.
func (f *Fetcher) HostConcurrency(key string) int {
	return f.limits.of(hostnameOf(key)).Concurrency
}

// hostnameOf is the host name of a host:port key.
func hostnameOf(key string) string {
	if h, _, err := net.SplitHostPort(key); err == nil {
		return h
	}
	return key
}
