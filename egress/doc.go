// Package egress builds the one outbound HTTP client every request trawl
// makes goes through: scraper fetches and webhook deliveries alike.
//
// The point of the package is server-side request forgery (SSRF) safety.
// Job submitters choose the URLs trawl fetches and the URLs it delivers
// webhooks to, so without a guard anyone who can submit a job could make
// trawl talk to its own loopback services, the private network it runs in,
// or the cloud metadata endpoint at 169.254.169.254.
//
// # What is refused
//
// By default (the zero [Options]) a client refuses to connect to loopback,
// RFC 1918 private, link-local (169.254.0.0/16, including cloud metadata),
// CGNAT (100.64.0.0/10), 0.0.0.0/8, multicast, reserved and the other
// special-purpose IPv4 ranges in the IANA registry; for IPv6 it allows only
// global unicast (2000::/3) outside the special-purpose prefixes, which
// refuses ::1, ULA (fc00::/7), link-local (fe80::/10), IPv4-mapped
// (::ffff:0:0/96) and NAT64 (64:ff9b::/96) addresses, so 127.0.0.1 cannot
// be smuggled in as ::ffff:127.0.0.1 or 64:ff9b::7f00:1. Any port is
// allowed. The ranges come from [code.dny.dev/ssrf].
//
// The check runs on the resolved IP address at connect time, in
// [net.Dialer.Control], after DNS resolution and before the connect system
// call, so no packet is sent to a refused address, and DNS tricks
// (a public name resolving to 127.0.0.1, rebinding between a check and the
// dial) do not get through: the address checked is the address connected
// to. Every redirect hop and every new pooled connection is dialled the same
// way and so is checked the same way.
//
// A refusal is an error for which [IsBlocked] (equivalently
// errors.Is(err, ErrBlocked)) reports true, however deeply net/http wraps
// it. Callers use it to tell "the destination is not allowed" (a permanent,
// user-facing failure) from network errors worth retrying.
//
// # Proxies
//
// [Options.Proxy] is optional and never taken from the environment
// (HTTP_PROXY and friends are ignored). When a request is sent through a
// proxy, the guard applies to the connection to the proxy itself: a proxy on
// a loopback or private address is refused unless
// [Options.AllowPrivateNetworks] is set. That is deliberate: the proxy
// address is an operator choice, but exempting it silently would also exempt
// whatever else listens there, and an operator whose proxy lives on a private
// network is by definition running trawl inside one, which is what
// AllowPrivateNetworks is for.
//
// Through a proxy the target is connected to by the proxy, not by trawl,
// so the connect-time check cannot see the address the proxy reaches. Before
// a request is handed to a proxy the client therefore checks the target
// itself: an IP address (in any spelling, see below) must be allowed; a
// localhost name (RFC 6761) is refused; any other name is resolved by trawl
// and refused when any address it resolves to is refused. A name that does
// not resolve fails with the DNS error and is not sent. What remains is the
// proxy's own second lookup: a name whose DNS answer changes between
// trawl's check and the proxy's lookup (DNS rebinding with a zero TTL) can
// still reach a private address through the proxy, so a proxy should have an
// egress policy of its own.
//
// # Numeric hosts
//
// Hosts whose last label is a number are read as IPv4 addresses the way
// browsers read them (the WHATWG URL rules, see [ParseHost]): 2130706433,
// 0x7f000001, 0177.0.0.1 and 127.1 are 127.0.0.1 and are refused as such,
// directly and through a proxy, instead of being sent to a resolver. A
// numeric host that is no valid address is refused.
//
// # What users see
//
// A refusal's text is "blocked by the egress policy", and never names the
// address refused, so that error messages shown to users (result rows, the
// webhook delivery log) do not reveal what an internal name resolves to.
//
// # Lifting the guard
//
// With [Options.AllowPrivateNetworks] set no check is made at all, for the
// target or the proxy. trawl sets it from --allow-private-networks
// (TRAWL_ALLOW_PRIVATE_NETWORKS=true) for operators inside a private network,
// and tests and local development use it to reach 127.0.0.1.
package egress
