package browser

import (
	"bufio"
	_ "embed"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/network"
)

// adhostsFile is the embedded ad and tracker blocklist: one host a line,
// comments after '#'. A host blocks itself and its subdomains. Refresh it
// with the adlist command (see the package documentation).
//
//go:embed adhosts.txt
var adhostsFile string

// adHosts parses adhostsFile once.
var adHosts = sync.OnceValue(func() map[string]struct{} {
	return ParseHostList(adhostsFile)
})

// ParseHostList reads a blocklist: one host name a line; '#' starts a
// comment; a hosts-file line ("0.0.0.0 ads.example" or "127.0.0.1 …")
// contributes its names; an Adblock-style "||host^" line its host. Names are
// lower-cased; localhost names and IP addresses are skipped.
func ParseHostList(text string) map[string]struct{} {
	hosts := make(map[string]struct{})
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexAny(line, "#!"); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if len(fields) > 1 && (fields[0] == "0.0.0.0" || fields[0] == "127.0.0.1" || fields[0] == "::" || fields[0] == "::1") {
			fields = fields[1:]
		}
		for _, f := range fields {
			if rest, ok := strings.CutPrefix(f, "||"); ok {
				f, _, _ = strings.Cut(rest, "^")
			}
			f = strings.ToLower(strings.TrimSuffix(f, "."))
			if f == "" || f == "localhost" || f == "local" || strings.HasSuffix(f, ".localhost") ||
				strings.Trim(f, "0123456789.:") == "" || strings.ContainsAny(f, "/*^$|") {
				continue
			}
			hosts[f] = struct{}{}
		}
	}
	return hosts
}

// isAdHost reports whether host or one of its parent domains is listed.
func isAdHost(list map[string]struct{}, host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for host != "" {
		if _, ok := list[host]; ok {
			return true
		}
		i := strings.IndexByte(host, '.')
		if i < 0 {
			return false
		}
		host = host[i+1:]
	}
	return false
}

// heavyTypes are the resource types blockResources refuses.
var heavyTypes = map[network.ResourceType]bool{
	network.ResourceTypeImage:      true,
	network.ResourceTypeFont:       true,
	network.ResourceTypeMedia:      true,
	network.ResourceTypeStylesheet: true,
}

// compileGlob turns a blockUrls pattern into a regexp over the whole URL:
// "**" matches anything, "*" anything but '/', "?" one character other than
// '/'; everything else is literal. "**.doubleclick.net/**" blocks every URL
// on doubleclick.net and its subdomains.
func compileGlob(pattern string) (*regexp.Regexp, error) {
	if pattern == "" {
		return nil, fmt.Errorf("empty pattern")
	}
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; {
		case c == '*' && i+1 < len(pattern) && pattern[i+1] == '*':
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// CheckBlockURLs reports the first blockUrls pattern that is not usable, so
// callers can reject the request with a field error before rendering.
func CheckBlockURLs(patterns []string) error {
	for i, p := range patterns {
		if _, err := compileGlob(p); err != nil {
			return fmt.Errorf("blockUrls[%d]: %w", i, err)
		}
	}
	return nil
}

// webScheme reports whether a page may request rawURL at all: http, https,
// and the in-memory data: and blob: URLs. file:, chrome:, ftp: and the rest
// are refused.
func webScheme(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "data", "blob":
		return true
	}
	return false
}
