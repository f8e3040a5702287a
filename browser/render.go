package browser

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/trawlhq/trawl/egress"
)

// ImageFormat is a screenshot's encoding.
type ImageFormat string

// The screenshot formats. The zero value takes no screenshot.
const (
	NoScreenshot ImageFormat = ""
	PNG          ImageFormat = "png"
	JPEG         ImageFormat = "jpeg"
)

// jpegQuality is the quality of JPEG screenshots.
const jpegQuality = 85

// Request is one page to render. Render reads it and keeps nothing.
type Request struct {
	URL     string        // absolute http or https URL
	Wait    time.Duration // pause after load, at most MaxWait
	WaitFor string        // CSS selector to wait for after Wait, until the page deadline
	// Scenario runs last (after load, Wait and WaitFor), in order.
	Scenario       []Step
	Screenshot     ImageFormat // full-page screenshot; NoScreenshot for none
	BlockResources bool        // refuse images, fonts, media and stylesheets
	BlockAds       bool        // refuse hosts on the embedded ad blocklist
	BlockURLs      []string    // glob patterns of URLs to refuse (see CheckBlockURLs)
	// Header holds extra request headers, sent with the page's requests to
	// its own origin (scheme, host and port of URL) only: a Cookie meant for
	// the target does not reach the third parties the page loads.
	Header http.Header
	// RespectRobots and Rate are passed to Config.Admit for each document.
	RespectRobots bool
	Rate          float64
}

// Page is a rendered page, owned by the caller.
type Page struct {
	URL        string      // final URL, after redirects and script navigation
	StatusCode int         // of the main document; 0 when unknown
	Status     string      // reason phrase, e.g. "Not Found"
	Header     http.Header // of the main document
	// HTML is the serialized DOM after scripts, waits and scenario; for a
	// main document that is not HTML (XML, JSON, text, an image) it is the
	// body as served, and ContentType says what it is.
	HTML        string
	ContentType string // "text/html; charset=utf-8" for a DOM, else the document's own type
	Screenshot  []byte // when Request.Screenshot was set
	// ScreenshotFormat is the encoding of Screenshot.
	ScreenshotFormat ImageFormat
	Subrequests      int // sub-resources the page asked for
	Blocked          int // requests refused by blocking options, caps or scheme
	Attempts         int // 1, or 2 when a crashed browser made Render try again
}

// Render loads req.URL in a fresh incognito tab and returns the DOM after
// scripts ran, Wait elapsed, WaitFor appeared and the scenario ran. It waits
// for a free tab first. The page is bounded by Config.PageTimeout and by ctx.
// If the browser dies meanwhile the page is tried once more in a new one.
//
// Errors: ErrUnavailable when no browser can run, ErrStopped after Stop, an
// error wrapping egress.ErrBlocked when the guard refused the page's host,
// context.DeadlineExceeded when the page ran out of time, and a message
// naming the step for a failed jsScenario step. Render is safe for
// concurrent use.
func (p *Pool) Render(ctx context.Context, req Request) (*Page, error) {
	if err := checkRequest(req); err != nil {
		return nil, err
	}
	select {
	case p.tabs <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("render %s: waiting for a free tab: %w", req.URL, ctx.Err())
	}
	p.cfg.Observer.TabsBusy(int(p.busy.Add(1)))
	defer func() {
		p.cfg.Observer.TabsBusy(int(p.busy.Add(-1)))
		<-p.tabs
	}()

	start := time.Now()
	pg, err := p.render(ctx, req)
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	p.cfg.Observer.PageRendered(outcome, time.Since(start))
	return pg, err
}

