package browser

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"time"

	"github.com/trawlhq/trawl/egress"
)

// Defaults applied by New to zero Config fields.
const (
	// DefaultTabs suits a 2-core machine: a rendering tab mostly waits on
	// the network, so two per core keep the CPU busy without thrashing.
	DefaultTabs            = 4
	DefaultPageTimeout     = 60 * time.Second
	DefaultMemoryLimit     = 2 << 30 // bytes of resident memory, all browser processes together
	DefaultMaxSubrequests  = 300
	DefaultWindowWidth     = 1280
	DefaultWindowHeight    = 800
	defaultStartTimeout    = 30 * time.Second
	defaultRestartAttempts = 1 // a page whose browser died is tried once more on the next one
	// MaxWait is the largest Request.Wait, as HasData allows (30 s).
	MaxWait = 30 * time.Second
)

// ErrUnavailable is returned by Render when rendering is off: trawl was
// started without a Chromium (none on PATH, TRAWL_CHROMIUM unset) or the
// browser cannot be started. A page that needs rendering then fails with it.
var ErrUnavailable = errors.New("rendering is off: no headless Chromium is available (install the chromium package or set TRAWL_CHROMIUM)")

// Admitter applies trawl's per-host politeness to the documents a page loads.
// *scrape.Fetcher implements it, so fetched and rendered pages share one rate
// per host.
type Admitter interface {
	// Admit returns once a request to rawURL may start, or an error when it
	// may not (robots.txt, ctx ended). rate 0 is the host's default rate.
	Admit(ctx context.Context, rawURL string, rate float64, respectRobots bool) error
}

// Observer receives the pool's metrics. *metrics.Metrics implements it.
// Methods are called from many goroutines and must return fast.
type Observer interface {
	// TabsBusy reports the number of tabs rendering now.
	TabsBusy(n int)
	// PageRendered reports one finished page: outcome is "ok" or "error".
	PageRendered(outcome string, d time.Duration)
	// BrowserRestarted reports a browser replaced: reason is "crash",
	// "hang" or "memory".
	BrowserRestarted(reason string)
}

// Config configures a Pool. The zero value of each field but ExecPath takes
// the default beside it.
type Config struct {
	// ExecPath is the Chromium binary; see FindChromium. Required.
	ExecPath string
	// Tabs bounds the pages rendered at once (TRAWL_BROWSER_TABS); default 4.
	Tabs int
	// PageTimeout bounds one page from navigation to the returned DOM, the
	// scenario and waits included; default 60s. A caller's shorter context
	// deadline wins.
	PageTimeout time.Duration
	// MemoryLimit is the memory (proportional set size), in bytes, of the browser's
	// processes together beyond which the browser is recycled: new pages go
	// to a fresh browser and the old one is closed once its pages are done.
	// Default 2 GiB; negative means no limit.
	MemoryLimit int64
	// MaxSubrequests caps the sub-resources (everything but documents) one
	// page may request; the rest are refused. Default 300.
	MaxSubrequests int
	// WindowWidth and WindowHeight size the viewport; default 1280×800.
	WindowWidth, WindowHeight int
	// UserAgent, when set, replaces Chromium's own.
	UserAgent string
	// Egress configures the guard every browser connection passes; its
	// AllowPrivateNetworks and Allow fields apply as for fetches.
	Egress egress.Options
	// Admit, when set, is asked before every document a page loads.
	Admit Admitter
	// Observer, when set, receives metrics.
	Observer Observer
	// Logger defaults to a logger that discards.
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Tabs <= 0 {
		c.Tabs = DefaultTabs
	}
	if c.PageTimeout <= 0 {
		c.PageTimeout = DefaultPageTimeout
	}
	if c.MemoryLimit == 0 {
		c.MemoryLimit = DefaultMemoryLimit
	}
	if c.MaxSubrequests <= 0 {
		c.MaxSubrequests = DefaultMaxSubrequests
	}
	if c.WindowWidth <= 0 {
		c.WindowWidth = DefaultWindowWidth
	}
	if c.WindowHeight <= 0 {
		c.WindowHeight = DefaultWindowHeight
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
}

func (c *Config) validate() error {
	if c.ExecPath == "" {
		return fmt.Errorf("browser: Config.ExecPath is required: %w", ErrUnavailable)
	}
	if _, err := os.Stat(c.ExecPath); err != nil {
		return fmt.Errorf("browser: Config.ExecPath: %w", err)
	}
	return nil
}

type nopObserver struct{}

func (nopObserver) TabsBusy(int)                       {}
func (nopObserver) PageRendered(string, time.Duration) {}
func (nopObserver) BrowserRestarted(string)            {}

// chromiumNames are the binaries looked for on PATH, Debian's first.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome", "chrome", "headless-shell"}

// FindChromium returns the Chromium binary to use: TRAWL_CHROMIUM when set
// (it must exist), else the first of chromium, chromium-browser,
// google-chrome-stable, google-chrome, chrome and headless-shell on PATH.
// The error wraps ErrUnavailable when none is found.
func FindChromium(getenv func(string) string) (string, error) {
	if p := getenv("TRAWL_CHROMIUM"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("TRAWL_CHROMIUM=%s: %w: %w", p, err, ErrUnavailable)
		}
		return path, nil
	}
	for _, name := range chromiumNames {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("no chromium on PATH: %w", ErrUnavailable)
}
