package page

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Renderer loads a page in a headless browser. The browser package
// implements it; an Engine whose Renderer is nil fetches every page without
// rendering, and says so in Result.RenderNote when rendering was asked for.
//
// Render must send its traffic through trawl's egress guard, honour ctx, and
// be safe for concurrent use. An error means no page was obtained (the target
// could not be reached, a jsScenario step failed); a page with any HTTP
// status, 4xx and 5xx included, is a Rendered.
type Renderer interface {
	Render(ctx context.Context, url string, opts RenderOptions) (*Rendered, error)
}

// RenderOptions are the page options a Renderer honours. The Engine fills
// them from Options; the zero value renders the page as a browser would,
// with nothing blocked and no screenshot.
type RenderOptions struct {
	// Header holds extra request headers for the page's own request
	// (hop-by-hop headers and Host are already removed).
	Header http.Header
	// Wait is how long to wait after the page has loaded (at most
	// MaxWait).
	Wait time.Duration
	// WaitFor is a CSS selector to wait for after load; "" waits for none.
	WaitFor string
	// Scenario are browser actions run in order after load (and after Wait
	// and WaitFor). A click or fill whose element is missing fails Render.
	Scenario []Action
	// Screenshot asks for a JPEG of the page in Rendered.Screenshot.
	Screenshot bool
	// BlockResources skips images, fonts, media and stylesheets.
	BlockResources bool
	// BlockAds skips requests to known ad and tracking hosts.
	BlockAds bool
	// BlockURLs are glob patterns ("**.doubleclick.net/**") of sub-requests
	// to skip.
	BlockURLs []string
	// RespectRobots and Rate are the politeness of Request: every document
	// the page loads is checked against robots.txt (when set) and counts
	// against its host's rate, as a fetched page does.
	RespectRobots bool
	Rate          float64
}

// ScreenshotSaver stores a rendered page's screenshot and returns the link
// it is served at. The screenshot package implements it.
type ScreenshotSaver interface {
	SaveScreenshot(ctx context.Context, image []byte) (link string, err error)
}

// ErrNoBrowser is returned by Engine.Scrape (wrapped) when an option only a
// browser can honour is asked for and this trawl has none.
var ErrNoBrowser = errors.New("rendering is off: this trawl has no headless browser (install the chromium package or set TRAWL_CHROMIUM)")

// Rendered is a page as a browser left it.
type Rendered struct {
	URL        string      // final URL, after redirects and scripted navigation
	StatusCode int         // of the main document's response
	Status     string      // status text without the code, e.g. "Not Found"
	Header     http.Header // the main document's response headers
	HTML       []byte      // the serialised DOM, UTF-8; a document that is not HTML, as served
	// ContentType is the type of HTML: "" (or text/html) for a DOM; a
	// document that is not HTML (a sitemap's XML, JSON) keeps its own.
	ContentType string
	Screenshot  []byte // JPEG, when RenderOptions.Screenshot
}

// Action is one jsScenario step: exactly one of its fields is set, as in the
// one-key objects of the request ({"click": "#more"}, {"wait": 500}).
type Action struct {
	Click           string     `json:"click,omitempty"`           // CSS selector to click
	Fill            *[2]string `json:"fill,omitempty"`            // [selector, value] to type into
	Wait            *int       `json:"wait,omitempty"`            // milliseconds to wait
	WaitFor         string     `json:"waitFor,omitempty"`         // CSS selector to wait for
	WaitForAndClick string     `json:"waitForAndClick,omitempty"` // CSS selector to wait for, then click
	ScrollX         *int       `json:"scrollX,omitempty"`         // pixels to scroll horizontally
	ScrollY         *int       `json:"scrollY,omitempty"`         // pixels to scroll vertically
	Evaluate        string     `json:"evaluate,omitempty"`        // JavaScript to run in the page
}

// MaxWait bounds Options.Wait and a jsScenario wait step.
const MaxWait = 30 * time.Second