// render tries req up to twice. Each attempt has its own page deadline,
// which starts once a browser is running: starting one is bounded apart.
func (p *Pool) render(parent context.Context, req Request) (*Page, error) {
	for attempt := 1; ; attempt++ {
		in, err := p.acquire(parent)
		if err != nil {
			return nil, fmt.Errorf("render %s: %w", req.URL, err)
		}
		ctx, cancel := context.WithTimeout(parent, p.cfg.PageTimeout)
		pg, err := p.renderOn(ctx, in, req)
		ctxErr := ctx.Err()
		crashed := in.dead() && ctxErr == nil
		p.release(in)
		cancel()
		if err == nil {
			pg.Attempts = attempt
			return pg, nil
		}
		switch {
		case parent.Err() != nil:
			return nil, fmt.Errorf("render %s: %w", req.URL, parent.Err())
		case crashed:
			p.replace(in, "crash")
			if attempt <= defaultRestartAttempts {
				p.cfg.Logger.Warn("browser: the browser died during a page; trying it again", "url", req.URL, "err", err)
				continue
			}
			return nil, fmt.Errorf("render %s: the browser died: %w", req.URL, err)
		case errors.Is(ctxErr, context.DeadlineExceeded):
			if !in.dead() && !responsive(in) {
				p.replace(in, "hang")
			}
			return nil, fmt.Errorf("render %s: the page did not finish within %s: %w", req.URL, p.cfg.PageTimeout, context.DeadlineExceeded)
		}
		return nil, fmt.Errorf("render %s: %w", req.URL, err)
	}
}

