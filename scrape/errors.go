package scrape

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"

	"github.com/trawlhq/trawl/egress"
)

// DescribeError says, in a sentence fit for a result row's "error" field, why
// a fetch got no response.
func DescribeError(err error) string {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrRobotsDisallowed):
		return "Disallowed by robots.txt."
	case errors.Is(err, ErrNoProxy):
		return "No working proxy: every proxy in TRAWL_PROXY_URLS failed to connect recently."
	case isProxyConnectErr(err) && !egress.IsBlocked(err):
		return "Could not connect to the proxy."
	case egress.IsBlocked(err):
		// Never the address: it would tell users what internal names resolve to.
		return "The destination is blocked by the egress policy: trawl does not fetch loopback, private, " +
			"link-local or reserved addresses (an operator can allow private networks with TRAWL_ALLOW_PRIVATE_NETWORKS=true)."
	case errors.As(err, &dnsErr):
		return "Could not resolve host " + dnsErr.Name + "."
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "Timed out."
	default:
		return "Could not fetch the page: " + err.Error()
	}
}

// StatusError says, for a result row, why an HTTP status is not a page.
func StatusError(code int) string {
	switch code {
	case http.StatusNotFound:
		return "Page not found"
	case http.StatusGone:
		return "Page gone"
	case http.StatusUnauthorized, http.StatusForbidden:
		return "Access denied (HTTP " + strconv.Itoa(code) + ")"
	default:
		if text := http.StatusText(code); text != "" {
			return "HTTP " + strconv.Itoa(code) + " " + text
		}
		return "HTTP " + strconv.Itoa(code)
	}
}
