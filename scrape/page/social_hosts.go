package page

import "strings"

// IsSocialHost reports whether host (a host name, without a port) belongs to
// one of the social networks whose profile links Extract collects: LinkedIn,
// X (Twitter), Facebook, Instagram, YouTube, TikTok, Pinterest, GitHub, Dribbble or Clutch,
// on any of their subdomains and country domains. The Google Maps scraper
// uses it to leave alone a place whose "website" is a social profile: such a
// page is not the business's own site and is not read for emails. It is safe
// for concurrent use.
func IsSocialHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(host), "."))
	return host != "" && siteName(host) != ""
}