// checkRequest refuses what no browser should be asked to do.
func checkRequest(req Request) error {
	u, err := url.Parse(req.URL)
	if err != nil {
		return fmt.Errorf("render: url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("render %q: only http and https URLs are rendered", req.URL)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("render %q: missing host", req.URL)
	}
	if req.Wait < 0 || req.Wait > MaxWait {
		return fmt.Errorf("render: wait %s: want 0 to %s", req.Wait, MaxWait)
	}
	switch req.Screenshot {
	case NoScreenshot, PNG, JPEG:
	default:
		return fmt.Errorf("render: screenshot format %q: want png or jpeg", req.Screenshot)
	}
	return CheckBlockURLs(req.BlockURLs)
}

// pageScript runs in every frame before the page's own scripts: no pop-up
// windows (window.open returns null, links and forms aimed at another window
// open in this one) and no service workers, whose requests the tab would
// not see. A pop-up that still opens is closed when it appears.
const pageScript = `(() => {
  try { window.open = function () { return null; }; } catch (e) {}
  const sameWindow = e => {
    const t = e.target;
    const el = t && t.closest ? t.closest("a[target], area[target], form[target]") : null;
    if (el) el.removeAttribute("target");
  };
  document.addEventListener("click", sameWindow, true);
  document.addEventListener("auxclick", sameWindow, true);
  document.addEventListener("submit", sameWindow, true);
  try {
    if (navigator.serviceWorker) {
      Object.defineProperty(navigator.serviceWorker, 'register', {
        value: function () { return Promise.reject(new Error('service workers are disabled')); },
      });
    }
  } catch (e) {}
})();`

// serializeDOM returns the document with its doctype.
const serializeDOM = `(document.doctype ? new XMLSerializer().serializeToString(document.doctype) + "\n" : "") + document.documentElement.outerHTML`

// renderOn renders req once on browser in.
func (p *Pool) renderOn(ctx context.Context, in *instance, req Request) (*Page, error) {
	// The page's own incognito context, with its own way through the
	// proxy: a token that ties each of its requests to this page.
	token, unregister := p.proxy.register(ctx)
	defer unregister()
	tctx, cancelTab := chromedp.NewContext(in.ctx, chromedp.WithNewBrowserContext(func(bc *target.CreateBrowserContextParams) {
		bc.ProxyServer = "http://" + p.proxy.addr()
		bc.ProxyBypassList = "<-loopback>"
	}))
	defer cancelTab()
	stop := context.AfterFunc(ctx, cancelTab)
	defer stop()
	// On the caller's deadline the tab is cancelled; report the caller's error.
	wrap := func(err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}

	if err := chromedp.Do(tctx); err != nil {
		return nil, wrap(fmt.Errorf("open a tab: %w", err))
	}
	c := chromedp.FromContext(tctx)
	tabID, bctxID := c.Target.TargetID, c.BrowserContextID

	if _, err := chromedp.CallBrowser(tctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorDeny, BrowserContextID: bctxID,
	}); err != nil {
		return nil, wrap(fmt.Errorf("deny downloads: %w", err))
	}
	if _, err := chromedp.Call(tctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: pageScript}); err != nil {
		return nil, wrap(fmt.Errorf("add the page script: %w", err))
	}

	var wg sync.WaitGroup
	defer wg.Wait()
	lctx, stopListening := context.WithCancel(tctx)
	defer stopListening()

	// Dialogs are dismissed; pop-ups of this browser context are closed.
	dialogs := chromedp.Events(lctx, page.JavascriptDialogOpening)
	wg.Go(func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(lctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	})
	created := chromedp.BrowserEvents(lctx, target.TargetCreated)
	wg.Go(func() {
		for ev, err := range created {
			if err != nil {
				return
			}
			// Only windows: the page's out-of-process iframes and workers
			// are targets of this context too.
			if info := ev.TargetInfo; info != nil && info.Type == "page" && info.BrowserContextID == bctxID && info.TargetID != tabID {
				_, _ = chromedp.CallBrowser(lctx, target.CloseTarget, target.CloseTargetParams{TargetID: info.TargetID})
			}
		}
	})

	// Every request of the tab is seen here before it leaves.
	ic, err := newInterceptor(p, req)
	if err != nil {
		return nil, err
	}
	// The main frame's documents, so that one that is not HTML can be
	// returned as served rather than as the DOM Chromium shows it in.
	docs := &docIndex{ids: map[string]network.RequestID{}, changed: make(chan struct{})}
	responses := chromedp.Events(lctx, network.ResponseReceived)
	wg.Go(func() {
		for ev, err := range responses {
			if err != nil {
				return
			}
			if ev.Type == network.ResourceTypeDocument && string(ev.FrameID) == string(tabID) && ev.Response != nil {
				docs.add(ev.Response.URL, ev.RequestID)
			}
		}
	})
	// The proxy asks for the page's token; a target's own authentication
	// challenge is declined.
	auths := chromedp.Events(lctx, fetch.AuthRequired)
	wg.Go(func() {
		for ev, err := range auths {
			if err != nil {
				return
			}
			resp := &fetch.AuthChallengeResponse{Response: fetch.AuthChallengeResponseResponseCancelAuth}
			if ev.AuthChallenge != nil && ev.AuthChallenge.Source == fetch.AuthChallengeSourceProxy {
				resp = &fetch.AuthChallengeResponse{Response: fetch.AuthChallengeResponseResponseProvideCredentials, Username: token}
			}
			_, _ = chromedp.Call(lctx, fetch.ContinueWithAuth, fetch.ContinueWithAuthParams{RequestID: ev.RequestID, AuthChallengeResponse: resp})
		}
	})
	paused := chromedp.Events(lctx, fetch.RequestPaused)
	wg.Go(func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			wg.Go(func() { ic.handle(lctx, ev) })
		}
	})
	if _, err := chromedp.Call(tctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}, HandleAuthRequests: new(true)}); err != nil {
		return nil, wrap(fmt.Errorf("intercept requests: %w", err))
	}

	resp, err := chromedp.Run(tctx, chromedp.NavigateResponse(req.URL))
	if err != nil {
		return nil, wrap(p.navigationError(req.URL, ic, err))
	}
	if resp != nil && resp.Headers[blockedHeader] != nil {
		return nil, fmt.Errorf("%w: %s", egress.ErrBlocked, hostPort(req.URL))
	}

	if req.Wait > 0 {
		if err := chromedp.Do(tctx, chromedp.Sleep(req.Wait)); err != nil {
			return nil, wrap(err)
		}
	}
	if req.WaitFor != "" {
		if err := chromedp.Do(tctx, chromedp.WaitReady(chromedp.CSS(req.WaitFor))); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("waitFor %q: no element appeared before the page deadline: %w", req.WaitFor, ctx.Err())
			}
			return nil, fmt.Errorf("waitFor %q: %w", req.WaitFor, err)
		}
	}
	for i, s := range req.Scenario {
		if err := runStep(tctx, i, s); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%w: %w", err, ctx.Err())
			}
			return nil, err
		}
	}

	final, err := chromedp.Run(tctx, chromedp.Location())
	if err != nil {
		return nil, wrap(fmt.Errorf("read the location: %w", err))
	}
	pg := &Page{URL: final, Header: http.Header{}, ContentType: "text/html; charset=utf-8"}
	if resp != nil && !isHTML(resp.MimeType) && final == resp.URL {
		body, err := rawBody(tctx, docs, resp.URL)
		if err != nil {
			return nil, wrap(err)
		}
		pg.HTML, pg.ContentType = body, resp.MimeType
		if resp.Charset != "" {
			pg.ContentType += "; charset=" + resp.Charset
		}
	} else {
		pg.HTML, err = chromedp.Run(tctx, chromedp.Evaluate[string](serializeDOM))
		if err != nil {
			return nil, wrap(fmt.Errorf("read the DOM: %w", err))
		}
	}
	if resp != nil {
		pg.StatusCode = int(resp.Status)
		pg.Status = resp.StatusText
		if pg.Status == "" {
			pg.Status = http.StatusText(pg.StatusCode)
		}
		for k, v := range resp.Headers {
			for _, line := range strings.Split(fmt.Sprint(v), "\n") {
				pg.Header.Add(k, line)
			}
		}
	}
	if req.Screenshot != NoScreenshot {
		shot, err := chromedp.Run(tctx, fullScreenshot(req.Screenshot))
		if err != nil {
			return nil, wrap(fmt.Errorf("screenshot: %w", err))
		}
		pg.Screenshot, pg.ScreenshotFormat = shot, req.Screenshot
	}
	pg.Subrequests, pg.Blocked = int(ic.subrequests.Load()), int(ic.blocked.Load())
	return pg, nil
}

