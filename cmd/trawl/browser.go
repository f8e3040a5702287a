package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/trawlhq/trawl/browser"
	"github.com/trawlhq/trawl/egress"
	"github.com/trawlhq/trawl/httpapi"
	"github.com/trawlhq/trawl/metrics"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/scrape/page"
	"github.com/trawlhq/trawl/screenshot"
)

// browserFlags configure headless rendering (jsRendering) and the links of
// screenshots.
type browserFlags struct {
	Chromium           string        `name:"chromium" env:"TRAWL_CHROMIUM" help:"Chromium binary for jsRendering (default: chromium, chromium-browser or google-chrome on PATH). Without one, rendering is off."`
	NoBrowser          bool          `name:"no-browser" env:"TRAWL_NO_BROWSER" help:"Never start a browser: rendering is off even when Chromium is installed."`
	BrowserTabs        int           `name:"browser-tabs" env:"TRAWL_BROWSER_TABS" default:"4" help:"Pages rendered at once (default sized for 2 cores)."`
	BrowserPageTimeout time.Duration `name:"browser-page-timeout" env:"TRAWL_BROWSER_PAGE_TIMEOUT" default:"60s" help:"Longest one rendered page may take, waits and jsScenario included."`
	BrowserMemoryMB    int64         `name:"browser-memory-mb" env:"TRAWL_BROWSER_MEMORY_MB" default:"2048" help:"Resident memory of the browser's processes beyond which it is recycled."`
	ScreenshotLinkTTL  time.Duration `name:"screenshot-link-ttl" env:"TRAWL_SCREENSHOT_LINK_TTL" default:"168h" help:"How long screenshot links stay valid; older screenshots are deleted."`
}

// startBrowser starts the browser pool, or returns nil (rendering off) when
// it is disabled or no Chromium is installed: trawl runs without one. The
// browser's traffic leaves through the outbound proxies, when there are any.
func (f browserFlags) startBrowser(ctx context.Context, log *slog.Logger, fetcher *scrape.Fetcher, proxies *scrape.ProxyPool, mx *metrics.Metrics, allowPrivate bool) (*browser.Pool, error) {
	if f.NoBrowser {
		log.Info("rendering is off (--no-browser)")
		return nil, nil
	}
	exe, err := browser.FindChromium(func(string) string { return f.Chromium })
	if err != nil {
		log.Warn("rendering is off: jsRendering pages are fetched, and waitFor, jsScenario, wait and screenshot are refused", "reason", err)
		return nil, nil
	}
	if f.BrowserTabs < 1 || f.BrowserPageTimeout <= 0 {
		return nil, fmt.Errorf("--browser-tabs (TRAWL_BROWSER_TABS) must be at least 1 and --browser-page-timeout positive")
	}
	limit := f.BrowserMemoryMB << 20
	if f.BrowserMemoryMB <= 0 {
		limit = -1
	}
	pool, err := browser.New(browser.Config{
		ExecPath:    exe,
		Tabs:        f.BrowserTabs,
		PageTimeout: f.BrowserPageTimeout,
		MemoryLimit: limit,
		Egress:      egress.Options{AllowPrivateNetworks: allowPrivate, Proxy: proxies.ProxyFunc()},
		Admit:       fetcher,
		Observer:    mx,
		Logger:      log.With("component", "browser"),
	})
	if err != nil {
		return nil, err
	}
	if err := pool.Start(ctx); err != nil {
		return nil, err
	}
	log.Info("rendering is on", "chromium", exe, "tabs", f.BrowserTabs)
	return pool, nil
}

// renderer is the pool as the page engine's renderer; nil when off.
func renderer(pool *browser.Pool) page.Renderer {
	if pool == nil {
		return nil
	}
	return browser.Renderer{Pool: pool}
}

// renderingStatus reports the pool for GET /user/me.
func renderingStatus(pool *browser.Pool) func() httpapi.Rendering {
	return func() httpapi.Rendering {
		if pool == nil {
			return httpapi.Rendering{Note: browser.ErrUnavailable.Error()}
		}
		return httpapi.Rendering{Enabled: true, Tabs: pool.Tabs(), TabsBusy: pool.TabsBusy()}
	}
}

// screenshots returns the screenshot store and link signer, or nil when the
// database cannot keep screenshots.
func (f browserFlags) screenshots(db database, secret []byte, publicURL string, log *slog.Logger) (*screenshot.Service, error) {
	st, ok := db.(screenshot.Store)
	if !ok {
		return nil, nil
	}
	return screenshot.New(screenshot.Config{Store: st, Secret: secret, BaseURL: publicURL, TTL: f.ScreenshotLinkTTL, Logger: log})
}

// stopBrowser closes the browser at the end of the drain.
func stopBrowser(pool *browser.Pool, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := pool.Stop(ctx); err != nil {
		log.Warn("browser: stop", "err", err)
	}
}
