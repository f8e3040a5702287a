package browser

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// interceptor decides, for each request of one page, whether it may leave.
type interceptor struct {
	pool        *Pool
	req         Request
	origin      string // scheme://host:port of the page, for Request.Header
	globs       []*regexp.Regexp
	subrequests atomic.Int64
	blocked     atomic.Int64

	mu     sync.Mutex
	docErr error // the first document refused by Admit
}

func newInterceptor(p *Pool, req Request) (*interceptor, error) {
	ic := &interceptor{pool: p, req: req, origin: origin(req.URL)}
	for _, g := range req.BlockURLs {
		re, err := compileGlob(g)
		if err != nil {
			return nil, err
		}
		ic.globs = append(ic.globs, re)
	}
	return ic, nil
}

func (ic *interceptor) documentError() error {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	return ic.docErr
}

// handle answers one paused request: documents after politeness admits
// them, the rest at once. Each runs in a goroutine of its own.
func (ic *interceptor) handle(ctx context.Context, ev fetch.EventRequestPaused) {
	fail := func() {
		ic.blocked.Add(1)
		_, _ = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
	}
	rawURL := ""
	if ev.Request != nil {
		rawURL = ev.Request.URL
	}
	cont := func() {
		params := fetch.ContinueRequestParams{RequestID: ev.RequestID}
		if len(ic.req.Header) > 0 && origin(rawURL) == ic.origin {
			params.Headers = withHeaders(ev.Request.Headers, ic.req.Header)
		}
		_, _ = chromedp.Call(ctx, fetch.ContinueRequest, params)
	}
	if !webScheme(rawURL) {
		fail()
		return
	}
	if ev.ResourceType == network.ResourceTypeDocument {
		if ic.pool.cfg.Admit == nil || !strings.HasPrefix(rawURL, "http") {
			cont()
			return
		}
		if err := ic.pool.cfg.Admit.Admit(ctx, rawURL, ic.req.Rate, ic.req.RespectRobots); err != nil {
			ic.mu.Lock()
			if ic.docErr == nil && ctx.Err() == nil {
				ic.docErr = err
			}
			ic.mu.Unlock()
			fail()
			return
		}
		cont()
		return
	}
	if strings.HasPrefix(rawURL, "data:") || strings.HasPrefix(rawURL, "blob:") {
		cont()
		return
	}
	if ic.subrequests.Add(1) > int64(ic.pool.cfg.MaxSubrequests) {
		fail()
		return
	}
	if ic.req.BlockResources && heavyTypes[ev.ResourceType] {
		fail()
		return
	}
	if ic.req.BlockAds {
		if u, err := url.Parse(rawURL); err == nil && isAdHost(adHosts(), u.Hostname()) {
			fail()
			return
		}
	}
	for _, re := range ic.globs {
		if re.MatchString(rawURL) {
			fail()
			return
		}
	}
	cont()
}

// origin is rawURL's scheme://host:port, the port filled in; "" when it
// does not parse.
func origin(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(hostPort(rawURL))
}

// withHeaders returns the browser's request headers with extra set over
// them (an extra header replaces the browser's of the same name).
func withHeaders(browser network.Headers, extra http.Header) []*fetch.HeaderEntry {
	out := make([]*fetch.HeaderEntry, 0, len(browser)+len(extra))
	for k, v := range browser {
		if _, ok := extra[http.CanonicalHeaderKey(k)]; ok {
			continue
		}
		out = append(out, &fetch.HeaderEntry{Name: k, Value: fmt.Sprint(v)})
	}
	for k, vs := range extra {
		out = append(out, &fetch.HeaderEntry{Name: k, Value: strings.Join(vs, ", ")})
	}
	return out
}