// navigationError explains a failed navigation: the guard, robots.txt or the
// browser's own error text.
func (p *Pool) navigationError(rawURL string, ic *interceptor, err error) error {
	if docErr := ic.documentError(); docErr != nil {
		return docErr
	}
	var le *chromedp.LoadError
	if errors.As(err, &le) && p.proxy.wasBlocked(hostPort(rawURL)) {
		return fmt.Errorf("%w: %s", egress.ErrBlocked, hostPort(rawURL))
	}
	return fmt.Errorf("navigate: %w", err)
}

// hostPort is rawURL's host:port with the scheme's default port.
func hostPort(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	if u.Port() != "" {
		return u.Host
	}
	port := "80"
	if u.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// fullScreenshot captures the whole page, not just the viewport, at its CSS
// size.
func fullScreenshot(format ImageFormat) chromedp.Action[[]byte] {
	return func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		m, err := cdp.Call(ctx, t, page.GetLayoutMetrics, cdp.Empty{})
		if err != nil {
			return nil, err
		}
		params := page.CaptureScreenshotParams{
			Format:                page.CaptureScreenshotFormatPng,
			CaptureBeyondViewport: new(true),
			FromSurface:           new(true),
		}
		if format == JPEG {
			params.Format = page.CaptureScreenshotFormatJpeg
			params.Quality = new(int64(jpegQuality))
		}
		if s := m.CSSContentSize; s != nil && s.Width > 0 && s.Height > 0 {
			params.Clip = &page.Viewport{Width: s.Width, Height: s.Height, Scale: 1}
		}
		res, err := cdp.Call(ctx, t, page.CaptureScreenshot, params)
		if err != nil {
			return nil, err
		}
		return res.Data, nil
	}
}
