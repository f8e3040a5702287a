package webhook

import (
	"net/url"

	"github.com/trawlhq/trawl/egress"
)

// blockedForGood reports whether a blocked attempt at rawURL will be blocked
// at every later attempt too: its host is an address (in any spelling). A
// name was blocked for the address its DNS answer gave this time; the next
// answer may differ (a failover, a split-horizon blip), so such an attempt is
// retried like a connection error.
func blockedForGood(rawURL string) bool {
	u, err := url.Parse(rawURL)
	return err != nil || egress.FixedHost(u.Hostname())
}
