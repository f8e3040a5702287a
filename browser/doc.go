// Package browser renders pages in headless Chromium for trawl: the
// jsRendering option of /scrape/web and of crawler and contacts jobs.
//
// A [Pool] drives one Chromium process (the operating system's package, found
// on PATH or named by TRAWL_CHROMIUM) over the DevTools protocol with
// chromedp. Each page gets a fresh incognito browser context in its own tab;
// at most Config.Tabs pages render at once and the rest wait their turn. A
// page has a deadline; a browser that crashes, stops answering or grows past
// Config.MemoryLimit is replaced by a fresh one, and the pages it was
// rendering are tried once more there, so one bad page does not fail others.
// The browser is started at the first page, not at Start, so a trawl that
// never renders pays nothing for it.
//
// # Egress safety
//
// Chromium never opens a connection of its own. Each page's incognito
// context is given an HTTP proxy that the pool serves on 127.0.0.1, with a
// token of the page's own (proxy authentication): the proxy serves only
// known pages, and routes each request with its page's context (the proxy
// label of proxyType and proxyCountry). That proxy resolves names and
// dials through trawl's egress guard (package egress): plain HTTP requests go
// through a guarded transport, HTTPS and WebSocket through CONNECT tunnels
// dialled by the guarded dialer, or through the outbound proxies of
// Config.Egress.Proxy when trawl has some. Chromium's implicit proxy bypass for
// loopback is removed, Chromium resolves no names itself, WebRTC may not
// send UDP outside the proxy, service workers cannot register, downloads are
// denied, links and scripts that would open a window open in the page's own
// tab (a window that still opens is closed), dialogs are dismissed, and every
// request a page makes, its iframes' included, is also seen by the pool
// (Fetch interception), which refuses
// file: and other non-web schemes, applies blockResources, blockAds and
// blockUrls, caps sub-resources per page, and counts each document against
// its host's politeness limits (Config.Admit).
//
// # Options
//
// A [Request] carries the HasData options, applied in this order after the
// page has loaded: Wait, WaitFor, then Scenario (jsScenario: click, fill,
// wait, waitFor, waitForAndClick, scrollX, scrollY, evaluate; a missing
// element fails the page with an error naming the step). Screenshot takes a
// full-page PNG or JPEG; BlockResources, BlockAds and BlockURLs refuse
// sub-requests. [Renderer] adapts the pool to the page engine's renderer
// interface (package scrape/page).
//
// # The ad blocklist
//
// BlockAds matches request hosts (and their parent domains) against
// adhosts.txt, embedded in the binary. Refresh it from a hosts-format list
// with
//
//	go run ./browser/adlist -o browser/adhosts.txt https://example.org/hosts.txt
//
// and commit the result; see the adlist command for the accepted formats.
package browser
